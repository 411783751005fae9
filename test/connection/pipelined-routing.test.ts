/**
 * Pipelined FETCH and SEARCH commands against a scripted server that, like Dovecot,
 * answers them side by side (every command's untagged data before the
 * first completion, in any order; completions late): each command takes
 * only its own responses, a large literal streams into the command it belongs to while
 * an older FETCH is still in flight, and what no command claims becomes an
 * unsolicited `fetch` event.
 */
import { describe, expect, it, vi } from 'vitest';
import { fetch, fetchStream, type FetchedMessage } from '../../src/commands/fetch.js';
import { search } from '../../src/commands/search.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import { atom, list } from '../../src/wire/args.js';
import type { CommandArg } from '../../src/wire/command-arg.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';
import type { ScriptedConnection } from '../helpers/scripted-server.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers();

const GREETING = '* OK [CAPABILITY IMAP4rev1] ready\r\n';
const ENVELOPE = (subject: string): string =>
  `ENVELOPE (NIL "${subject}" NIL NIL NIL NIL NIL NIL NIL NIL)`;
const STRUCTURE = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 1 NIL NIL NIL NIL)';

/** Waits for one command line per pattern, in order; returns their tags. */
async function commands(c: ScriptedConnection, patterns: RegExp[]): Promise<string[]> {
  const tags: string[] = [];
  for (const re of patterns) {
    await c.expect(re);
    tags.push(c.tag);
  }
  return tags;
}

async function all(iterable: AsyncIterable<FetchedMessage>): Promise<FetchedMessage[]> {
  const out: FetchedMessage[] = [];
  for await (const m of iterable) out.push(m);
  return out;
}

function unsolicitedOf(conn: ImapConnection): number[] {
  const seen: number[] = [];
  conn.on('fetch', (r) => seen.push(r.seq));
  return seen;
}

describe('pipelined FETCH commands answered side by side (scripted server)', () => {
  it('responses in reverse command order still reach their own commands', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const [t1, t2] = await commands(c, [
        /UID FETCH 1:2 \(ENVELOPE\)$/,
        /UID FETCH 1:2 \(BODYSTRUCTURE\)$/,
      ]);
      await c.write(
        `* 1 FETCH (UID 1 BODYSTRUCTURE ${STRUCTURE})\r\n` +
          `* 1 FETCH (UID 1 ${ENVELOPE('one')})\r\n` +
          `* 2 FETCH (UID 2 ${ENVELOPE('two')})\r\n` +
          `* 2 FETCH (UID 2 BODYSTRUCTURE ${STRUCTURE})\r\n` +
          `* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n` +
          `${t2} OK structures\r\n${t1} OK envelopes\r\n`,
      );
      await c.run([{ stall: true }]);
    });
    const conn = await connect(server);
    const unsolicited = unsolicitedOf(conn);
    const [envelopes, structures] = await Promise.all([
      all(fetch(conn, '1:2', { envelope: true }, { uid: true })),
      all(fetch(conn, '1:2', { bodyStructure: true }, { uid: true })),
    ]);
    expect(envelopes.map((m) => m.envelope?.subject)).toEqual(['one', 'two']);
    expect(envelopes.every((m) => m.bodyStructure === undefined)).toBe(true);
    expect(structures.map((m) => m.bodyStructure?.subtype)).toEqual(['plain', 'plain']);
    expect(structures.every((m) => m.envelope === undefined)).toBe(true);
    // The flag update belongs to neither: it is news.
    expect(unsolicited).toEqual([2]);
  });

  it('a large literal streams into the later command while an older FETCH is in flight', async () => {
    const data = Buffer.alloc(300_000, 'x');
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const [t1, t2] = await commands(c, [
        /UID FETCH 7 \(ENVELOPE\)$/,
        /UID FETCH 7 \(BODY\.PEEK\[\]\)$/,
      ]);
      const response = Buffer.concat([
        Buffer.from(`* 1 FETCH (UID 7 ${ENVELOPE('seven')})\r\n`),
        Buffer.from(`* 1 FETCH (UID 7 BODY[] {${data.length}}\r\n`),
        data,
        Buffer.from(`)\r\n${t1} OK envelope\r\n${t2} OK body\r\n`),
      ]);
      await c.run([{ send: response, chunks: new Array<number>(150).fill(2000) }, { stall: true }]);
    });
    const conn = await connect(server, { streamThreshold: 1024 });
    const unsolicited = unsolicitedOf(conn);
    const envelopes = all(fetch(conn, 7, { envelope: true }, { uid: true }));
    const { stream, size } = await fetchStream(conn, 7, '', { uid: true });
    expect(size).toBe(data.length);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    // More than one piece: the literal was streamed, not buffered by the parser first.
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const [message] = await envelopes;
    expect(message?.envelope?.subject).toBe('seven');
    expect(message?.parts.size).toBe(0);
    expect(unsolicited).toEqual([]);
  });

  it('SEARCH results completed late go to their own commands; a lone command keeps a split result', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const [t1, t2] = await commands(c, [/UID SEARCH UID 1$/, /UID SEARCH UID 2$/]);
      await c.write(`* SEARCH 1\r\n* SEARCH 2\r\n${t2} OK two\r\n${t1} OK one\r\n`);
      await c.expect(/UID SEARCH ALL$/);
      await c.write('* SEARCH 1 2\r\n* SEARCH 3\r\n$tag OK all\r\n');
      await c.run([{ stall: true }]);
    });
    const conn = await connect(server);
    const [one, two] = await Promise.all([
      search(conn, { uid: 1 }, { uid: true }),
      search(conn, { uid: 2 }, { uid: true }),
    ]);
    expect([one.numbers, two.numbers]).toEqual([[1], [2]]);
    expect((await search(conn, { all: true }, { uid: true })).numbers).toEqual([1, 2, 3]);
  });

  it("an aborted iterator's remaining data is dropped; a later command still gets its own", async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const [t1, t2] = await commands(c, [
        /UID FETCH 1:2 \(ENVELOPE\)$/,
        /UID FETCH 3:4 \(ENVELOPE\)$/,
      ]);
      await c.write(`* 1 FETCH (UID 1 ${ENVELOPE('one')})\r\n`);
      await c.run([{ wait: 100 }]);
      await c.write(
        `* 2 FETCH (UID 2 ${ENVELOPE('two')})\r\n* 3 FETCH (UID 3 ${ENVELOPE('three')})\r\n` +
          `* 4 FETCH (UID 4 ${ENVELOPE('four')})\r\n${t1} OK one\r\n${t2} OK two\r\n`,
      );
      await c.run([{ stall: true }]);
    });
    const conn = await connect(server);
    const unsolicited = unsolicitedOf(conn);
    const abort = new AbortController();
    const first = (async () => {
      for await (const m of fetch(
        conn,
        '1:2',
        { envelope: true },
        { uid: true, signal: abort.signal },
      )) {
        expect(m.uid).toBe(1);
        abort.abort();
      }
    })();
    const later = all(fetch(conn, '3:4', { envelope: true }, { uid: true }));
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await later).map((m) => m.envelope?.subject)).toEqual(['three', 'four']);
    expect(unsolicited).toEqual([]);
  });

  it("a read pause taken by a stream's consumer is its command's: an older command still completes", async () => {
    const data = Buffer.alloc(300_000, 'y');
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const [t1, t2] = await commands(c, [
        /UID FETCH 1 \(ENVELOPE\)$/,
        /UID FETCH 9 \(BODY\.PEEK\[\]\)$/,
      ]);
      const response = Buffer.concat([
        Buffer.from(`* 9 FETCH (UID 9 BODY[] {${data.length}}\r\n`),
        data,
        Buffer.from(`)\r\n${t2} OK body\r\n`),
      ]);
      await c.run([{ send: response, chunks: new Array<number>(150).fill(2000) }, { wait: 150 }]);
      // The older command's data and completion come in a later read.
      await c.write(`* 1 FETCH (UID 1 ${ENVELOPE('one')})\r\n${t1} OK one\r\n`);
      await c.run([{ stall: true }]);
    });
    const conn = await connect(server, { streamThreshold: 1024 });
    const envelopes = all(fetch(conn, 1, { envelope: true }, { uid: true }));
    const { stream } = await fetchStream(conn, 9, '', { uid: true, highWaterMark: 8 * 1024 });
    // Not reading the stream yet: the older FETCH must complete all the same.
    expect((await envelopes).map((m) => m.envelope?.subject)).toEqual(['one']);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('two small copies of the same section go one to each command', async () => {
    const a = Buffer.alloc(500, 'a');
    const b = Buffer.alloc(500, 'b');
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const [t1, t2] = await commands(c, [
        /UID FETCH 7 \(BODY\.PEEK\[\]\)$/,
        /UID FETCH 7 \(BODY\.PEEK\[\]\)$/,
      ]);
      const literal = (bytes: Buffer): Buffer =>
        Buffer.concat([
          Buffer.from(`* 1 FETCH (UID 7 BODY[] {${bytes.length}}\r\n`),
          bytes,
          Buffer.from(')\r\n'),
        ]);
      const response = Buffer.concat([
        literal(a),
        literal(b),
        Buffer.from(`${t1} OK\r\n${t2} OK\r\n`),
      ]);
      await c.run([{ send: response, chunks: new Array<number>(200).fill(2000) }, { stall: true }]);
    });
    const conn = await connect(server, { streamThreshold: 1024 });
    const unsolicited = unsolicitedOf(conn);
    const [first, second] = await Promise.all([
      fetchStream(conn, 7, '', { uid: true }),
      fetchStream(conn, 7, '', { uid: true }),
    ]);
    const read = async (stream: AsyncIterable<unknown>): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const [gotA, gotB] = await Promise.all([read(first.stream), read(second.stream)]);
    expect(gotA.equals(a)).toBe(true);
    expect(gotB.equals(b)).toBe(true);
    expect(unsolicited).toEqual([]);
  });
});

describe('a tagged ESEARCH and the single-result rule', () => {
  it("a second ESEARCH carrying a pipelined command's own tag stays with it (not declined to a later collector)", async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const first = (await c.expect(/^\S+ SEARCH RETURN \(COUNT\) ALL$/)).split(' ')[0]!;
      const second = (await c.expect(/^\S+ SEARCH RETURN \(ALL\) ALL$/)).split(' ')[0]!;
      await c.write(
        `* ESEARCH (TAG "${first}") COUNT 5\r\n* ESEARCH (TAG "${first}") ALL 1:5\r\n` +
          `* ESEARCH (TAG "${second}") ALL 2:3\r\n${first} OK done\r\n${second} OK done\r\n`,
      );
      await c.closed();
    });
    const conn = await connect(server);
    const args = (item: string): CommandArg[] => [atom('RETURN'), list([atom(item)]), atom('ALL')];
    const options = { collect: ['ESEARCH'], single: true, pipeline: true };
    const [a, b] = await Promise.all([
      conn.run('SEARCH', args('COUNT'), options),
      conn.run('SEARCH', args('ALL'), options),
    ]);
    const tagsOf = (r: typeof a) =>
      r.untagged.map((u) =>
        u.name === 'ESEARCH' ? `${u.tag} ${u.count ?? ''}${u.all?.toString() ?? ''}` : u.name,
      );
    expect(tagsOf(a)).toEqual([`${a.tagged.tag} 5`, `${a.tagged.tag} 1:5`]);
    expect(tagsOf(b)).toEqual([`${b.tagged.tag} 2:3`]);
  });
});
