/**
 * STARTTLS against a hostile server (RFC 9051 6.2.1, RFC 2595, CVE-2011-0411
 * style injection): TLS is required when asked for, nothing is sent in the
 * clear after a refusal, bytes injected before the handshake are fatal, and
 * nothing learnt before the handshake is trusted after it.
 */
import { describe, expect, it, vi } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { closeEvent, useScriptedServers } from '../helpers/scripted-harness.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

const { serve, options, connect, rejection } = useScriptedServers((server) => ({
  host: server.host,
  port: server.port,
  security: 'starttls',
  tls: { ca: server.ca },
  tagPrefix: 'T',
  timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 2000 },
}));

async function expectConnectionError(
  p: Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<ImapConnectionError> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(ImapConnectionError);
  expect((err as ImapConnectionError).code).toBe(code);
  expect(err.message).toMatch(message);
  return err as ImapConnectionError;
}

const AUTH = { username: 'user', password: 'secret-pw', mechanism: 'LOGIN-COMMAND' };

describe('STARTTLS required', () => {
  it('a server not announcing STARTTLS: TLS_REQUIRED and nothing sent at all', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hello\r\n' },
      { stall: true },
    ]);
    await expectConnectionError(
      ImapConnection.connect(options(server, { auth: AUTH })),
      'TLS_REQUIRED',
      /does not offer STARTTLS/,
    );
    await server.settled();
    expect(server.receivedText()).toBe('');
  });

  it('STARTTLS missing from the CAPABILITY answer: TLS_REQUIRED, nothing sent after CAPABILITY', async () => {
    const server = await serve([
      { send: '* OK hello\r\n' },
      { expect: /^T\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    await expectConnectionError(
      ImapConnection.connect(options(server, { auth: AUTH })),
      'TLS_REQUIRED',
      /does not offer STARTTLS/,
    );
    await server.settled();
    expect(server.receivedText()).toMatch(/^T\d+ CAPABILITY\r\n$/);
  });

  it.each([
    ['NO', 'NO [UNAVAILABLE] TLS is broken today'],
    ['BAD', 'BAD unknown command'],
  ])('STARTTLS answered %s: TLS_REQUIRED, nothing sent after STARTTLS', async (_s, answer) => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: `$tag ${answer}\r\n` },
      { stall: true },
    ]);
    const err = await expectConnectionError(
      ImapConnection.connect(options(server, { auth: AUTH })),
      'TLS_REQUIRED',
      /refused STARTTLS/,
    );
    expect(err.serverText).toBe(answer.replace(/^\w+ (\[\w+\] )?/, ''));
    await server.settled();
    expect(server.receivedText()).toMatch(/^T\d+ STARTTLS\r\n$/);
  });

  it('a PREAUTH greeting when STARTTLS is required: TLS_REQUIRED, nothing sent', async () => {
    const server = await serve([
      { send: '* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n' },
      { stall: true },
    ]);
    await expectConnectionError(ImapConnection.connect(options(server)), 'TLS_REQUIRED', /PREAUTH/);
    await server.settled();
    expect(server.receivedText()).toBe('');
  });

  it('the certificate is verified: an untrusted one fails the handshake, nothing sent in clear after STARTTLS', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: '$tag OK Begin TLS\r\n' },
      { startTls: true },
      { stall: true },
    ]);
    const err = await rejection(
      ImapConnection.connect({ ...options(server, { auth: AUTH }), tls: {} }),
    );
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(err.message).toMatch(/certificate/i);
    await server.settled();
    expect(server.receivedText()).toMatch(/^T\d+ STARTTLS\r\n$/);
  });
});

describe('STARTTLS injection', () => {
  it('plaintext pipelined after the STARTTLS OK in the same write: TLS_INJECTION', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: '$tag OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n' },
      { stall: true },
    ]);
    await expectConnectionError(
      ImapConnection.connect(options(server, { auth: AUTH })),
      'TLS_INJECTION',
      /after the STARTTLS OK and before the TLS handshake/,
    );
    await server.settled();
    expect(server.receivedText()).toMatch(/^T\d+ STARTTLS\r\n$/);
  });

  it('plaintext injected in a later packet breaks the handshake; no plaintext command follows', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: '$tag OK Begin TLS\r\n' },
      { wait: 30 },
      { send: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n' },
      { stall: true },
    ]);
    const err = await rejection(ImapConnection.connect(options(server, { auth: AUTH })));
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(['TLS_INJECTION', 'CONNECTION_FAILED', 'CONNECTION_CLOSED']).toContain(
      (err as ImapConnectionError).code,
    );
    await server.settled();
    const got = server.received();
    const first = got.indexOf('\r\n') + 2;
    expect(got.subarray(0, first).toString('latin1')).toMatch(/^T\d+ STARTTLS\r\n$/);
    // Whatever followed is TLS (a handshake record), never an IMAP command.
    if (got.length > first) expect(got[first]).toBe(0x16);
  });
});

describe('a STARTTLS OK in the read whose completion sent STARTTLS', () => {
  // `noop(); starttls()` in one tick: STARTTLS waits for the NOOP and is
  // sent while the read with its completion is being parsed. A server
  // answering STARTTLS ahead puts its OK (and what it injects after it) in
  // that same read; the bytes after the OK must never be parsed as trusted.
  it('queued behind a NOOP: TLS_INJECTION, the injected CAPABILITY is never trusted', async () => {
    const server = await serve(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 STARTTLS] hello\r\n');
      const noop = await c.expect(/^T\d+ NOOP$/);
      const next = `T${Number(noop.split(' ')[0]!.slice(1)) + 1}`;
      await c.write(
        `$tag OK noop\r\n${next} OK begin TLS now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN INJECTED\r\n`,
      );
      await c.closed();
    });
    const conn = await connect(server, { security: 'none' });
    const closed = closeEvent(conn);
    const noop = conn.noop();
    const tls = conn.starttls();
    await noop;
    await expectConnectionError(tls, 'TLS_INJECTION', /after the STARTTLS OK/);
    expect(((await closed) as ImapConnectionError).code).toBe('TLS_INJECTION');
    expect(conn.capabilities.has('INJECTED')).toBe(false);
    await server.settled();
    expect(server.receivedText()).toMatch(/^T\d+ NOOP\r\nT\d+ STARTTLS\r\n$/);
  });

  it('queued from a callback during that read: sent after it, the early OK is a desync', async () => {
    const server = await serve(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 STARTTLS] hello\r\n');
      const noop = await c.expect(/^T\d+ NOOP$/);
      const next = `T${Number(noop.split(' ')[0]!.slice(1)) + 1}`;
      await c.write(
        `* OK [ALERT] go secure\r\n$tag OK noop\r\n${next} OK begin TLS now\r\n` +
          '* CAPABILITY IMAP4rev1 AUTH=PLAIN INJECTED\r\n',
      );
      await c.closed();
    });
    const conn = await connect(server, { security: 'none' });
    const closed = closeEvent(conn);
    let tls: Promise<Error> | null = null;
    conn.on('alert', () => {
      tls = rejection(conn.starttls());
    });
    await conn.noop().catch(() => undefined);
    const err = (await closed) as ImapConnectionError;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(['TLS_INJECTION', 'PROTOCOL']).toContain(err.code);
    expect(tls).not.toBeNull();
    expect(await tls!).toBeInstanceOf(ImapConnectionError);
    expect(conn.capabilities.has('INJECTED')).toBe(false);
  });
});

describe('nothing from before the TLS handshake survives it', () => {
  it('capabilities before TLS differ after: the post-TLS CAPABILITY wins', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED X-PRE] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: '$tag OK Begin TLS\r\n' },
      { startTls: true },
      { expect: /^T\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 AUTH=PLAIN X-POST\r\n$tag OK done\r\n' },
      { expect: /^T\d+ LOGIN / },
      { send: '$tag OK [CAPABILITY IMAP4rev1 X-AUTHED] logged in\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server, { auth: AUTH });
    expect(conn.secure).toBe(true);
    expect(conn.state).toBe('authenticated');
    expect([...conn.capabilities].sort()).toEqual(['IMAP4REV1', 'X-AUTHED']);
    expect(server.receivedText()).toMatch(
      /^T\d+ STARTTLS\r\nT\d+ CAPABILITY\r\nT\d+ LOGIN user "secret-pw"\r\n$/,
    );
  });

  it('a CAPABILITY code in the STARTTLS OK is not trusted: CAPABILITY is asked over TLS', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: '$tag OK [CAPABILITY IMAP4rev1 X-INJECTED AUTH=PLAIN] Begin TLS\r\n' },
      { startTls: true },
      { expect: /^T\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 X-POST\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    expect([...conn.capabilities].sort()).toEqual(['IMAP4REV1', 'X-POST']);
    expect(server.receivedText()).toMatch(/^T\d+ STARTTLS\r\nT\d+ CAPABILITY\r\n$/);
  });

  it('untagged state sent before STARTTLS (EXISTS, ALERT, CAPABILITY) does not survive', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      {
        send:
          '* CAPABILITY IMAP4rev1 X-INJECTED AUTH=PLAIN\r\n* 5 EXISTS\r\n' +
          '* OK [ALERT] pre-TLS alert\r\n$tag OK Begin TLS\r\n',
      },
      { startTls: true },
      { expect: /^T\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 X-POST\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    expect([...conn.capabilities].sort()).toEqual(['IMAP4REV1', 'X-POST']);
    expect(conn.hasCapability('X-INJECTED')).toBe(false);
    expect(conn.selected).toBeNull();
    expect(conn.state).toBe('not-authenticated');
    // Alerts are kept for the first listener, but not those from before TLS.
    const alerts: string[] = [];
    conn.on('alert', (text) => alerts.push(text));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(alerts).toEqual([]);
  });

  it('an ENABLED sent before STARTTLS does not switch the session to UTF-8 after it', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] hello\r\n' },
      { expect: /^T\d+ STARTTLS$/ },
      { send: '* ENABLED UTF8=ACCEPT CONDSTORE\r\n$tag OK Begin TLS\r\n' },
      { startTls: true },
      { expect: /^T\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 X-POST\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    expect([...conn.enabled]).toEqual([]);
    expect(conn.utf8Enabled).toBe(false);
  });
});
