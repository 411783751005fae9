/**
 * Found by the connection fuzzer (npm run fuzz:conn, seed 13007057 at commit
 * 2b55cfa): two pipelined UID SEARCH commands, and a server that completes
 * the second first, each with its untagged `* SEARCH` before its completion.
 * A plain SEARCH response names no command, so the engine gives the first
 * `* SEARCH` to the oldest command in flight; the second command then
 * completed with no result, and the second `* SEARCH` was merged into the
 * first command's result ([6001, 6002, 5001] and []). A command that must
 * have had its response hands it back when it completes without one.
 */
import { describe, expect, it, vi } from 'vitest';
import { search } from '../../src/commands/search.js';
import { sort } from '../../src/commands/sort.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 5000 });

const { serve, connect } = useScriptedServers();

const tagOf = (line: string): string => line.split(' ')[0]!;

describe('pipelined plain SEARCH / SORT completed out of order', () => {
  it('each UID SEARCH gets the numbers sent before its own completion', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n');
      const first = tagOf(await c.expect(/^T\d+ UID SEARCH/));
      const second = tagOf(await c.expect(/^T\d+ UID SEARCH/));
      await c.write(`* SEARCH 6001 6002\r\n${second} OK done\r\n`);
      await c.write(`* SEARCH 5001\r\n${first} OK done\r\n`);
      await c.readLine().catch(() => undefined);
    });
    const conn = await connect(server);
    const [a, b] = await Promise.all([
      search(conn, { seen: false }, { uid: true }),
      search(conn, { seen: true }, { uid: true }),
    ]);
    expect(a.numbers).toEqual([5001]);
    expect(b.numbers).toEqual([6001, 6002]);
    conn.close();
  });

  it('three UID SORTs completed newest first each get their own order', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 SORT] ready\r\n');
      const tags: string[] = [];
      for (let i = 0; i < 3; i++) tags.push(tagOf(await c.expect(/^T\d+ UID SORT/)));
      await c.write(`* SORT 9 8\r\n${tags[2]} OK done\r\n`);
      await c.write(`* SORT 7\r\n${tags[1]} OK done\r\n`);
      await c.write(`* SORT 3 1 2\r\n${tags[0]} OK done\r\n`);
      await c.readLine().catch(() => undefined);
    });
    const conn = await connect(server);
    const results = await Promise.all(
      ['ARRIVAL', 'DATE', 'SIZE'].map((k) =>
        sort(conn, [k as 'ARRIVAL' | 'DATE' | 'SIZE'], { all: true }, { uid: true }),
      ),
    );
    expect(results).toEqual([[3, 1, 2], [7], [9, 8]]);
    conn.close();
  });

  it('in order (data of both, then both completions, as Dovecot does) nothing moves', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n');
      const first = tagOf(await c.expect(/^T\d+ UID SEARCH/));
      const second = tagOf(await c.expect(/^T\d+ UID SEARCH/));
      await c.write(`* SEARCH 1 2\r\n* SEARCH 3\r\n${first} OK done\r\n${second} OK done\r\n`);
      await c.readLine().catch(() => undefined);
    });
    const conn = await connect(server);
    const [a, b] = await Promise.all([
      search(conn, { seen: false }, { uid: true }),
      search(conn, { seen: true }, { uid: true }),
    ]);
    expect(a.numbers).toEqual([1, 2]);
    expect(b.numbers).toEqual([3]);
    conn.close();
  });

  it('a response that came before the later command was sent stays with the earlier one', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n');
      const first = tagOf(await c.expect(/^T\d+ UID SEARCH/));
      await c.write('* SEARCH 4 5\r\n');
      const second = tagOf(await c.expect(/^T\d+ UID SEARCH/));
      // A server that leaves out the second command's `* SEARCH`: its result is empty.
      await c.write(`${second} OK done\r\n${first} OK done\r\n`);
      await c.readLine().catch(() => undefined);
    });
    const conn = await connect(server);
    const a = search(conn, { seen: false }, { uid: true });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first answer arrives
    const b = search(conn, { seen: true }, { uid: true });
    expect((await a).numbers).toEqual([4, 5]);
    expect((await b).numbers).toEqual([]);
    conn.close();
  });
});
