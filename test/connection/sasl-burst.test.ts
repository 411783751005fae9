/**
 * SASL is lock-step (RFC 4422 section 3): a SCRAM server sending a burst of
 * `+` challenges must not make the client start a PBKDF2 for each. Counts the
 * derivations with a spy on node:crypto's pbkdf2 (no timing).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const derivations = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const pbkdf2 = ((...args: Parameters<typeof actual.pbkdf2>) => {
    derivations.count++;
    return actual.pbkdf2(...args);
  }) as typeof actual.pbkdf2;
  return { ...actual, default: { ...actual, pbkdf2 }, pbkdf2 };
});

const { ImapConnection } = await import('../../src/connection/connection.js');
const { ImapConnectionError } = await import('../../src/model/errors.js');
const { ScramSession } = await import('../../src/connection/sasl/scram.js');
const { rejection } = await import('../helpers/scripted-harness.js');
const { startScriptedServer } = await import('../helpers/scripted-server.js');
type ScriptedServer = Awaited<ReturnType<typeof startScriptedServer>>;

let scripted: ScriptedServer | null = null;
beforeEach(() => {
  derivations.count = 0;
});
afterEach(async () => {
  await scripted?.close();
  scripted = null;
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('a burst of SCRAM challenges', () => {
  it('closes the connection with a PROTOCOL error and starts one PBKDF2, not one per challenge', async () => {
    const answers: string[] = [];
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] hi\r\n');
      const line = await c.expect(/AUTHENTICATE SCRAM-SHA-256 /);
      const nonce = /r=([^,]+)/.exec(Buffer.from(line.split(' ')[3]!, 'base64').toString())![1]!;
      let burst = '';
      for (let k = 0; k < 16; k++) {
        burst += `+ ${b64(`r=${nonce}srv,s=${b64(`salt-${k}`)},i=4096`)}\r\n`;
      }
      await c.write(burst); // one write: every challenge before any answer
      answers.push(await c.readLine());
      await c.write('$tag NO done\r\n'); // (what the old client got to see)
      for (;;) answers.push(await c.readLine());
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const err = (await rejection(
      conn.authenticate({ username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }),
    )) as InstanceType<typeof ImapConnectionError>;
    expect(derivations.count).toBe(1);
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toMatch(/before the client answered the previous one/);
    expect(conn.closed).toBe(true);
    await scripted.settled();
    expect(answers).toEqual([]); // no client-final went out
  });

  it('ScramSession.prepare starts at most one derivation per session', async () => {
    const s = new ScramSession(
      'SHA-256',
      { username: 'u', password: 'pw' },
      { clientNonce: 'abc' },
    );
    s.initialResponse();
    const first = s.prepare(Buffer.from(`r=abcsrv,s=${b64('one')},i=4096`));
    const second = s.prepare(Buffer.from(`r=abcsrv,s=${b64('two')},i=4096`));
    expect(derivations.count).toBe(1);
    await Promise.all([first, second]);
    await s.prepare(Buffer.from(`r=abcsrv,s=${b64('three')},i=4096`));
    expect(derivations.count).toBe(1);
  });
});
