import { afterEach, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import {
  ImapCapabilityError,
  ImapConnectionError,
  ImapError,
  ImapProtocolError,
} from '../../src/model/errors.js';
import { Secret } from '../../src/model/secret.js';
import { captureLogger, freshLoopback, testServer } from '../helpers/dovecot.js';
import { rejection } from '../helpers/scripted-harness.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

const MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256'] as const;

let scripted: ScriptedServer | null = null;
afterEach(async () => {
  await scripted?.close();
  scripted = null;
});

function base(localAddress?: string) {
  const env = testServer();
  return {
    host: env.host,
    port: env.port,
    security: 'none' as const,
    ...(localAddress === undefined ? {} : { localAddress }),
  };
}

describe('AUTHENTICATE with every SASL mechanism Dovecot offers', () => {
  for (const mechanism of MECHANISMS) {
    it(`${mechanism} logs in, refreshes capabilities, and never logs the password`, async () => {
      const env = testServer();
      const log = captureLogger();
      const conn = await ImapConnection.connect({ ...base(), logger: log.logger });
      try {
        expect(conn.hasCapability(`AUTH=${mechanism}`)).toBe(true);
        const result = await conn.authenticate({
          username: 'alice',
          password: new Secret(env.users.alice!),
          mechanism,
        });
        expect(result.tagged.status).toBe('OK');
        expect(result.command).toMatch(new RegExp(`^A\\d+ AUTHENTICATE ${mechanism}`));
        expect(conn.state).toBe('authenticated');
        expect(conn.hasCapability('UIDPLUS')).toBe(true);
        const status = await conn.exec('STATUS', [
          { type: 'mailbox', value: 'INBOX' },
          { type: 'raw', value: '(MESSAGES)' },
        ]);
        expect(status.tagged.status).toBe('OK');
        const all = log.all();
        expect(all).not.toContain(env.users.alice!);
        expect(all).not.toContain(Buffer.from(env.users.alice!).toString('base64').slice(0, 12));
        const sent = log.lines.filter((l) => l.startsWith('C: '));
        expect(sent.some((l) => l.includes(`AUTHENTICATE ${mechanism}`))).toBe(true);
        // Every continuation answer is redacted.
        expect(sent.filter((l) => !/^C: A\d+ /.test(l)).every((l) => l === 'C: [redacted]')).toBe(
          true,
        );
      } finally {
        conn.close();
      }
    });

    it(`${mechanism} with a wrong password fails with NO [AUTHENTICATIONFAILED]`, async () => {
      const conn = await ImapConnection.connect(base(freshLoopback()));
      try {
        const err = (await rejection(
          conn.authenticate({ username: 'alice', password: 'wrong-password-x', mechanism }),
        )) as ImapProtocolError;
        expect(err).toBeInstanceOf(ImapProtocolError);
        expect(err.status).toBe('NO');
        expect(err.responseCode).toEqual({ name: 'AUTHENTICATIONFAILED' });
        expect(err.message).not.toContain('wrong-password-x');
        expect(conn.state).toBe('not-authenticated');
        // The connection is still usable.
        await conn.noop();
      } finally {
        conn.close();
      }
    });
  }

  it('without a mechanism the strongest offered one is chosen (SCRAM-SHA-256)', async () => {
    const log = captureLogger();
    const conn = await ImapConnection.connect({
      ...base(),
      logger: log.logger,
      auth: { username: 'bob', password: testServer().users.bob! },
    });
    conn.close();
    expect(log.lines.some((l) => /^C: A\d+ AUTHENTICATE SCRAM-SHA-256 \[redacted\]$/.test(l))).toBe(
      true,
    );
  });

  it('a mechanism the server does not offer is refused before anything is sent', async () => {
    const log = captureLogger();
    const conn = await ImapConnection.connect({ ...base(), logger: log.logger });
    try {
      const err = await rejection(
        conn.authenticate({ username: 'alice', accessToken: 'tok', mechanism: 'XOAUTH2' }),
      );
      expect(err).toBeInstanceOf(ImapCapabilityError);
      expect(log.lines.filter((l) => l.startsWith('C: '))).toEqual([]);
    } finally {
      conn.close();
    }
  });
});

describe('AUTHENTICATE against scripted servers', () => {
  it('without SASL-IR the initial response goes in answer to the empty challenge', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n');
      await c.expect(/AUTHENTICATE PLAIN$/);
      await c.write('+ \r\n');
      const line = await c.readLine();
      const ok = Buffer.from(line, 'base64').toString() === '\u0000alice\u0000pw-plain';
      await c.write(ok ? '$tag OK [CAPABILITY IMAP4rev1 X-AFTER] welcome\r\n' : '$tag NO bad\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
      auth: { username: 'alice', password: 'pw-plain' },
    });
    expect(conn.state).toBe('authenticated');
    expect([...conn.capabilities]).toEqual(['IMAP4REV1', 'X-AFTER']);
    conn.close();
  });

  it('a SCRAM server that says OK without proving itself gets the connection closed (code AUTH)', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] hi\r\n');
      const line = await c.expect(/AUTHENTICATE SCRAM-SHA-256 /);
      const clientFirst = Buffer.from(line.split(' ')[3]!, 'base64').toString();
      const nonce = /r=([^,]+)/.exec(clientFirst)![1]!;
      const serverFirst = `r=${nonce}srv,s=${Buffer.from('salt-salt').toString('base64')},i=4096`;
      await c.write(`+ ${Buffer.from(serverFirst).toString('base64')}\r\n`);
      await c.readLine(); // client-final
      await c.write('$tag OK trust me\r\n');
      await c.closed();
    });
    const closes: (Error | null)[] = [];
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    conn.on('close', (e) => closes.push(e));
    const err = (await rejection(
      conn.authenticate({ username: 'alice', password: 'pw-scram', mechanism: 'SCRAM-SHA-256' }),
    )) as ImapConnectionError;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(err.code).toBe('AUTH');
    expect(conn.closed).toBe(true);
    expect(closes.length).toBe(1);
    expect(err.message).not.toContain('pw-scram');
  });

  it('a hostile SCRAM challenge is cancelled with `*` and reported as an AUTH error', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-1] hi\r\n');
      await c.expect(/AUTHENTICATE SCRAM-SHA-1 /);
      // A nonce that does not start with the client's: must be refused.
      await c.write(`+ ${Buffer.from('r=evil,s=c2FsdA==,i=4096').toString('base64')}\r\n`);
      const answer = await c.readLine();
      await c.write(answer === '*' ? '$tag BAD cancelled\r\n' : '$tag OK ???\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const err = (await rejection(
      conn.authenticate({ username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-1' }),
    )) as ImapError;
    expect(err).toBeInstanceOf(ImapError);
    expect(err.code).toBe('AUTH');
    expect(err.serverText).toBe('cancelled');
    expect(conn.state).toBe('not-authenticated');
    conn.close();
  });

  it.each([
    ['by default', '*', {}],
    ['with minScramIterations: 1', 'a proof', { minScramIterations: 1 }],
  ])(
    "a SCRAM server asking for i=1 (below RFC 7677's 4096) %s gets %s",
    async (_name, expected, extra) => {
      let answer = '';
      scripted = await startScriptedServer(async (c) => {
        await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] hi\r\n');
        const line = await c.expect(/AUTHENTICATE SCRAM-SHA-256 /);
        const clientFirst = Buffer.from(line.split(' ')[3]!, 'base64').toString();
        const nonce = /r=([^,]+)/.exec(clientFirst)![1]!;
        await c.write(`+ ${Buffer.from(`r=${nonce}srv,s=c2FsdA==,i=1`).toString('base64')}\r\n`);
        answer = await c.readLine();
        await c.write('$tag NO [AUTHENTICATIONFAILED] no\r\n');
        await c.closed();
      });
      const conn = await ImapConnection.connect({
        host: '127.0.0.1',
        port: scripted.port,
        security: 'none',
        ...extra,
      });
      const err = (await rejection(
        conn.authenticate({ username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }),
      )) as ImapError;
      conn.close();
      if (expected === '*') {
        expect(answer).toBe('*');
        expect(err.code).toBe('AUTH');
        expect(err.message).toMatch(/asks for 1 iterations, fewer than the minimum of 4096/);
      } else {
        expect(Buffer.from(answer, 'base64').toString()).toMatch(/^c=biws,r=.*srv,p=/);
        expect(err).toBeInstanceOf(ImapProtocolError);
      }
    },
  );

  it('a server that says OK to an exchange the client cancelled leaves the connection closed, not logged in', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-1] hi\r\n');
      await c.expect(/AUTHENTICATE SCRAM-SHA-1 /);
      await c.write(`+ ${Buffer.from('r=evil,s=c2FsdA==,i=4096').toString('base64')}\r\n`);
      await c.readLine(); // the client's `*`
      await c.write('$tag OK logged in anyway\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const err = (await rejection(
      conn.authenticate({ username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-1' }),
    )) as ImapError;
    expect(err.code).toBe('AUTH');
    expect(err.message).toMatch(
      /accepted an AUTHENTICATE SCRAM-SHA-1 exchange the client cancelled/,
    );
    expect(conn.closed).toBe(true);
  });

  it.each(['XOAUTH2', 'OAUTHBEARER'])(
    "%s: success after the server's error challenge is refused and the connection closed",
    async (mechanism) => {
      scripted = await startScriptedServer(async (c) => {
        await c.write(`* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=${mechanism}] hi\r\n`);
        await c.expect(new RegExp(`AUTHENTICATE ${mechanism} `));
        const error = JSON.stringify({ status: '401', schemes: 'bearer' });
        await c.write(`+ ${Buffer.from(error).toString('base64')}\r\n`);
        await c.readLine(); // the client's empty (or ^A) answer
        await c.write('$tag OK welcome\r\n');
        await c.closed();
      });
      const conn = await ImapConnection.connect({
        host: '127.0.0.1',
        port: scripted.port,
        security: 'none',
      });
      const err = (await rejection(
        conn.authenticate({
          username: 'alice',
          accessToken: 'tok',
          mechanism: mechanism as 'XOAUTH2' | 'OAUTHBEARER',
        }),
      )) as ImapError;
      expect(err.code).toBe('AUTH');
      expect(err.message).toMatch(/success after an error challenge/);
      expect(conn.closed).toBe(true);
    },
  );
});
