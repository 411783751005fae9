import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetch, fetchAll, fetchOne } from '../../src/commands/fetch.js';
import { search } from '../../src/commands/search.js';
import { select } from '../../src/commands/select.js';
import { store } from '../../src/commands/store.js';
import { sort } from '../../src/commands/sort.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { MAX_IN_FLIGHT } from '../../src/connection/queue.js';
import type { FetchedMessage } from '../../src/commands/fetch.js';
import type { CommandResult } from '../../src/connection/types.js';
import type { UntaggedResponse } from '../../src/model/response.js';
import { literal, mailbox, raw, seq } from '../../src/wire/args.js';
import {
  captureLogger,
  connectAlice,
  createMailboxWith,
  deleteMailboxes,
  testMessage,
  uniqueMailbox,
} from '../helpers/dovecot.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

const boxes = [0, 1, 2, 3].map((n) => ({ name: uniqueMailbox(`pipe${n}`), count: n }));
let admin: ImapConnection;

beforeAll(async () => {
  admin = await connectAlice();
  for (const b of boxes) {
    await createMailboxWith(
      admin,
      b.name,
      Array.from({ length: b.count }, (_, i) => testMessage(`pipe ${b.count}/${i}`)),
    );
  }
});

afterAll(async () => {
  await deleteMailboxes(
    admin,
    boxes.map((b) => b.name),
  );
  await admin.logout();
});

let scripted: ScriptedServer | null = null;
afterEach(async () => {
  await scripted?.close();
  scripted = null;
});

/** Runs `body` on a new connection with the 3-message mailbox selected; logs out after. */
async function inBox3(body: (conn: ImapConnection) => Promise<void>): Promise<void> {
  const conn = await connectAlice();
  try {
    await select(conn, boxes[3]!.name);
    await body(conn);
  } finally {
    await conn.logout();
  }
}

function sentLines(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith('C: '));
}

describe('pipelining (RFC 9051 5.5) against Dovecot', () => {
  it('20 STATUS and NOOP commands are all in flight at once and each gets its own data, in order', async () => {
    const log = captureLogger();
    const conn = await connectAlice({ logger: log.logger });
    try {
      const firstLogged = log.lines.length;
      const done: number[] = [];
      const jobs: Promise<CommandResult>[] = [];
      for (let i = 0; i < 20; i++) {
        const p =
          i % 5 === 4
            ? conn.run('NOOP', [], { pipeline: true })
            : conn.run('STATUS', [mailbox(boxes[i % 4]!.name), raw('(MESSAGES UIDNEXT)')], {
                pipeline: true,
                collect: ['STATUS'],
              });
        jobs.push(p.then((r) => (done.push(i), r)));
      }
      const results = await Promise.all(jobs);
      expect(done).toEqual([...Array(20).keys()]);
      results.forEach((r, i) => {
        expect(r.tagged.status).toBe('OK');
        if (i % 5 === 4) {
          expect(r.untagged).toEqual([]);
          return;
        }
        const box = boxes[i % 4]!;
        expect(r.untagged).toHaveLength(1);
        const status = r.untagged[0] as Extract<UntaggedResponse, { name: 'STATUS' }>;
        expect(status.name).toBe('STATUS');
        expect(status.mailbox).toBe(box.name);
        expect(status.items.get('MESSAGES')).toBe(box.count);
        expect(status.items.get('UIDNEXT')).toBe(box.count + 1);
      });
      // Every command went out before the first completion came back.
      const lines = log.lines.slice(firstLogged);
      const lastSent =
        lines.length - 1 - [...lines].reverse().findIndex((l) => l.startsWith('C: '));
      const firstDone = lines.findIndex((l) => /^S: A\d+ OK/.test(l));
      expect(sentLines(lines)).toHaveLength(20);
      expect(lastSent).toBeLessThan(firstDone);
    } finally {
      conn.close();
    }
  });

  it('pipelined UID FETCH iterators each get their own messages, though Dovecot answers them side by side', async () => {
    await inBox3(async (conn) => {
      const unsolicited: number[] = [];
      conn.on('fetch', (r) => unsolicited.push(r.seq));
      const all = async (items: Parameters<typeof fetch>[2]): Promise<FetchedMessage[]> => {
        const out: FetchedMessage[] = [];
        for await (const m of fetch(conn, '1:*', items, { uid: true })) out.push(m);
        return out;
      };
      const [structures, envelopes, sources, flags] = await Promise.all([
        all({ bodyStructure: true }),
        all({ envelope: true }),
        all({ source: true }),
        all({ flags: true }),
      ]);
      expect(structures.map((m) => m.bodyStructure?.type)).toEqual(['text', 'text', 'text']);
      expect(structures.every((m) => m.envelope === undefined && m.source === undefined)).toBe(
        true,
      );
      expect(envelopes.map((m) => m.envelope?.subject)).toEqual([
        'pipe 3/0',
        'pipe 3/1',
        'pipe 3/2',
      ]);
      expect(sources.map((m) => m.source?.toString('latin1').includes('Subject: pipe 3/'))).toEqual(
        [true, true, true],
      );
      expect(flags).toHaveLength(3);
      expect(unsolicited).toEqual([]);
    });
  });

  it('pipelined UID SEARCH and SORT commands each get their own result (Dovecot completes them late)', async () => {
    await inBox3(async (conn) => {
      const uids = (await search(conn, { all: true }, { uid: true })).numbers!;
      expect(uids).toHaveLength(3);
      const [a, b, c, sorted, d] = await Promise.all([
        search(conn, { uid: [uids[0]!] }, { uid: true }),
        search(conn, { uid: [uids[1]!] }, { uid: true }),
        search(conn, { uid: [uids[2]!] }, { uid: true }),
        sort(conn, [{ reverse: 'SUBJECT' }], { all: true }, { uid: true }),
        search(conn, { subject: 'no such subject' }, { uid: true }),
      ]);
      expect([a.numbers, b.numbers, c.numbers, d.numbers]).toEqual([
        [uids[0]],
        [uids[1]],
        [uids[2]],
        [],
      ]);
      expect(sorted).toEqual([...uids].reverse());
    });
  });

  it('fetch and store of `*` (the last message) take their own responses', async () => {
    await inBox3(async (conn) => {
      const unsolicited: number[] = [];
      conn.on('fetch', (r) => unsolicited.push(r.seq));
      const last: FetchedMessage[] = [];
      for await (const m of fetch(conn, '*', { envelope: true }, { uid: true })) last.push(m);
      expect(last.map((m) => m.envelope?.subject)).toEqual(['pipe 3/2']);
      const stored = await store(conn, '*', { add: ['$Last'], uid: true });
      expect(stored.updated.map((m) => m.uid)).toEqual([last[0]!.uid]);
      await store(conn, '*', { remove: ['$Last'], uid: true, silent: true });
      expect(unsolicited).toEqual([]);
    });
  });

  it('pipelined UID STOREs each report only their own messages', async () => {
    await inBox3(async (conn) => {
      const uids = (await search(conn, { all: true }, { uid: true })).numbers!;
      const results = await Promise.all(
        uids.map((u) => store(conn, [u], { add: ['$Pipelined'], uid: true })),
      );
      expect(results.map((r) => r.updated.map((m) => m.uid))).toEqual(uids.map((u) => [u]));
      await store(conn, uids, { remove: ['$Pipelined'], uid: true, silent: true });
    });
  });

  it("pipelined UID STOREs on overlapping sets: the first does not take the second's update of the shared message", async () => {
    // Dovecot sends one FETCH per changed message: when it has applied both
    // STOREs before answering (what it mostly does here, so this does not
    // reliably show the bug), the one update (with both flags) goes to the
    // first STORE and the second gets none; when it answers the first
    // first, message 2's second update is the second STORE's (before the
    // fix the first STORE took it too: [1, 2, 3, 2] and []). The scripted
    // test in test/commands/pipelined-answers.test.ts pins that case.
    await inBox3(async (conn) => {
      const unsolicited: number[] = [];
      conn.on('fetch', (r) => unsolicited.push(r.seq));
      const uids = (await search(conn, { all: true }, { uid: true })).numbers!;
      for (let round = 0; round < 5; round++) {
        const [all, one] = await Promise.all([
          store(conn, uids, { add: ['$A'], uid: true }),
          store(conn, [uids[1]!], { add: ['$B'], uid: true }),
        ]);
        expect(all.updated.map((m) => m.uid)).toEqual(uids);
        for (const m of one.updated) {
          expect([m.uid, m.flags?.has('$A'), m.flags?.has('$B')]).toEqual([uids[1], true, true]);
        }
        await store(conn, uids, { remove: ['$A', '$B'], uid: true, silent: true });
      }
      expect(unsolicited).toEqual([]);
    });
  });

  it('a UID STORE (silent or not) pipelined with a UID FETCH of the same messages leaves the FETCH its answers', async () => {
    await inBox3(async (conn) => {
      const unsolicited: number[] = [];
      conn.on('fetch', (r) => unsolicited.push(r.seq));
      for (const silent of [false, true]) {
        const [s, f] = await Promise.all([
          store(conn, '1:*', { add: ['$Both'], uid: true, silent }),
          fetchAll(conn, '1:*', { size: true }, { uid: true }),
        ]);
        expect(f.map((m) => typeof m.size)).toEqual(['number', 'number', 'number']);
        expect(s.updated.length).toBe(silent ? 0 : 3);
        expect(s.updated.every((m) => m.size === undefined)).toBe(true);
        await store(conn, '1:*', { remove: ['$Both'], uid: true, silent: true });
      }
      expect(unsolicited).toEqual([]);
    });
  });

  it('concurrent identical fetches, and a FLAGS fetch with a size fetch, each get their own answers', async () => {
    await inBox3(async (conn) => {
      const uids = (await search(conn, { all: true }, { uid: true })).numbers!;
      const [a, b] = await Promise.all([
        fetchOne(conn, uids[0]!, { size: true }, { uid: true }),
        fetchOne(conn, uids[0]!, { size: true }, { uid: true }),
      ]);
      expect(a?.uid).toBe(uids[0]);
      expect(b?.uid).toBe(uids[0]);
      const [flags, sizes] = await Promise.all([
        fetchAll(conn, '1:*', { flags: true }, { uid: true }),
        fetchAll(conn, '1:*', { size: true }, { uid: true }),
      ]);
      expect(flags.map((m) => [m.uid, m.size])).toEqual(uids.map((u) => [u, undefined]));
      expect(sizes.map((m) => m.uid)).toEqual(uids);
      expect(sizes.every((m) => typeof m.size === 'number')).toBe(true);
    });
  });

  it('a non-pipelined command waits for everything in flight and holds back later commands', async () => {
    const log = captureLogger();
    const conn = await connectAlice({ logger: log.logger });
    try {
      const start = log.lines.length;
      const all = Promise.all([
        conn.run('NOOP', [], { pipeline: true }),
        conn.run('STATUS', [mailbox(boxes[2]!.name), raw('(MESSAGES)')], { pipeline: true }),
        conn.run('SELECT', [mailbox(boxes[3]!.name)]),
        conn.run('FETCH', [seq('1:*'), raw('(UID)')], { pipeline: true, collect: ['FETCH'] }),
      ]);
      const [, , select, fetch] = await all;
      expect(select.tagged.status).toBe('OK');
      expect(fetch.untagged).toHaveLength(3);
      const lines = log.lines.slice(start).filter((l) => /^(C: |S: A\d+ )/.test(l));
      const order = lines.map((l) => (l.startsWith('C: ') ? `C ${l.split(' ')[2]}` : 'S done'));
      expect(order).toEqual([
        'C NOOP',
        'C STATUS',
        'S done',
        'S done',
        'C SELECT',
        'S done',
        'C FETCH',
        'S done',
      ]);
      expect(conn.selected).toMatchObject({ name: boxes[3]!.name, exists: 3, readOnly: false });
    } finally {
      conn.close();
    }
  });

  it('a stream literal is piped with back-pressure (APPEND of 3 MB from a Readable)', async () => {
    const conn = await connectAlice();
    const name = uniqueMailbox('stream');
    try {
      await conn.exec('CREATE', [mailbox(name)]);
      const header = 'From: a@example.com\r\nSubject: big\r\n\r\n';
      const line = 'x'.repeat(78) + '\r\n';
      const lines = 40_000;
      const size = header.length + line.length * lines;
      let produced = 0;
      const source = new Readable({
        highWaterMark: 16 * 1024,
        read() {
          if (produced === 0) this.push(header);
          const batch = Math.min(200, lines - produced);
          this.push(line.repeat(batch));
          produced += batch;
          if (produced >= lines) this.push(null);
        },
      });
      const r = await conn.exec('APPEND', [mailbox(name), literal(source, { size })]);
      expect(r.tagged.code?.name).toBe('APPENDUID');
      await conn.exec('SELECT', [mailbox(name)]);
      const f = await conn.exec('FETCH', [seq(1), raw('(RFC822.SIZE)')], { collect: ['FETCH'] });
      const fetched = f.untagged[0] as Extract<UntaggedResponse, { name: 'FETCH' }>;
      expect(fetched.attributes.rfc822Size).toBe(size);
    } finally {
      await conn.run('UNSELECT').catch(() => undefined);
      await deleteMailboxes(conn, [name]);
      conn.close();
    }
  });
});

describe('routing and completion order (scripted server)', () => {
  it('completions resolve in the order the server sends them, not the order sent', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
      await c.expect(/^A0 NOOP/);
      await c.expect(/^A1 NOOP/);
      await c.write('A1 OK second first\r\nA0 OK first second\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const order: string[] = [];
    await Promise.all([
      conn.run('NOOP', [], { pipeline: true }).then((r) => order.push(r.tagged.tag)),
      conn.run('NOOP', [], { pipeline: true }).then((r) => order.push(r.tagged.tag)),
    ]);
    expect(order).toEqual(['A1', 'A0']);
    conn.close();
  });

  it(`at most MAX_IN_FLIGHT (${MAX_IN_FLIGHT}) commands are in flight: the rest wait in the queue and go out as completions come`, async () => {
    const extra = 100;
    const total = MAX_IN_FLIGHT + extra;
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
      for (let i = 0; i < total; i++) {
        const tag = (await c.readLine()).split(' ')[0]!;
        await c.write(`${tag} OK done\r\n`);
      }
      await c.closed();
    });
    const log = captureLogger();
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
      logger: log.logger,
    });
    const sent = (): number => log.lines.filter((l) => / NOOP$/.test(l)).length;
    const all: Promise<CommandResult>[] = [];
    for (let i = 0; i < total; i++) all.push(conn.run('NOOP', [], { pipeline: true }));
    // Commands are sent synchronously as they are issued, up to the cap.
    expect(sent()).toBe(MAX_IN_FLIGHT);
    const results = await Promise.all(all);
    expect(results.every((r) => r.tagged.status === 'OK')).toBe(true);
    expect(sent()).toBe(total);
    conn.close();
  });

  it('untagged data goes to the oldest collector, ESEARCH by its tag, the rest become events', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 ESEARCH] hi\r\n');
      await c.expect(/SELECT/);
      await c.write('* 3 EXISTS\r\n* FLAGS (\\Seen)\r\n$tag OK [READ-WRITE] done\r\n');
      await c.expect(/^A1 FETCH/);
      await c.expect(/^A2 SEARCH/);
      await c.expect(/^A3 SEARCH/);
      await c.write(
        '* ESEARCH (TAG "A3") ALL 3\r\n' +
          '* 1 FETCH (FLAGS (\\Seen))\r\n' +
          '* ESEARCH (TAG "A2") ALL 1:2\r\n' +
          '* 4 EXISTS\r\n' +
          'A1 OK fetch done\r\n' +
          '* 2 FETCH (FLAGS ())\r\n' +
          'A2 OK search done\r\nA3 OK search done\r\n',
      );
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const events: string[] = [];
    conn.on('exists', (n, prev) => events.push(`exists ${n} ${prev}`));
    conn.on('fetch', (f) => events.push(`fetch ${f.seq}`));
    await conn.exec('SELECT', [mailbox('INBOX')]);
    expect(events).toEqual([]); // EXISTS during SELECT is state, not news
    const streamed: number[] = [];
    const [fetch, s2, s3] = await Promise.all([
      conn.run('FETCH', [seq('1'), raw('(FLAGS)')], {
        pipeline: true,
        collect: ['FETCH'],
        onUntagged: (r) => {
          streamed.push((r as { seq: number }).seq);
        },
      }),
      conn.run('SEARCH', [raw('RETURN (ALL)'), raw('ALL')], {
        pipeline: true,
        collect: ['ESEARCH'],
      }),
      conn.run('SEARCH', [raw('RETURN (ALL)'), raw('ALL')], {
        pipeline: true,
        collect: ['ESEARCH'],
      }),
    ]);
    expect(streamed).toEqual([1]);
    expect(fetch.untagged).toEqual([]);
    expect(s2.untagged.map((r) => (r as { tag: string }).tag)).toEqual(['A2']);
    expect(s3.untagged.map((r) => (r as { tag: string }).tag)).toEqual(['A3']);
    expect(events).toEqual(['exists 4 3', 'fetch 2']);
    expect(conn.selected?.exists).toBe(4);
    conn.close();
  });

  it('a synchronizing literal waits for `+`, and is not sent at all when the server says NO', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] no literal+\r\n');
      await c.expect(/^A0 APPEND INBOX \{5\}$/);
      await new Promise((r) => setTimeout(r, 50));
      const early = c.received().toString('latin1');
      await c.write(early.endsWith('{5}\r\n') ? '+ go ahead\r\n' : '* BAD literal came early\r\n');
      const body = (await c.readBytes(7)).toString('latin1');
      await c.write(body === 'hello\r\n' ? '$tag OK [APPENDUID 1 1] appended\r\n' : '$tag BAD\r\n');
      await c.expect(/^A1 APPEND INBOX \{5\}$/);
      await c.write('$tag NO [TOOBIG] no thanks\r\n');
      await c.expect(/^A2 NOOP$/);
      await c.write('$tag OK noop\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    expect(conn.literalMode).toBe('sync');
    const a = await conn.run('APPEND', [mailbox('INBOX'), literal('hello')]);
    expect(a.tagged.status).toBe('OK');
    const b = await conn.run('APPEND', [mailbox('INBOX'), literal('world')]);
    expect(b.tagged).toMatchObject({ status: 'NO', code: { name: 'TOOBIG' } });
    await conn.exec('NOOP');
    expect(scripted.receivedText()).toBe(
      'A0 APPEND INBOX {5}\r\nhello\r\nA1 APPEND INBOX {5}\r\nA2 NOOP\r\n',
    );
    conn.close();
  });
});
