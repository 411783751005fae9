/**
 * Which pipelined command takes which FETCH response, on a scripted server
 * answering like Dovecot: every pipelined command's untagged data in
 * command order, then the tagged OKs. The router offers each response first
 * to the command that took the previous one, so a command must decline what
 * does not answer it (a STORE another FETCH's RFC822.SIZE, a `.SILENT`
 * STORE a FLAGS-only update, a FLAGS FETCH another FETCH's items) and a
 * second response for a message it already has (two FETCHes or STOREs of
 * one message): the second only when another command takes it, else it is
 * its own after all. Most cases failed before the fix (round 7, command
 * review); those of a command alone (a split answer, a second update, a
 * MODSEQ update of a silent STORE) pin what it still takes.
 */
import { expect, it, vi } from 'vitest';
import { fetchAll, fetchOne } from '../../src/commands/fetch.js';
import { move } from '../../src/commands/move.js';
import { store } from '../../src/commands/store.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import type { FetchAttributes } from '../../src/model/response.js';
import type { ScriptedConnection } from '../helpers/scripted-server.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers();

const tagOf = (line: string): string => line.split(' ')[0]!;

/** A server that selects INBOX, then runs `body`; a connection with INBOX selected and its `fetch` events. */
async function selected(
  body: (c: ScriptedConnection) => Promise<void>,
  caps = 'IMAP4rev1 UIDPLUS',
): Promise<{ conn: ImapConnection; events: FetchAttributes[] }> {
  const server = await serve(async (c) => {
    await c.write(`* OK [CAPABILITY ${caps}] ready\r\n`);
    await c.expect(/^\S+ SELECT INBOX$/);
    await c.write('* 10 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n$tag OK [READ-WRITE] selected\r\n');
    await body(c);
  });
  const conn = await connect(server);
  const events: FetchAttributes[] = [];
  conn.on('fetch', (r) => events.push(r.attributes));
  await conn.run('SELECT', [{ type: 'atom', value: 'INBOX' }]);
  return { conn, events };
}

it('a UID STORE leaves a pipelined UID FETCH its RFC822.SIZE responses', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID STORE 1:2 \+FLAGS /));
    const t2 = tagOf(await c.expect(/UID FETCH 1:2/));
    await c.write('* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n');
    await c.write('* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n* 2 FETCH (UID 2 RFC822.SIZE 200)\r\n');
    await c.write(`${t1} OK stored\r\n${t2} OK fetched\r\n`);
  });
  const [s, f] = await Promise.all([
    store(conn, '1:2', { add: ['\\Seen'], uid: true }),
    fetchAll(conn, '1:2', { size: true }, { uid: true }),
  ]);
  expect(s.updated.map((m) => [m.uid, [...m.flags!], m.size])).toEqual([
    [1, ['\\Seen'], undefined],
    [2, ['\\Seen'], undefined],
  ]);
  expect(f.map((m) => [m.uid, m.size])).toEqual([
    [1, 100],
    [2, 200],
  ]);
  expect(events).toEqual([]);
});

it('a .SILENT UID STORE takes no FETCH without MODSEQ: a pipelined UID FETCH gets its own', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID STORE 1:2 \+FLAGS.SILENT/));
    const t2 = tagOf(await c.expect(/UID FETCH 1:2/));
    await c.write('* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n* 2 FETCH (UID 2 RFC822.SIZE 200)\r\n');
    // Another session changed message 2's flags: not this STORE's (it asked for silence).
    await c.write('* 2 FETCH (UID 2 FLAGS (\\Deleted))\r\n');
    await c.write(`${t1} OK\r\n${t2} OK\r\n`);
  });
  const [s, f] = await Promise.all([
    store(conn, '1:2', { add: ['\\Seen'], uid: true, silent: true }),
    fetchAll(conn, '1:2', { size: true }, { uid: true }),
  ]);
  expect(s.updated).toEqual([]);
  expect(f.map((m) => [m.uid, m.size])).toEqual([
    [1, 100],
    [2, 200],
  ]);
  expect(events).toEqual([{ uid: 2, flags: ['\\Deleted'] }]);
});

it('a .SILENT UID STORE with UNCHANGEDSINCE still takes its MODSEQ updates (RFC 7162 3.1.3)', async () => {
  const { conn, events } = await selected(async (c) => {
    const t = tagOf(await c.expect(/UID STORE 1:2 \(UNCHANGEDSINCE 5\) \+FLAGS.SILENT/));
    await c.write('* 1 FETCH (UID 1 MODSEQ (7))\r\n* 2 FETCH (UID 2 MODSEQ (8))\r\n');
    await c.write(`${t} OK\r\n`);
  }, 'IMAP4rev1 UIDPLUS CONDSTORE');
  const s = await store(conn, '1:2', {
    add: ['\\Seen'],
    uid: true,
    silent: true,
    unchangedSince: 5n,
  });
  expect(s.updated.map((m) => [m.uid, m.modseq])).toEqual([
    [1, 7n],
    [2, 8n],
  ]);
  expect(events).toEqual([]);
});

it('pipelined UID STOREs on overlapping sets: the second update of a message goes to the second STORE', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID STORE 1:10 /));
    const t2 = tagOf(await c.expect(/UID STORE 5 /));
    await c.write('* 5 FETCH (UID 5 FLAGS (\\Seen))\r\n');
    await c.write('* 5 FETCH (UID 5 FLAGS (\\Seen \\Flagged))\r\n');
    await c.write(`${t1} OK stored\r\n${t2} OK stored\r\n`);
  });
  const [a, b] = await Promise.all([
    store(conn, '1:10', { add: ['\\Seen'], uid: true }),
    store(conn, '5', { add: ['\\Flagged'], uid: true }),
  ]);
  expect(a.updated.map((m) => [m.uid, [...m.flags!]])).toEqual([[5, ['\\Seen']]]);
  expect(b.updated.map((m) => [m.uid, [...m.flags!]])).toEqual([[5, ['\\Seen', '\\Flagged']]]);
  expect(events).toEqual([]);
});

it("a second update of a message no other command takes is still the STORE's own", async () => {
  const { conn, events } = await selected(async (c) => {
    const t = tagOf(await c.expect(/UID STORE 5 /));
    // Another session's change of message 5, then this STORE's.
    await c.write('* 5 FETCH (UID 5 FLAGS (\\Answered))\r\n');
    await c.write('* 5 FETCH (UID 5 FLAGS (\\Answered \\Flagged))\r\n');
    await c.write(`${t} OK stored\r\n`);
  });
  const s = await store(conn, '5', { add: ['\\Flagged'], uid: true });
  expect(s.updated.map((m) => [m.uid, [...m.flags!]])).toEqual([
    [5, ['\\Answered']],
    [5, ['\\Answered', '\\Flagged']],
  ]);
  expect(events).toEqual([]);
});

it('a FLAGS-only UID FETCH leaves a pipelined UID FETCH its RFC822.SIZE responses', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID FETCH 1:2 \(FLAGS\)/));
    const t2 = tagOf(await c.expect(/UID FETCH 1:2 \(RFC822.SIZE\)/));
    await c.write('* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n');
    await c.write('* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n* 2 FETCH (UID 2 RFC822.SIZE 200)\r\n');
    await c.write(`${t1} OK\r\n${t2} OK\r\n`);
  });
  const [a, b] = await Promise.all([
    fetchAll(conn, '1:2', { flags: true }, { uid: true }),
    fetchAll(conn, '1:2', { size: true }, { uid: true }),
  ]);
  expect(a.map((m) => [m.uid, m.size])).toEqual([
    [1, undefined],
    [2, undefined],
  ]);
  expect(b.map((m) => [m.uid, m.size])).toEqual([
    [1, 100],
    [2, 200],
  ]);
  expect(events).toEqual([]);
});

it('a FLAGS-only UID FETCH alone takes a response carrying more (no other command wants it)', async () => {
  const { conn, events } = await selected(async (c) => {
    const t = tagOf(await c.expect(/UID FETCH 1 \(FLAGS\)/));
    await c.write(`* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 100)\r\n${t} OK\r\n`);
  });
  const a = await fetchAll(conn, '1', { flags: true }, { uid: true });
  expect(a.map((m) => [m.uid, m.size])).toEqual([[1, 100]]);
  expect(events).toEqual([]);
});

it('two concurrent fetchOne of one message each get it', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID FETCH 7 /));
    const t2 = tagOf(await c.expect(/UID FETCH 7 /));
    await c.write('* 3 FETCH (UID 7 RFC822.SIZE 700)\r\n* 3 FETCH (UID 7 RFC822.SIZE 700)\r\n');
    await c.write(`${t1} OK\r\n${t2} OK\r\n`);
  });
  const [a, b] = await Promise.all([
    fetchOne(conn, 7, { size: true }, { uid: true }),
    fetchOne(conn, 7, { size: true }, { uid: true }),
  ]);
  expect([a?.size, b?.size]).toEqual([700, 700]);
  expect(events).toEqual([]);
});

it('two concurrent fetchAll of the same messages each get each message once', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID FETCH 1:3 /));
    const t2 = tagOf(await c.expect(/UID FETCH 1:3 /));
    for (let round = 0; round < 2; round++) {
      for (const u of [1, 2, 3]) await c.write(`* ${u} FETCH (UID ${u} RFC822.SIZE ${u}00)\r\n`);
    }
    await c.write(`${t1} OK\r\n${t2} OK\r\n`);
  });
  const [a, b] = await Promise.all([
    fetchAll(conn, '1:3', { size: true }, { uid: true }),
    fetchAll(conn, '1:3', { size: true }, { uid: true }),
  ]);
  expect(a.map((m) => m.uid)).toEqual([1, 2, 3]);
  expect(b.map((m) => m.uid)).toEqual([1, 2, 3]);
  expect(events).toEqual([]);
});

it("a server that splits one message's answer in two responses: both are the FETCH's when alone", async () => {
  const { conn, events } = await selected(async (c) => {
    const t = tagOf(await c.expect(/UID FETCH 4 /));
    await c.write(
      '* 2 FETCH (UID 4 RFC822.SIZE 400)\r\n* 2 FETCH (UID 4 INTERNALDATE "17-Jul-1996 02:44:25 -0700")\r\n',
    );
    await c.write(`${t} OK\r\n`);
  });
  const got = await fetchAll(conn, '4', { size: true, internalDate: true }, { uid: true });
  expect(got.map((m) => [m.uid, m.size, m.internalDate?.toISOString()])).toEqual([
    [4, 400, undefined],
    [4, undefined, '1996-07-17T09:44:25.000Z'],
  ]);
  expect(events).toEqual([]);
});

it('n:* takes no message below n: an emulated UID MOVE 100:* pins only what is in the set, and a flag update of another message meanwhile stays a fetch event', async () => {
  const sent: string[] = [];
  const { conn, events } = await selected(async (c) => {
    let line = await c.expect(/UID FETCH 100:\* /);
    sent.push(line);
    // Another session sets \Seen on UID 2 while the pinning FETCH runs.
    await c.write('* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n* 10 FETCH (UID 100)\r\n');
    await c.write(`${tagOf(line)} OK done\r\n`);
    line = await c.expect(/UID COPY /);
    sent.push(line);
    await c.write(`${tagOf(line)} OK [COPYUID 9 100 5] copied\r\n`);
    line = await c.expect(/UID STORE /);
    sent.push(line);
    await c.write(`${tagOf(line)} OK\r\n`);
    line = await c.expect(/UID EXPUNGE /);
    sent.push(line);
    await c.write(`${tagOf(line)} OK\r\n`);
  });
  await move(conn, '100:*', 'Archive', { uid: true });
  expect(sent.slice(1).map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual([
    'UID COPY 100',
    'UID STORE 100',
    'UID EXPUNGE 100',
  ]);
  expect(events.map((a) => a.uid)).toEqual([2]);
});

it('a UID FETCH n:* does not take a pipelined UID STORE of a message below n', async () => {
  const { conn, events } = await selected(async (c) => {
    const t1 = tagOf(await c.expect(/UID FETCH 100:\* /));
    const t2 = tagOf(await c.expect(/UID STORE 2 /));
    await c.write('* 10 FETCH (UID 100 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n');
    await c.write(`${t1} OK\r\n${t2} OK\r\n`);
  });
  const [f, s] = await Promise.all([
    fetchAll(conn, '100:*', { flags: true }, { uid: true }),
    store(conn, '2', { add: ['\\Seen'], uid: true }),
  ]);
  expect(f.map((m) => m.uid)).toEqual([100]);
  expect(s.updated.map((m) => m.uid)).toEqual([2]);
  expect(events).toEqual([]);
});

it('a FETCH of RFC822.SIZE takes a size too large to hold (kept in other) but not another item the parser does not know', async () => {
  const { conn, events } = await selected(async (c) => {
    const t = tagOf(await c.expect(/UID FETCH 1:2 /));
    // Another session's data with an item of some extension: not this FETCH's answer.
    await c.write('* 2 FETCH (UID 2 X-FOO 1)\r\n');
    await c.write('* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n');
    // A wrapped size (Dovecot 2.3's BINARY.SIZE bug) is this FETCH's answer all the same.
    await c.write('* 2 FETCH (UID 2 RFC822.SIZE 18446744073709534636)\r\n');
    await c.write(`${t} OK fetched\r\n`);
  });
  const f = await fetchAll(conn, '1:2', { size: true }, { uid: true });
  expect(f.map((m) => [m.uid, m.size, m.attributes.other?.get('RFC822.SIZE')])).toEqual([
    [1, 100, undefined],
    [2, undefined, '18446744073709534636'],
  ]);
  expect(events.map((e) => [e.uid, e.other?.get('X-FOO')])).toEqual([[2, '1']]);
});
