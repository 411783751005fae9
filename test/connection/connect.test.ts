import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import {
  ImapArgumentError,
  ImapConnectionError,
  ImapProtocolError,
  ImapStateError,
} from '../../src/model/errors.js';
import {
  captureLogger,
  connectAlice,
  connectStarttls,
  freshLoopback,
  plainOptions,
  testServer,
  tlsOptions,
} from '../helpers/dovecot.js';
import { rejection } from '../helpers/scripted-harness.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

const open: ImapConnection[] = [];
let scripted: ScriptedServer | null = null;

function track(conn: ImapConnection): ImapConnection {
  open.push(conn);
  return conn;
}

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await scripted?.close();
  scripted = null;
});

describe('connecting to Dovecot', () => {
  it('reads the greeting and its CAPABILITY code, then refreshes capabilities after LOGIN', async () => {
    const env = testServer();
    const log = captureLogger();
    const conn = track(
      await ImapConnection.connect({
        host: env.host,
        port: env.port,
        security: 'none',
        logger: log.logger,
      }),
    );
    expect(conn.greeting).toMatchObject({ kind: 'untagged', name: 'OK' });
    expect(conn.state).toBe('not-authenticated');
    expect(conn.secure).toBe(false);
    expect(conn.hasCapability('imap4rev1')).toBe(true);
    expect(conn.hasCapability('AUTH=SCRAM-SHA-256')).toBe(true);
    expect(conn.hasCapability('STARTTLS')).toBe(true);
    expect(conn.hasCapability('UIDPLUS')).toBe(false); // post-login only
    expect(conn.literalMode).toBe('plus');

    await conn.login('alice', env.users.alice!);
    expect(conn.state).toBe('authenticated');
    expect(conn.hasCapability('UIDPLUS')).toBe(true);
    expect(conn.hasCapability('AUTH=PLAIN')).toBe(false);
    // Dovecot sends [CAPABILITY] in the LOGIN completion: no CAPABILITY command needed.
    expect(log.lines.filter((l) => l.startsWith('C: ')).map((l) => l.split(' ')[2])).toEqual([
      'LOGIN',
    ]);

    const caps = await conn.capability();
    expect(caps.has('IDLE')).toBe(true);
  });

  it('STARTTLS verifies the certificate with the CA, forgets pre-TLS capabilities and asks again', async () => {
    const log = captureLogger();
    const conn = track(await connectStarttls('alice', { logger: log.logger }));
    expect(conn.secure).toBe(true);
    expect(conn.state).toBe('authenticated');
    expect(conn.hasCapability('STARTTLS')).toBe(false);
    const sent = log.lines.filter((l) => l.startsWith('C: ')).map((l) => l.split(' ')[2]);
    expect(sent.slice(0, 3)).toEqual(['STARTTLS', 'CAPABILITY', 'AUTHENTICATE']);
  });

  it('implicit TLS on the TLS port', async () => {
    const env = testServer();
    const conn = track(
      await ImapConnection.connect({
        host: 'localhost',
        port: env.tlsPort,
        security: 'tls',
        tls: tlsOptions(),
        auth: { username: 'bob', password: env.users.bob! },
      }),
    );
    expect(conn.secure).toBe(true);
    expect(conn.state).toBe('authenticated');
    const r = await conn.exec('SELECT', [{ type: 'mailbox', value: 'INBOX' }]);
    expect(r.tagged.status).toBe('OK');
    expect(conn.selected?.name).toBe('INBOX');
    expect(conn.state).toBe('selected');
  });

  it('rejects a certificate it cannot verify (no CA given): implicit TLS and STARTTLS', async () => {
    const env = testServer();
    const e1 = (await rejection(
      ImapConnection.connect({ host: env.host, port: env.tlsPort, security: 'tls' }),
    )) as ImapConnectionError;
    expect(e1).toBeInstanceOf(ImapConnectionError);
    expect(e1.code).toBe('CONNECTION_FAILED');
    expect(e1.message).toMatch(/certificate/i);

    const e2 = (await rejection(
      ImapConnection.connect({ host: env.host, port: env.port, security: 'starttls' }),
    )) as ImapConnectionError;
    expect(e2).toBeInstanceOf(ImapConnectionError);
    expect(e2.message).toMatch(/certificate/i);
  });

  it('rejects a certificate for another host name', async () => {
    const env = testServer();
    const err = (await rejection(
      ImapConnection.connect({
        host: env.host,
        port: env.tlsPort,
        security: 'tls',
        tls: { ...tlsOptions(), servername: 'imap.example.org' },
      }),
    )) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toMatch(/imap\.example\.org|altnames|Hostname/i);
  });

  it('a wrong password fails with ImapProtocolError NO [AUTHENTICATIONFAILED] (LOGIN and AUTHENTICATE)', async () => {
    const env = testServer();
    for (const mechanism of ['LOGIN-COMMAND', 'PLAIN', undefined]) {
      const err = (await rejection(
        ImapConnection.connect({
          host: env.host,
          port: env.port,
          security: 'none',
          localAddress: freshLoopback(), // Dovecot's auth penalty is per client IP
          auth: {
            username: 'alice',
            password: 'not-the-password',
            ...(mechanism ? { mechanism } : {}),
          },
        }),
      )) as ImapProtocolError;
      expect(err).toBeInstanceOf(ImapProtocolError);
      expect(err.status).toBe('NO');
      expect(err.code).toBe('PROTOCOL_NO');
      expect(err.responseCode).toEqual({ name: 'AUTHENTICATIONFAILED' });
      expect(err.message).not.toContain('not-the-password');
      expect(err.command ?? '').not.toContain('not-the-password');
    }
  });

  it('a refused TCP connection fails with CONNECTION_FAILED', async () => {
    const err = (await rejection(
      ImapConnection.connect({ host: '127.0.0.1', port: 1, security: 'none' }),
    )) as ImapConnectionError;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(err.code).toBe('CONNECTION_FAILED');
  });

  it('negotiates ID and ENABLE after login when asked', async () => {
    const conn = track(
      await connectAlice({
        id: new Map([['name', 'imapkit-tests']]),
        enable: ['CONDSTORE', 'X-NOT-OFFERED'],
      }),
    );
    expect(conn.enabled.has('CONDSTORE')).toBe(true);
    expect(conn.enabled.has('X-NOT-OFFERED')).toBe(false);
    const fields = await conn.id(null);
    expect(fields?.get('name')).toBe('Dovecot');
  });

  it('login() refuses to send the password when the server announces LOGINDISABLED', async () => {
    scripted = await startScriptedServer([
      { send: '* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] hi\r\n' },
      { stall: true },
    ]);
    const conn = track(
      await ImapConnection.connect({ host: '127.0.0.1', port: scripted.port, security: 'none' }),
    );
    const err = await rejection(conn.login('alice', 'pw-123'));
    expect(err).toBeInstanceOf(ImapStateError);
    expect(err.message).toMatch(/STARTTLS or AUTHENTICATE/);
    expect(scripted.receivedText()).toBe('');
  });

  it('[ALERT]s of the greeting and the login reach the first alert listener, added after connect()', async () => {
    // RFC 9051 7.1: an ALERT MUST be shown to the user; no listener can be
    // added before connect() returns, so those of the greeting and the login are kept.
    scripted = await startScriptedServer([
      { send: '* OK [ALERT] greeting alert\r\n' },
      { expect: /CAPABILITY/ },
      { send: '* CAPABILITY IMAP4rev1\r\n$tag OK done\r\n' },
      { expect: /LOGIN/ },
      { send: '* OK [ALERT] untagged login alert\r\n$tag OK [ALERT] tagged login alert\r\n' },
      { expect: /CAPABILITY/ },
      { send: '* CAPABILITY IMAP4rev1\r\n$tag OK done\r\n' },
      { expect: /NOOP/ },
      { send: '* OK [ALERT] later alert\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    const conn = track(
      await ImapConnection.connect({
        host: '127.0.0.1',
        port: scripted.port,
        security: 'none',
        auth: { username: 'alice', password: 'pw', mechanism: 'LOGIN-COMMAND' },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const alerts: string[] = [];
    conn.on('alert', (text) => alerts.push(text));
    await conn.noop();
    expect(alerts).toEqual([
      'greeting alert',
      'untagged login alert',
      'tagged login alert',
      'later alert',
    ]);
    // Delivered once: a second listener gets only what comes after it.
    const second: string[] = [];
    conn.on('alert', (text) => second.push(text));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(second).toEqual([]);
  });

  it('at most 16 unheard [ALERT]s are kept', async () => {
    let flood = '';
    for (let i = 0; i < 40; i++) flood += `* OK [ALERT] alert ${i}\r\n`;
    scripted = await startScriptedServer([
      { send: '* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n' },
      { expect: /NOOP/ },
      { send: `${flood}$tag OK done\r\n` },
      { stall: true },
    ]);
    const conn = track(
      await ImapConnection.connect({ host: '127.0.0.1', port: scripted.port, security: 'none' }),
    );
    await conn.noop();
    const alerts: string[] = [];
    conn.on('alert', (text) => alerts.push(text));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(alerts).toEqual(Array.from({ length: 16 }, (_, i) => `alert ${i}`));
  });

  it('a BYE greeting fails with CONNECTION_BYE and the server text', async () => {
    scripted = await startScriptedServer([
      { send: '* BYE [UNAVAILABLE] too many connections\r\n' },
      { stall: true },
    ]);
    const err = (await rejection(
      ImapConnection.connect({ host: '127.0.0.1', port: scripted.port, security: 'none' }),
    )) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_BYE');
    expect(err.serverText).toBe('too many connections');
  });

  it('no greeting within the greeting timeout fails with CONNECTION_TIMEOUT', async () => {
    scripted = await startScriptedServer([{ stall: true }]);
    const started = Date.now();
    const err = (await rejection(
      ImapConnection.connect({
        host: '127.0.0.1',
        port: scripted.port,
        security: 'none',
        timeouts: { greeting: 200 },
      }),
    )) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('runs over a caller-given stream (IMAP4_stream): a PREAUTH session of `doveadm exec imap`', async () => {
    const env = testServer();
    // Dovecot's imap refuses a socket on stdin ("inetd"), and Node's stdio
    // pipes are socketpairs: put real pipes in between, like Python's Popen.
    const child = spawn(
      'sh',
      ['-c', `cat | doveadm -c '${env.stateDir}/dovecot.conf' exec imap -u carol | cat`],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    const conn = track(await ImapConnection.connect({ stream, security: 'none' }));
    expect(conn.greeting?.name).toBe('PREAUTH');
    expect(conn.state).toBe('authenticated');
    const r = await conn.exec('SELECT', [{ type: 'mailbox', value: 'INBOX' }]);
    expect(r.tagged.status).toBe('OK');
    expect(conn.state).toBe('selected');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await conn.logout();
    expect(conn.state).toBe('logout');
    await exited;
  });

  it('an unsafe tag prefix is refused before any connection is made', async () => {
    // Port 9 on loopback: nothing listens, so reaching the network would fail differently.
    const err = await ImapConnection.connect({
      host: '127.0.0.1',
      port: 9,
      security: 'none',
      tagPrefix: 'A B',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapArgumentError);
    expect((err as Error).message).toMatch(/invalid tag prefix "A B"/);
  });

  it('refuses TLS over a caller-given stream rather than silently running in plaintext', async () => {
    const stream = new PassThrough();
    for (const security of ['tls', 'starttls'] as const) {
      const err = await ImapConnection.connect({ stream, security }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImapArgumentError);
      expect((err as Error).message).toMatch(/caller-given stream/);
    }
  });

  it('logout() ends cleanly: BYE, OK, close event with null', async () => {
    const conn = await connectAlice();
    const closes: (Error | null)[] = [];
    const byes: string[] = [];
    conn.on('close', (e) => closes.push(e));
    conn.on('bye', (t) => byes.push(t));
    await conn.logout();
    expect(closes).toEqual([null]);
    expect(byes.length).toBe(1);
    expect(conn.closed).toBe(true);
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_CLOSED');
  });

  it('plain options over STARTTLS with PREAUTH-free server keep the password out of every log line', async () => {
    const log = captureLogger();
    const conn = track(
      await ImapConnection.connect({
        ...plainOptions('alice', { security: 'starttls', tls: tlsOptions(), logger: log.logger }),
      }),
    );
    expect(conn.state).toBe('authenticated');
    expect(log.all()).not.toContain(testServer().users.alice!);
  });
});
