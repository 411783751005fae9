import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import type { CommandResult, ConnectOptions } from '../../src/connection/types.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { literal, mailbox, raw, seq } from '../../src/wire/args.js';
import {
  connectAlice,
  connectAliceWithPid,
  createMailboxWith,
  deleteMailboxes,
  testMessage,
  uniqueMailbox,
} from '../helpers/dovecot.js';
import { closeEvent, rejection, useScriptedServers } from '../helpers/scripted-harness.js';
import type { Script, ScriptedServer } from '../helpers/scripted-server.js';

const box = uniqueMailbox('failures');
const big = Buffer.concat([
  Buffer.from('Subject: big\r\n\r\n'),
  Buffer.from(('y'.repeat(998) + '\r\n').repeat(3000)), // 3 MB
]);
let admin: ImapConnection;

beforeAll(async () => {
  admin = await connectAlice();
  await createMailboxWith(
    admin,
    box,
    Array.from({ length: 30 }, (_, i) => testMessage(`failures ${i}`)),
  );
  await admin.exec('APPEND', [mailbox(box), literal(big)]);
});

afterAll(async () => {
  await deleteMailboxes(admin, [box]);
  await admin.logout();
});

const { serve, connect, track } = useScriptedServers((server) => ({
  host: '127.0.0.1',
  port: server.port,
  security: 'none',
}));
/** The server behind the latest `scriptedConn`. */
let scripted: ScriptedServer | null = null;

async function scriptedConn(
  script: Script,
  extra: Partial<ConnectOptions> = {},
): Promise<ImapConnection> {
  scripted = await serve(script);
  return connect(scripted, extra);
}

describe('the server goes away (Dovecot)', () => {
  it('killing the imap process mid-response fails every pending command and fires close', async () => {
    const { conn, pid } = await connectAliceWithPid();
    track(conn);
    await conn.exec('EXAMINE', [mailbox(box)]);
    const closed = closeEvent(conn);
    let killed = false;
    let literalsEnded = 0;
    // 4 x 3 MB in flight: far more than the socket buffers hold when the kill comes.
    const fetches = [0, 1, 2, 3].map(() =>
      conn.run('FETCH', [seq('31'), raw('(BODY.PEEK[])')], {
        collect: ['FETCH'],
        pipeline: true,
        onLiteral: () => ({
          write: () => {
            if (!killed) {
              killed = true;
              process.kill(pid, 'SIGKILL'); // the server is in the middle of the literal
            }
          },
          end: () => void literalsEnded++,
        }),
      }),
    );
    const later = [conn.run('SELECT', [mailbox('INBOX')]), conn.run('NOOP')];
    const results = await Promise.allSettled([...fetches, ...later]);
    expect(killed).toBe(true);
    expect(literalsEnded).toBeLessThan(4);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(3);
    expect(results.slice(-3).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of rejected) {
      const err = (r as PromiseRejectedResult).reason as ImapConnectionError;
      expect(err).toBeInstanceOf(ImapConnectionError);
      expect(err.code).toBe('CONNECTION_CLOSED');
    }
    const reason = (await closed) as ImapConnectionError;
    expect(reason).toBeInstanceOf(ImapConnectionError);
    expect(conn.closed).toBe(true);
    expect(conn.state).toBe('logout');
    expect(((await rejection(conn.noop())) as ImapConnectionError).code).toBe('CONNECTION_CLOSED');
  }, 20_000);

  it('a stopped server, then killed: queued and in-flight commands (and IDLE) all reject', async () => {
    const { conn, pid } = await connectAliceWithPid();
    track(conn);
    const handle = await conn.idle();
    process.kill(pid, 'SIGSTOP');
    try {
      const pending = [
        conn.run('NOOP'),
        conn.run('STATUS', [mailbox(box), raw('(MESSAGES)')], { pipeline: true }),
        conn.run('LIST', [raw('""'), raw('*')]),
      ];
      await new Promise((r) => setTimeout(r, 50));
      process.kill(pid, 'SIGKILL');
      const results = await Promise.allSettled(pending);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(handle.active).toBe(false);
      await handle.done(); // resolves, nothing to stop
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('a server shutting down (BYE, then close) fails pending commands with CONNECTION_BYE and the text', async () => {
    const { conn, pid } = await connectAliceWithPid();
    track(conn);
    const byes: string[] = [];
    conn.on('bye', (t) => byes.push(t));
    const closed = closeEvent(conn);
    const handle = await conn.idle();
    process.kill(pid, 'SIGTERM');
    const err = (await closed) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_BYE');
    expect(err.serverText).toMatch(/shutting down/i);
    expect(byes).toHaveLength(1);
    expect(handle.active).toBe(false);
  });
});

describe('timeouts', () => {
  it('no bytes from the server while a command waits: CONNECTION_TIMEOUT, connection closed', async () => {
    const conn = await scriptedConn(
      [{ send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' }, { expect: /NOOP/ }, { stall: true }],
      { timeouts: { command: 150 } },
    );
    const closed = closeEvent(conn);
    const started = Date.now();
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_TIMEOUT');
    expect(err.command).toBe('A0 NOOP');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(await closed).toBe(err);
    expect(conn.closed).toBe(true);
  });

  it('the timeout measures lack of progress, not duration: slow but steady responses are fine', async () => {
    const conn = await scriptedConn(
      [
        { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
        { expect: /NOOP/ },
        // 8 responses, each well within the timeout, together far beyond it.
        ...Array.from({ length: 8 }, (_, i) => ({ send: `* ${i} RECENT\r\n`, delayMs: 60 })),
        { send: 'A0 OK done\r\n', delayMs: 60 },
        { stall: true },
      ],
      { timeouts: { command: 150 } },
    );
    const started = Date.now();
    const r = await conn.exec('NOOP');
    expect(r.tagged.text).toBe('done');
    expect(Date.now() - started).toBeGreaterThan(300);
  });

  it('a server dripping bytes without completing a response still times out (slowloris)', async () => {
    const conn = await scriptedConn(
      [
        { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
        { expect: /NOOP/ },
        { drip: `* OK ${'x'.repeat(500)}\r\n`, intervalMs: 20 },
        { stall: true },
      ],
      { timeouts: { command: 150 } },
    );
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_TIMEOUT');
    expect(err.message).toMatch(/too slow/);
  });

  it('a per-command timeout overrides the connection default', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { expect: /NOOP/ },
      { stall: true },
    ]);
    const err = (await rejection(conn.run('NOOP', [], { timeout: 100 }))) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_TIMEOUT');
  });

  it('a process with a closed connection exits by itself (no timer left behind)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imapkit-exit-'));
    const src = fileURLToPath(new URL('../../src/connection/connection.ts', import.meta.url));
    const helper = fileURLToPath(new URL('../helpers/dovecot.ts', import.meta.url));
    const file = join(dir, 'run.mts');
    writeFileSync(
      file,
      `import { ImapConnection } from ${JSON.stringify(src)};
       import { plainOptions } from ${JSON.stringify(helper)};
       const c = await ImapConnection.connect({ ...plainOptions('alice'), timeouts: { command: 600000, greeting: 600000, connect: 600000 } });
       await c.noop();
       const idle = await c.idle();
       await idle.done();
       await c.logout();
       console.log('done');`,
    );
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const child = spawn(process.execPath, [tsx, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(-1);
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(out).toContain('done');
    expect(code).toBe(0);
  }, 20_000);
});

describe('protocol violations (scripted server)', () => {
  it('a tagged response with an unknown tag is a desync: connection closed', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { expect: /NOOP/ },
      { send: 'Z99 OK who are you\r\n' },
      { stall: true },
    ]);
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(err.message).toMatch(/desync/);
    expect(conn.closed).toBe(true);
  });

  it('a continuation request nobody waits for closes the connection', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { expect: /NOOP/ },
      { send: '+ send me more\r\n' },
      { stall: true },
    ]);
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err.message).toMatch(/continuation/);
    expect(conn.closed).toBe(true);
  });

  it('unparsable server data fails pending commands with a parse error', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { expect: /NOOP/ },
      { send: '* 1 FETCH (FLAGS (\\Seen)\r\n' },
      { stall: true },
    ]);
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(err.code).toBe('PARSE');
    expect(conn.closed).toBe(true);
  });

  it('an unsolicited BYE then close rejects with CONNECTION_BYE and the server text', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { expect: /NOOP/ },
      { send: '* BYE [UNAVAILABLE] maintenance\r\n' },
      { close: true },
    ]);
    const err = (await rejection(conn.noop())) as ImapConnectionError;
    expect(err.code).toBe('CONNECTION_BYE');
    expect(err.serverText).toBe('maintenance');
    expect(err.responseCode).toEqual({ name: 'UNAVAILABLE' });
  });
});

describe('aborting and closing', () => {
  it('an aborted queued command is never sent; an aborted sent one rejects and its responses are discarded', async () => {
    const conn = await scriptedConn(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
      await c.expect(/^A0 SEARCH/);
      await new Promise((r) => setTimeout(r, 80));
      await c.write('* SEARCH 1 2 3\r\nA0 OK late\r\n');
      await c.expect(/^A2 NOOP/);
      await c.write('* SEARCH 9\r\nA2 OK noop\r\n');
      await c.closed();
    });
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const first = rejection(
      conn.run('SEARCH', [raw('ALL')], { collect: ['SEARCH'], signal: ac1.signal }),
    );
    const second = rejection(conn.run('NOOP', [], { signal: ac2.signal }));
    const third = conn.run('NOOP', [], { collect: ['SEARCH'] });
    ac2.abort(); // still queued behind SEARCH
    await new Promise((r) => setTimeout(r, 20));
    ac1.abort(); // already sent
    const e1 = (await first) as ImapConnectionError;
    const e2 = (await second) as ImapConnectionError;
    expect(e1.code).toBe('ABORTED');
    expect(e2.code).toBe('ABORTED');
    const r3: CommandResult = await third;
    // The late `* SEARCH 1 2 3` belonged to the abandoned A0 and was dropped.
    expect(r3.untagged).toEqual([{ kind: 'untagged', name: 'SEARCH', numbers: [9], modseq: null }]);
    expect(scripted!.receivedText()).toBe('A0 SEARCH ALL\r\nA2 NOOP\r\n');
    expect(conn.closed).toBe(false);
  });

  it('a throwing onUntagged or literal sink fails only its command; the connection goes on', async () => {
    const conn = await scriptedConn(
      async (c) => {
        await c.write('* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n');
        await c.expect(/^A0 SEARCH/);
        await c.write('* SEARCH 1\r\n* SEARCH 2\r\nA0 OK done\r\n');
        await c.expect(/^A1 FETCH/);
        await c.write('* 1 FETCH (BODY[] {20}\r\n01234567890123456789)\r\nA1 OK done\r\n');
        await c.expect(/^A2 NOOP/);
        await c.write('A2 OK fine\r\n');
        await c.closed();
      },
      { streamThreshold: 10 },
    );
    const boom = new Error('consumer bug');
    const search = conn.run('SEARCH', [raw('ALL')], {
      collect: ['SEARCH'],
      onUntagged: () => {
        throw boom;
      },
    });
    await expect(search).rejects.toBe(boom);
    const fetch = conn.run('FETCH', [seq(1), raw('BODY[]')], {
      collect: ['FETCH'],
      onLiteral: () => ({
        write: () => {
          throw boom;
        },
        end: () => undefined,
      }),
    });
    await expect(fetch).rejects.toBe(boom);
    expect((await conn.exec('NOOP')).tagged.text).toBe('fine');
  });

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { stall: true },
    ]);
    const err = (await rejection(
      conn.run('NOOP', [], { signal: AbortSignal.abort() }),
    )) as ImapConnectionError;
    expect(err.code).toBe('ABORTED');
    expect(scripted!.receivedText()).toBe('');
  });

  it('close() rejects every queued and in-flight command with CONNECTION_CLOSED; close fires once', async () => {
    const conn = await scriptedConn([
      { send: '* OK [CAPABILITY IMAP4rev1] hi\r\n' },
      { stall: true },
    ]);
    const closes: (Error | null)[] = [];
    conn.on('close', (e) => closes.push(e));
    const pending = [conn.noop(), conn.run('SELECT', [mailbox('INBOX')]), conn.capability()];
    conn.close();
    conn.close();
    const results = await Promise.allSettled(pending);
    for (const r of results) {
      expect(((r as PromiseRejectedResult).reason as ImapConnectionError).code).toBe(
        'CONNECTION_CLOSED',
      );
    }
    expect(closes).toEqual([null]);
  });
});

describe('back-pressure without deadlock (Dovecot)', () => {
  it('pauseReading() during a FETCH does not block a STORE issued from the consumer', async () => {
    const conn = await connectAlice();
    track(conn);
    await conn.exec('SELECT', [mailbox(box)]);
    let resume: (() => void) | null = null;
    const stores: Promise<CommandResult>[] = [];
    let seen = 0;
    const fetch = conn.run('FETCH', [seq('1:30'), raw('(UID FLAGS BODY.PEEK[])')], {
      collect: ['FETCH'],
      onUntagged: (r) => {
        seen++;
        if (seen === 1) {
          // A consumer with a full buffer stops reading, then acts on a message.
          resume = conn.pauseReading();
          stores.push(
            conn.run('STORE', [seq((r as { seq: number }).seq), raw('+FLAGS (\\Flagged)')]),
          );
        }
      },
    });
    const f = await fetch;
    expect(f.tagged.status).toBe('OK');
    expect(seen).toBe(30);
    expect(stores).toHaveLength(1);
    expect((await stores[0]!).tagged.status).toBe('OK');
    (resume as (() => void) | null)?.();
    const again = await conn.exec('NOOP');
    expect(again.tagged.status).toBe('OK');
  });

  it('pauseReading() holds back data until released', async () => {
    const conn = await connectAlice();
    track(conn);
    await conn.exec('EXAMINE', [mailbox(box)]);
    const release = conn.pauseReading();
    let done = false;
    const p = conn.run('FETCH', [seq('1:30'), raw('(UID BODY.PEEK[])')]).then((r) => {
      done = true;
      return r;
    });
    // With only this command in flight, reading stays paused... until released.
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    release();
    expect((await p).tagged.status).toBe('OK');
  });
});
