/**
 * Regressions of the SASL review (round 7): an authzid never silently
 * dropped, lock-step SCRAM challenges (at most one PBKDF2 per session), OAuth
 * error fields sanitized, a SCRAM server failing its proof closes the
 * connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapCapabilityError, ImapConnectionError, ImapError } from '../../src/model/errors.js';
import { rejection } from '../helpers/scripted-harness.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let scripted: ScriptedServer | null = null;
afterEach(async () => {
  await scripted?.close();
  scripted = null;
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A server that greets with `caps` and says OK to every command (LOGIN too). */
async function permissiveServer(caps: string): Promise<ScriptedServer> {
  return startScriptedServer(async (c) => {
    await c.write(`* OK [CAPABILITY IMAP4rev1${caps === '' ? '' : ' ' + caps}] hi\r\n`);
    for (;;) {
      const line = await c.readLine();
      const tag = line.split(' ')[0];
      await c.write(`${tag} OK done\r\n`);
    }
  });
}

describe('an authzid is never dropped by falling back to the LOGIN command', () => {
  it.each([
    ['only AUTH=LOGIN AUTH=CRAM-MD5', 'AUTH=LOGIN AUTH=CRAM-MD5'],
    ['no AUTH= at all', ''],
  ])('automatic choice against a server with %s: refused, nothing sent', async (_name, caps) => {
    scripted = await permissiveServer(caps);
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const err = await rejection(
      conn.authenticate({ username: 'admin', password: 'pw', authzid: 'bob' }),
    );
    expect(err).toBeInstanceOf(ImapCapabilityError);
    expect(err.message).toMatch(
      /^neither the mechanisms the server offers nor the LOGIN command can carry an authorization identity \(authzid\)/,
    );
    expect(err.message).toMatch(/SCRAM-SHA-256, SCRAM-SHA-1, PLAIN or OAUTHBEARER/);
    expect(conn.state).toBe('not-authenticated');
    await conn.noop(); // still usable
    conn.close();
    expect(scripted.receivedText()).not.toMatch(/LOGIN|AUTHENTICATE/);
  });

  it("mechanism 'LOGIN-COMMAND' with an authzid: refused, nothing sent", async () => {
    scripted = await permissiveServer('AUTH=PLAIN');
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const err = (await rejection(
      conn.authenticate({
        username: 'admin',
        password: 'pw',
        authzid: 'bob',
        mechanism: 'LOGIN-COMMAND',
      }),
    )) as ImapError;
    expect(err).toBeInstanceOf(ImapError);
    expect(err.code).toBe('AUTH');
    expect(err.message).toMatch(/^the LOGIN command cannot carry an authorization identity/);
    expect(err.message).toMatch(/SCRAM-SHA-256, SCRAM-SHA-1, PLAIN or OAUTHBEARER/);
    expect(conn.state).toBe('not-authenticated');
    await conn.noop();
    conn.close();
    expect(scripted.receivedText()).not.toMatch(/LOGIN|AUTHENTICATE/);
  });

  it('an empty authzid still falls back to the LOGIN command', async () => {
    scripted = await permissiveServer('');
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const result = await conn.authenticate({ username: 'admin', password: 'pw', authzid: '' });
    expect(result.command).toMatch(/^A\d+ LOGIN /);
    conn.close();
  });
});

describe("the OAuth server's error fields in an error message", () => {
  it.each(['OAUTHBEARER', 'XOAUTH2'])(
    '%s: status and scope with CR, LF and ESC are escaped',
    async (mechanism) => {
      scripted = await startScriptedServer(async (c) => {
        await c.write(`* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=${mechanism}] hi\r\n`);
        await c.expect(new RegExp(`AUTHENTICATE ${mechanism} `));
        const error = JSON.stringify({
          status: '401\u001b[2J',
          scope: 'mail\r\n2024-01-01 INFO login ok user=admin',
        });
        await c.write(`+ ${b64(error)}\r\n`);
        await c.readLine(); // the client's answer to the error challenge
        await c.write('$tag NO failed\r\n');
        await c.closed();
      });
      const conn = await ImapConnection.connect({
        host: '127.0.0.1',
        port: scripted.port,
        security: 'none',
      });
      const err = await rejection(
        conn.authenticate({
          username: 'alice',
          accessToken: 'tok',
          mechanism: mechanism as 'XOAUTH2' | 'OAUTHBEARER',
        }),
      );
      conn.close();
      expect(err.message).not.toMatch(/[\r\n\u001b]/);
      expect(err.message).toContain('OAuth status 401\\x1b[2J');
      expect(err.message).toContain('scope mail\\x0d\\x0a2024-01-01 INFO');
    },
  );
});

describe('a SCRAM server-final message that does not prove the server', () => {
  /** Answers the client-first and client-final messages, then sends `serverFinal` as a `+`. */
  async function scramServer(serverFinal: string, got: string[]): Promise<ScriptedServer> {
    return startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] hi\r\n');
      const line = await c.expect(/AUTHENTICATE SCRAM-SHA-256 /);
      const nonce = /r=([^,]+)/.exec(Buffer.from(line.split(' ')[3]!, 'base64').toString())![1]!;
      await c.write(`+ ${b64(`r=${nonce}srv,s=${b64('salt-salt')},i=4096`)}\r\n`);
      await c.readLine(); // client-final
      await c.write(`+ ${b64(serverFinal)}\r\n`);
      got.push(await c.readLine()); // the old client's `*`
      await c.write('$tag BAD cancelled\r\n');
      for (;;) got.push(await c.readLine());
    });
  }

  it.each([
    ['a wrong v=', `v=${b64('x'.repeat(32))}`, /the server signature does not match/],
    ['no v=', 'x=unexpected', /lacks the v= attribute/],
  ])(
    '%s closes the connection with ImapConnectionError AUTH, as documented',
    async (_name, serverFinal, why) => {
      const got: string[] = [];
      scripted = await scramServer(serverFinal, got);
      const conn = await ImapConnection.connect({
        host: '127.0.0.1',
        port: scripted.port,
        security: 'none',
      });
      const err = (await rejection(
        conn.authenticate({ username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }),
      )) as ImapConnectionError;
      expect(err).toBeInstanceOf(ImapConnectionError);
      expect(err.code).toBe('AUTH');
      expect(err.message).toMatch(/did not prove its identity/);
      expect(err.message).toMatch(why);
      expect(conn.closed).toBe(true);
      await scripted.settled();
      expect(got).toEqual([]); // closed at once, no `*`
    },
  );

  it("the server's own e= error in server-final is still a cancelled exchange (AUTH, open)", async () => {
    const got: string[] = [];
    scripted = await scramServer('e=invalid-proof', got);
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const err = (await rejection(
      conn.authenticate({ username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }),
    )) as ImapError;
    expect(err).not.toBeInstanceOf(ImapConnectionError);
    expect(err.code).toBe('AUTH');
    expect(err.message).toMatch(/the server reports an error: invalid-proof/);
    expect(got).toEqual(['*']);
    expect(conn.state).toBe('not-authenticated');
    conn.close();
  });
});
