/**
 * The facade beyond the differential scenarios: IMAP4_stream over a local
 * command, the error hierarchy, argument safety and the debug trace.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ImapConnection } from '../../src/connection/connection.js';
import * as imaplib from '../../src/imaplib/index.js';
import { mailbox, raw } from '../../src/wire/args.js';
import { testMessage, testServer, uniqueMailbox } from '../helpers/dovecot.js';

describe('IMAP4_stream', () => {
  it('talks IMAP over the stdio of a local command (a PREAUTH `doveadm exec imap`)', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4_stream.connect(
      `doveadm -c '${env.stateDir}/dovecot.conf' exec imap -u carol`,
    );
    expect(M.state).toBe('AUTH');
    expect(M.PROTOCOL_VERSION).toBe('IMAP4REV1');
    expect(M.capabilities).toContain('IDLE');
    const [typ, data] = await M.select('INBOX', true);
    expect(typ).toBe('OK');
    expect(data).toEqual([Buffer.from('20')]);
    const [, nums] = await M.search(null, 'ALL');
    expect(String(nums[0]).split(' ')).toHaveLength(20);
    const [bye] = await M.logout();
    expect(bye).toBe('BYE');
  });

  it.each([
    ['true', 0],
    ['exit 3', 3],
    ['/nonexistent/imapd 2>/dev/null', 127],
  ])(
    'a command (%s) that exits without a greeting raises abort("socket error: EOF") at once, with its exit status, even without a timeout',
    async (command, status) => {
      const started = Date.now();
      const err = await imaplib.IMAP4_stream.connect(command, undefined, { timeout: null }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(imaplib.IMAP4.abort);
      expect((err as Error).message).toBe(
        `socket error: EOF (the command exited with status ${status})`,
      );
      expect(Date.now() - started).toBeLessThan(3000);
    },
    10_000,
  );
});

describe('Buffer (Python bytes) arguments', () => {
  // Typed calls: `npm run typecheck` (tsc over test/) fails if any of these
  // methods stops taking a Buffer where CPython takes bytes.
  it('every mailbox (and other pass-through) argument takes a Buffer, sent byte for byte', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await M.login(Buffer.from('carol'), env.users.carol!);
    const base = uniqueMailbox('imaplib-bytes');
    // Modified UTF-7 as a LIST response gives it: "café".
    const name = Buffer.from(`${base}-caf&AOk-`);
    const renamed = Buffer.from(`${base}-renamed`);
    expect((await M.create(name))[0]).toBe('OK');
    const [, listed] = await M.list(Buffer.from('""'), Buffer.from(`${base}*`));
    expect(String(listed[0])).toContain(name.toString());
    expect((await M.subscribe(name))[0]).toBe('OK');
    const [, subscribed] = await M.lsub(Buffer.from('""'), name);
    expect(String(subscribed[0])).toContain(name.toString());
    expect((await M.unsubscribe(name))[0]).toBe('OK');
    const message = Buffer.from(testMessage('bytes'));
    expect((await M.append(name, null, null, message))[0]).toBe('OK');
    const [, status] = await M.status(name, Buffer.from('(MESSAGES)'));
    expect(String(status[0])).toContain('(MESSAGES 1)');
    expect((await M.myrights(name))[0]).toBe('OK');
    expect((await M.getacl(name))[0]).toBe('OK');
    expect((await M.setacl(name, Buffer.from('bob'), Buffer.from('lr')))[0]).toBe('OK');
    expect((await M.deleteacl(name, Buffer.from('bob')))[0]).toBe('OK');
    expect((await M.getquotaroot(name))[0]).toBe('OK');
    await M.select(name);
    expect((await M.copy('1', name))[0]).toBe('OK');
    expect((await M.partial(Buffer.from('2'), 'RFC822', 0, 4))[0]).toBe('OK');
    expect((await M.store('1:2', Buffer.from('+FLAGS.SILENT'), '\\Seen'))[0]).toBe('OK');
    expect((await M.thread(Buffer.from('REFERENCES'), 'UTF-8', 'ALL'))[0]).toBe('OK');
    await M.close();
    expect((await M.rename(name, renamed))[0]).toBe('OK');
    expect((await M.delete(renamed))[0]).toBe('OK');
    await M.logout();
  });
});

describe('enable() and the engine', () => {
  it('what Dovecot confirms with * ENABLED is enabled in the engine too (CONDSTORE); UTF8=ACCEPT, which Dovecot 2.3 lacks, is not', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await M.login('carol', env.users.carol!);
    const engine = (M as unknown as { connection: ImapConnection }).connection;
    expect(engine.enabled.size).toBe(0);
    expect((await M.enable('CONDSTORE'))[0]).toBe('OK');
    expect([...engine.enabled]).toEqual(['CONDSTORE']);
    // OK without * ENABLED: the facade is in UTF-8 mode as CPython would be,
    // the engine (which encodes by what the server confirmed) is not.
    expect((await M.enable('UTF8=ACCEPT'))[0]).toBe('OK');
    expect(M.utf8_enabled).toBe(true);
    expect(engine.utf8Enabled).toBe(false);
    expect([...engine.enabled]).toEqual(['CONDSTORE']);
    // The engine's UTF-8 argument then goes out as modified UTF-7, which Dovecot takes.
    const status = await engine.run('STATUS', [mailbox('Entwürfe-nope'), raw('(MESSAGES)')]);
    expect(status.tagged.status).toBe('NO');
    expect(status.command).toContain('Entw&APw-rfe-nope');
    await M.logout();
  });
});

describe('server data the typed model cannot hold', () => {
  it("Dovecot 2.3's wrapped BINARY.SIZE comes back as the raw line, as in CPython; the session goes on", async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await M.login('alice', env.users.alice!);
    await M.select('INBOX', true);
    const [typ, data] = await M.fetch('3', '(BINARY.SIZE[1])');
    expect(typ).toBe('OK');
    // Dovecot 2.3.19 sends 18446744073709534636 (a negative size as uint64).
    expect(String(data[0])).toMatch(/^3 \(BINARY\.SIZE\[1\] \d+\)$/);
    expect((await M.noop())[0]).toBe('OK');
    await M.logout();
  });
});

describe('a read-only mailbox', () => {
  it('STORE and EXPUNGE after EXAMINE are sent as the script says, as in CPython (no client-side refusal)', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await M.login('alice', env.users.alice!);
    await M.select('INBOX', true);
    // Dovecot answers `OK Store ignored with read-only mailbox.`; CPython gives ('OK', [None]).
    expect(await M.store('1', '+FLAGS', '(\\Flagged)')).toEqual(['OK', [null]]);
    expect(await M.expunge()).toEqual(['OK', [null]]);
    await M.logout();
  });
});

describe('errors and argument safety', () => {
  it('error, abort and readonly form the CPython hierarchy', () => {
    expect(new imaplib.IMAP4.readonly('x')).toBeInstanceOf(imaplib.IMAP4.abort);
    expect(new imaplib.IMAP4.abort('x')).toBeInstanceOf(imaplib.IMAP4.error);
    expect(imaplib.error).toBe(imaplib.IMAP4.error);
  });

  it('an argument with CR LF is refused with IMAP4.error before anything is sent', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await M.login('carol', env.users.carol!);
    const err = await M.create('x\r\nA1 DELETE INBOX').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(imaplib.IMAP4.error);
    expect((err as Error).message).toMatch(/CR|LF|line/i);
    // The session is intact and INBOX still there.
    const [typ, data] = await M.status('INBOX', '(MESSAGES)');
    expect(typ).toBe('OK');
    expect(String(data[0])).toMatch(/MESSAGES \d+/);
    await M.logout();
  });

  it('an authobject returning undefined aborts the exchange with * and raises error, as None does in CPython', async () => {
    const env = testServer();
    const python = spawnSync(
      'python3',
      [
        '-c',
        [
          'import imaplib',
          `M = imaplib.IMAP4('${env.host}', ${env.port})`,
          'try:',
          "    M.authenticate('PLAIN', lambda challenge: None)",
          'except imaplib.IMAP4.error as e:',
          '    print(type(e).__name__, e)',
        ].join('\n'),
      ],
      { encoding: 'utf8' },
    ).stdout.trim();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    const err = await M.authenticate('PLAIN', () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(imaplib.IMAP4.error);
    expect(err).not.toBeInstanceOf(imaplib.IMAP4.abort);
    expect(`error ${(err as Error).message}`).toBe(python);
    expect(python).toMatch(/^error AUTHENTICATE command error: BAD /);
    // The session goes on.
    expect((await M.login('carol', env.users.carol!))[0]).toBe('OK');
    await M.logout();
  });

  it('a command in the wrong state raises error with CPython’s message', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await expect(M.fetch('1', '(FLAGS)')).rejects.toThrow(
      'command FETCH illegal in state NONAUTH, only allowed in states SELECTED',
    );
    // partial() is sent as FETCH, but CPython's message names PARTIAL.
    await expect(M.partial('1', 'RFC822', 0, 10)).rejects.toThrow(
      'command PARTIAL illegal in state NONAUTH, only allowed in states SELECTED',
    );
    await M.logout();
  });

  it('tagged_commands holds the tag actually on the wire while a command is pending', async () => {
    const env = testServer();
    const seen: Array<{ line: string; pending: string[] }> = [];
    let M: imaplib.IMAP4 | null = null;
    const logger = {
      trace: (_o: object, m?: string) => {
        if (M !== null && m !== undefined && /^C: \S+ NOOP$/.test(m)) {
          seen.push({ line: m, pending: Object.keys(M.tagged_commands) });
        }
      },
    };
    M = await imaplib.IMAP4.connect(env.host, env.port, { debug: 4, logger });
    await M.noop();
    expect(seen).toHaveLength(1);
    const wireTag = /C: (\S+) NOOP/.exec(seen[0]!.line)![1]!;
    expect(wireTag.startsWith(M.tagpre.toString())).toBe(true);
    expect(seen[0]!.pending).toEqual([wireTag]);
    expect(Object.keys(M.tagged_commands)).toEqual([]);
    await M.logout();
  });

  it('the debug trace never shows the password', async () => {
    const env = testServer();
    const lines: string[] = [];
    const logger = {
      trace: (o: object, m?: string) => lines.push(`${m ?? ''} ${JSON.stringify(o)}`),
    };
    const M = await imaplib.IMAP4.connect(env.host, env.port, { debug: 4, logger });
    await M.login('carol', env.users.carol!);
    await M.logout();
    const all = lines.join('\n');
    expect(all).toMatch(/LOGIN/);
    expect(all).not.toContain(env.users.carol!);
  });
});

describe('send, readline and read', () => {
  it('a hand-written conversation (IDLE by hand), then ordinary commands again', async () => {
    const env = testServer();
    const M = await imaplib.IMAP4.connect(env.host, env.port);
    await M.login('carol', env.users.carol!);
    await M.select('INBOX', true);
    await M.send('X1 IDLE\r\n');
    expect((await M.readline()).toString()).toMatch(/^\+ idling\r\n$/i);
    await M.send('DONE\r\n');
    expect((await M.readline()).toString()).toMatch(/^X1 OK .*\r\n$/);
    await M.send('X2 NOOP\r\n');
    const line = await M.readline();
    expect(line.subarray(0, 6).toString()).toBe('X2 OK ');
    // read() takes exact byte counts.
    await M.send('X3 CAPABILITY\r\n');
    const head = await M.read(13);
    expect(head.toString()).toBe('* CAPABILITY ');
    // Read the rest of X3 by hand: as in CPython, a completion nobody reads
    // would reach the engine as an unknown tag and abort the session.
    let rest = '';
    while (!rest.includes('X3 OK')) rest += (await M.readline()).toString();
    const [typ, data] = await M.status('INBOX', '(MESSAGES)');
    expect(typ).toBe('OK');
    expect(String(data[0])).toMatch(/MESSAGES 20/);
    await M.logout();
  });
});
