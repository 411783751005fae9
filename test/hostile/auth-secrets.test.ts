/**
 * Authentication against a scripted server: with a trace logger capturing
 * everything, no password, token or AUTHENTICATE payload ever reaches the
 * log or an error, for LOGIN and every SASL mechanism; a hostile SCRAM
 * server asking for 10^9 iterations is refused at once.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import type { ImapConnection } from '../../src/connection/connection.js';
import type { AuthOptions, Logger } from '../../src/connection/types.js';
import { ImapError, ImapProtocolError } from '../../src/model/errors.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';
import type { ScriptedConnection, ScriptedServer } from '../helpers/scripted-server.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

const PASSWORD = 'Pa55 w0rd"XYZZY\\é';
const TOKEN = 'ya29.T0KEN-SECRET-QUUX';
const USER = 'alice@example.com';

const { serve, connect } = useScriptedServers();

/** A logger keeping everything it is given, at every level, as text. */
function recordingLogger(): Logger & { text(): string; entries: string[] } {
  const entries: string[] = [];
  const record =
    (level: string) =>
    (obj: object, msg?: string): void => {
      entries.push(`${level} ${inspect(obj, { depth: 10, showHidden: true })} ${msg ?? ''}`);
    };
  return {
    entries,
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    text: () => entries.join('\n'),
  };
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** Every string that must never be logged: the secrets and what the client sent while authenticating. */
function forbidden(server: ScriptedServer): string[] {
  const out = new Set<string>([
    PASSWORD,
    TOKEN,
    'XYZZY',
    'QUUX',
    b64(PASSWORD),
    b64(TOKEN),
    JSON.stringify(PASSWORD).slice(1, -1),
  ]);
  const lines = server.receivedText().split('\r\n');
  let inAuth = false;
  for (const line of lines) {
    const m = /^T\d+ (AUTHENTICATE \S+|LOGIN)(?: (.*))?$/.exec(line);
    if (m !== null) {
      inAuth = m[1]!.startsWith('AUTHENTICATE');
      if (m[2] !== undefined && m[2].length >= 4) {
        out.add(m[1] === 'LOGIN' ? m[2].split(' ').slice(1).join(' ') : m[2]);
      }
      continue;
    }
    if (/^T\d+ /.test(line)) inAuth = false;
    else if (inAuth && line.length >= 4) out.add(line);
  }
  return [...out].filter((s) => s.length >= 4);
}

function expectNoSecrets(log: string, server: ScriptedServer, ...errors: unknown[]): void {
  const texts = [
    log,
    ...errors.map((e) => inspect(e, { depth: 10, showHidden: true })),
    ...errors.map((e) => JSON.stringify(e) ?? ''),
  ];
  for (const secret of forbidden(server)) {
    for (const t of texts) expect(t.includes(secret), `"${secret}" leaked`).toBe(false);
  }
}

const CAPS = (extra: string) => `* OK [CAPABILITY IMAP4rev1 ${extra}] ready\r\n`;

/** Reads the AUTHENTICATE line and the client's first payload (SASL-IR or after `+ `). */
async function firstPayload(c: ScriptedConnection, mech: string): Promise<Buffer> {
  const line = await c.expect(new RegExp(`^T\\d+ AUTHENTICATE ${mech}( |$)`));
  const ir = line.split(' ')[3];
  if (ir !== undefined) return ir === '=' ? Buffer.alloc(0) : unb64(ir);
  await c.write('+ \r\n');
  return unb64(await c.readLine());
}

async function authenticate(
  caps: string,
  script: (c: ScriptedConnection) => Promise<void>,
  credentials: AuthOptions,
): Promise<{
  server: ScriptedServer;
  log: string;
  error: unknown;
  conn: ImapConnection;
  state: string;
  elapsed: number;
}> {
  const server = await serve(async (c) => {
    await c.write(CAPS(caps));
    await script(c);
    await c.closed();
  });
  const logger = recordingLogger();
  const conn = await connect(server, { logger });
  let error: unknown = null;
  const t0 = Date.now();
  try {
    await conn.authenticate(credentials);
  } catch (e) {
    error = e;
  }
  const elapsed = Date.now() - t0;
  const state = conn.state;
  conn.close();
  await server.close();
  // The trace logger saw the session: it really was capturing.
  expect(logger.text()).toMatch(/C: T\d+ (AUTHENTICATE|LOGIN)/);
  return { server, log: logger.text(), error, conn, state, elapsed };
}

const OK_THEN_NOOP = async (c: ScriptedConnection, tag: string) => {
  await c.write(`${tag} OK [CAPABILITY IMAP4rev1] welcome\r\n`);
};

describe('no secret in logs or errors', () => {
  it('LOGIN command (password needing quoting)', async () => {
    const size = Buffer.byteLength(PASSWORD);
    const { server, log, error, state } = await authenticate(
      'AUTH=PLAIN',
      async (c) => {
        await c.expect(new RegExp(`^T\\d+ LOGIN ${USER} \\{${size}\\}$`));
        await c.write('+ go ahead\r\n');
        await c.readBytes(size);
        await c.readLine();
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, password: PASSWORD, mechanism: 'LOGIN-COMMAND' },
    );
    expect(error).toBeNull();
    expect(state).toBe('authenticated');
    expect(Buffer.from(server.receivedText(), 'latin1').toString('utf8')).toMatch(
      new RegExp(
        `^T\\d+ LOGIN ${USER} \\{${size}\\}\r\n${PASSWORD.replace(/[\\"]/g, '\\$&')}\r\n$`,
      ),
    );
    expectNoSecrets(log, server);
  });

  it('LOGIN command refused: the error names the command without the password', async () => {
    const { server, log, error } = await authenticate(
      'LITERAL+',
      async (c) => {
        await c.expect(/^T\d+ LOGIN /);
        await c.readLine();
        await c.write('$tag NO [AUTHENTICATIONFAILED] wrong password\r\n');
      },
      { username: USER, password: PASSWORD, mechanism: 'LOGIN-COMMAND' },
    );
    expect(error).toBeInstanceOf(ImapProtocolError);
    expect((error as ImapProtocolError).responseCode).toEqual({ name: 'AUTHENTICATIONFAILED' });
    expect((error as ImapProtocolError).command).toMatch(/LOGIN .*\[redacted\]/);
    expectNoSecrets(log, server, error);
  });

  it.each([
    ['with SASL-IR', 'AUTH=PLAIN SASL-IR'],
    ['without SASL-IR', 'AUTH=PLAIN'],
  ])('AUTHENTICATE PLAIN %s', async (_n, caps) => {
    let got: Buffer | null = null;
    const { server, log, error } = await authenticate(
      caps,
      async (c) => {
        got = await firstPayload(c, 'PLAIN');
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, password: PASSWORD, mechanism: 'PLAIN' },
    );
    expect(error).toBeNull();
    expect(got).toEqual(Buffer.from(`\0${USER}\0${PASSWORD}`));
    expectNoSecrets(log, server);
  });

  it('AUTHENTICATE PLAIN refused', async () => {
    const { server, log, error } = await authenticate(
      'AUTH=PLAIN SASL-IR',
      async (c) => {
        await firstPayload(c, 'PLAIN');
        await c.write('$tag NO [AUTHENTICATIONFAILED] nope\r\n');
      },
      { username: USER, password: PASSWORD, mechanism: 'PLAIN' },
    );
    expect(error).toBeInstanceOf(ImapProtocolError);
    expectNoSecrets(log, server, error);
  });

  it('AUTHENTICATE LOGIN (the SASL mechanism)', async () => {
    const answers: string[] = [];
    const { server, log, error } = await authenticate(
      'AUTH=LOGIN SASL-IR',
      async (c) => {
        await c.expect(/^T\d+ AUTHENTICATE LOGIN$/);
        await c.write(`+ ${b64('Username:')}\r\n`);
        answers.push(unb64(await c.readLine()).toString());
        await c.write(`+ ${b64('Password:')}\r\n`);
        answers.push(unb64(await c.readLine()).toString());
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, password: PASSWORD, mechanism: 'LOGIN' },
    );
    expect(error).toBeNull();
    expect(answers).toEqual([USER, PASSWORD]);
    expectNoSecrets(log, server);
  });

  it('AUTHENTICATE CRAM-MD5', async () => {
    const challenge = '<1896.697170952@postoffice.example.net>';
    let answer = '';
    const { server, log, error } = await authenticate(
      'AUTH=CRAM-MD5',
      async (c) => {
        await c.expect(/^T\d+ AUTHENTICATE CRAM-MD5$/);
        await c.write(`+ ${b64(challenge)}\r\n`);
        answer = unb64(await c.readLine()).toString();
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, password: PASSWORD, mechanism: 'CRAM-MD5' },
    );
    expect(error).toBeNull();
    const digest = createHmac('md5', PASSWORD).update(challenge).digest('hex');
    expect(answer).toBe(`${USER} ${digest}`);
    expectNoSecrets(log, server);
    expect(log.includes(digest)).toBe(false);
  });

  it.each([
    ['with SASL-IR', 'AUTH=SCRAM-SHA-256 SASL-IR'],
    ['without SASL-IR', 'AUTH=SCRAM-SHA-256'],
  ])('AUTHENTICATE SCRAM-SHA-256 %s (server proves itself)', async (_n, caps) => {
    let proofOk = false;
    const { server, log, error } = await authenticate(
      caps,
      async (c) => {
        proofOk = await scramServer(c, PASSWORD, 4096);
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, password: PASSWORD, mechanism: 'SCRAM-SHA-256' },
    );
    expect(error).toBeNull();
    expect(proofOk).toBe(true);
    expectNoSecrets(log, server);
  });

  it('AUTHENTICATE XOAUTH2', async () => {
    let got = '';
    const { server, log, error } = await authenticate(
      'AUTH=XOAUTH2 SASL-IR',
      async (c) => {
        got = (await firstPayload(c, 'XOAUTH2')).toString();
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, accessToken: TOKEN, mechanism: 'XOAUTH2' },
    );
    expect(error).toBeNull();
    expect(got).toBe(`user=${USER}\x01auth=Bearer ${TOKEN}\x01\x01`);
    expectNoSecrets(log, server);
  });

  it('AUTHENTICATE XOAUTH2 refused with a JSON error challenge', async () => {
    let second = '';
    const { server, log, error } = await authenticate(
      'AUTH=XOAUTH2 SASL-IR',
      async (c) => {
        await firstPayload(c, 'XOAUTH2');
        await c.write(
          `+ ${b64('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')}\r\n`,
        );
        second = await c.readLine();
        await c.write('$tag NO [AUTHENTICATIONFAILED] Invalid credentials\r\n');
      },
      { username: USER, accessToken: TOKEN, mechanism: 'XOAUTH2' },
    );
    expect(second).toBe('');
    expect(error).toBeInstanceOf(ImapProtocolError);
    // The server's JSON reason reaches the caller.
    expect((error as Error).message).toMatch(
      /OAuth status 401, scope https:\/\/mail\.google\.com\//,
    );
    expectNoSecrets(log, server, error);
  });

  it('AUTHENTICATE OAUTHBEARER (and its error path)', async () => {
    let got = '';
    let second = '';
    const { server, log, error } = await authenticate(
      'AUTH=OAUTHBEARER SASL-IR',
      async (c) => {
        got = (await firstPayload(c, 'OAUTHBEARER')).toString();
        await c.write(`+ ${b64('{"status":"invalid_token"}')}\r\n`);
        second = unb64(await c.readLine()).toString('latin1');
        await c.write('$tag NO [AUTHENTICATIONFAILED] token expired\r\n');
      },
      { username: USER, accessToken: TOKEN, mechanism: 'OAUTHBEARER' },
    );
    expect(got).toContain(`auth=Bearer ${TOKEN}\x01\x01`);
    expect(got.startsWith(`n,a=${USER},`)).toBe(true);
    expect(second).toBe('\x01');
    expect(error).toBeInstanceOf(ImapProtocolError);
    expectNoSecrets(log, server, error);
  });

  it('automatic mechanism choice with a password picks SCRAM-SHA-256 and leaks nothing', async () => {
    const { server, log, error, state } = await authenticate(
      'AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256 SASL-IR',
      async (c) => {
        await scramServer(c, PASSWORD, 4096);
        await OK_THEN_NOOP(c, c.tag);
      },
      { username: USER, password: PASSWORD },
    );
    expect(error).toBeNull();
    expect(state).toBe('authenticated');
    expect(server.receivedText()).toMatch(/^T\d+ AUTHENTICATE SCRAM-SHA-256 /);
    expectNoSecrets(log, server);
  });
});

describe('hostile SCRAM server', () => {
  it.each([
    ['10^9', 1_000_000_000],
    ['one over the default cap', 600_001],
  ])('an iteration count of %s is refused quickly with an AUTH error', async (_n, iterations) => {
    let cancel = '';
    const { server, log, error, state, elapsed } = await authenticate(
      'AUTH=SCRAM-SHA-256 SASL-IR',
      async (c) => {
        const first = (await firstPayload(c, 'SCRAM-SHA-256')).toString();
        const nonce = /r=([^,]+)/.exec(first)![1]!;
        await c.write(`+ ${b64(`r=${nonce}srv,s=${b64('salt')},i=${iterations}`)}\r\n`);
        cancel = await c.readLine();
        await c.write('$tag BAD [CLIENTBUG] exchange cancelled\r\n');
      },
      { username: USER, password: PASSWORD, mechanism: 'SCRAM-SHA-256' },
    );
    expect(elapsed).toBeLessThan(1000);
    expect(cancel).toBe('*');
    expect(error).toBeInstanceOf(ImapError);
    expect((error as ImapError).code).toBe('AUTH');
    expect((error as Error).message).toMatch(/iterations/);
    expect(state).toBe('not-authenticated');
    expectNoSecrets(log, server, error);
  });

  it('a server that says OK without a valid server signature is not trusted (AUTH, closed)', async () => {
    const { server, log, error, conn } = await authenticate(
      'AUTH=SCRAM-SHA-256 SASL-IR',
      async (c) => {
        const first = (await firstPayload(c, 'SCRAM-SHA-256')).toString();
        const nonce = /r=([^,]+)/.exec(first)![1]!;
        await c.write(`+ ${b64(`r=${nonce}srv,s=${b64('salt')},i=4096`)}\r\n`);
        await c.readLine();
        await c.write('$tag OK welcome, trust me\r\n');
      },
      { username: USER, password: PASSWORD, mechanism: 'SCRAM-SHA-256' },
    );
    expect(error).toBeInstanceOf(ImapError);
    expect((error as ImapError).code).toBe('AUTH');
    expect((error as Error).message).toMatch(/did not prove its identity/);
    expect(conn.closed).toBe(true);
    expectNoSecrets(log, server, error);
  });
});

/**
 * The server side of SCRAM-SHA-256 (RFC 5802/7677): checks the client's
 * proof and sends its signature. Returns whether the proof was right.
 */
async function scramServer(c: ScriptedConnection, password: string, iterations: number) {
  const clientFirst = (await firstPayload(c, 'SCRAM-SHA-256')).toString();
  const gs2 = clientFirst.slice(0, clientFirst.indexOf(',', clientFirst.indexOf(',') + 1) + 1);
  const clientFirstBare = clientFirst.slice(gs2.length);
  const nonce = /r=([^,]+)/.exec(clientFirstBare)![1]! + randomBytes(9).toString('base64');
  const salt = randomBytes(16);
  const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
  await c.write(`+ ${b64(serverFirst)}\r\n`);
  const clientFinal = unb64(await c.readLine()).toString();
  const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
  const proof = Buffer.from(clientFinal.slice(clientFinal.lastIndexOf(',p=') + 3), 'base64');
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const signature = hmac(storedKey, authMessage);
  const recovered = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
  const ok =
    recovered.length === 32 &&
    timingSafeEqual(createHash('sha256').update(recovered).digest(), storedKey);
  const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
  await c.write(`+ ${b64(`v=${serverSignature.toString('base64')}`)}\r\n`);
  const last = await c.readLine();
  return ok && last === '';
}
