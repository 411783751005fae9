import { afterEach, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { captureLogger } from '../helpers/dovecot.js';
import {
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from '../helpers/scripted-server.js';
import { TEST_CERT } from '../helpers/tls-fixtures.js';

let server: ScriptedServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function scripted(script: Script): Promise<ScriptedServer> {
  server = await startScriptedServer(script);
  return server;
}

function options(s: ScriptedServer, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    host: '127.0.0.1',
    port: s.port,
    security: 'starttls',
    tls: { ca: TEST_CERT },
    timeouts: { command: 5000, greeting: 5000 },
    ...extra,
  };
}

async function connectError(opts: ConnectOptions): Promise<ImapConnectionError> {
  const err = await ImapConnection.connect(opts).then(
    () => {
      throw new Error('connect() should have failed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImapConnectionError);
  return err as ImapConnectionError;
}

describe('STARTTLS is required when asked for', () => {
  it('a server that does not advertise STARTTLS fails with TLS_REQUIRED and nothing is sent', async () => {
    const s = await scripted([
      { send: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no tls here\r\n' },
      { stall: true },
    ]);
    const err = await connectError(
      options(s, { auth: { username: 'alice', password: 'secret-pw' } }),
    );
    expect(err.code).toBe('TLS_REQUIRED');
    await s.sessions[0]!.closed();
    expect(s.receivedText()).toBe('');
  });

  it('a server asked for CAPABILITY that lacks STARTTLS fails with TLS_REQUIRED after only CAPABILITY', async () => {
    const s = await scripted([
      { send: '* OK ready\r\n' },
      { expect: /CAPABILITY/ },
      { send: '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    const err = await connectError(options(s));
    expect(err.code).toBe('TLS_REQUIRED');
    await s.sessions[0]!.closed();
    expect(s.receivedText()).toBe('A0 CAPABILITY\r\n');
  });

  it('a server refusing STARTTLS with NO fails with TLS_REQUIRED and the server text', async () => {
    const s = await scripted([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n' },
      { expect: /STARTTLS/ },
      { send: '$tag NO [UNAVAILABLE] TLS is broken today\r\n' },
      { stall: true },
    ]);
    const err = await connectError(
      options(s, { auth: { username: 'alice', password: 'secret-pw' } }),
    );
    expect(err.code).toBe('TLS_REQUIRED');
    expect(err.serverText).toBe('TLS is broken today');
    expect(err.responseCode).toEqual({ name: 'UNAVAILABLE' });
    await s.sessions[0]!.closed();
    expect(s.receivedText()).toBe('A0 STARTTLS\r\n');
  });

  it('bytes injected after the STARTTLS OK in the same packet close the connection (TLS_INJECTION)', async () => {
    const s = await scripted([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n' },
      { expect: /STARTTLS/ },
      { send: '$tag OK begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN\r\n' },
      { stall: true },
    ]);
    const err = await connectError(
      options(s, { auth: { username: 'alice', password: 'secret-pw' } }),
    );
    expect(err.code).toBe('TLS_INJECTION');
    await s.sessions[0]!.closed();
    expect(s.receivedText()).toBe('A0 STARTTLS\r\n');
  });

  it('injected bytes arriving in a later packet before the handshake also fail the connection', async () => {
    const s = await scripted([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n' },
      { expect: /STARTTLS/ },
      { send: '$tag OK begin TLS\r\n' },
      { wait: 20 },
      { send: 'A2 OK injected\r\n' },
      { stall: true },
    ]);
    const err = await connectError(options(s, { timeouts: { tls: 2000 } }));
    // The plaintext after the OK is read as a TLS record: the handshake fails.
    expect(['TLS_INJECTION', 'CONNECTION_FAILED', 'CONNECTION_CLOSED']).toContain(err.code);
    expect(s.receivedText().startsWith('A0 STARTTLS\r\n')).toBe(true);
    expect(s.receivedText()).not.toContain('LOGIN');
  });

  it('a PREAUTH greeting when STARTTLS is required is refused with TLS_REQUIRED (RFC 9051 6.2.1)', async () => {
    const s = await scripted([
      { send: '* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome, you are logged in\r\n' },
      { stall: true },
    ]);
    const err = await connectError(options(s));
    expect(err.code).toBe('TLS_REQUIRED');
    await s.sessions[0]!.closed();
    expect(s.receivedText()).toBe('');
  });

  it('after the handshake, pre-TLS capabilities are forgotten and CAPABILITY is asked again', async () => {
    const s = await scripted(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 STARTTLS X-PRETLS LOGINDISABLED] ready\r\n');
      await c.expect(/STARTTLS/);
      await c.write('$tag OK go\r\n');
      await c.startTls();
      await c.expect(/CAPABILITY/);
      await c.write('* CAPABILITY IMAP4rev1 AUTH=PLAIN X-POSTTLS\r\n$tag OK done\r\n');
      await c.expect(/NOOP/);
      await c.write('$tag OK noop\r\n');
      await c.closed();
    });
    const log = captureLogger();
    const conn = await ImapConnection.connect(options(s, { logger: log.logger }));
    expect(conn.secure).toBe(true);
    expect([...conn.capabilities].sort()).toEqual(['AUTH=PLAIN', 'IMAP4REV1', 'X-POSTTLS']);
    expect(conn.hasCapability('x-pretls')).toBe(false);
    await conn.noop();
    conn.close();
    expect(s.receivedText()).toBe('A0 STARTTLS\r\nA1 CAPABILITY\r\nA2 NOOP\r\n');
    expect(log.lines).toContain('debug: TLS established');
  });
});
