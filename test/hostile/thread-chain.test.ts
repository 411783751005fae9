/**
 * A THREAD chain `(1 2 3 ... n)` is a tree n levels deep. Nothing between the
 * socket and the caller walks it recursively: the parser builds chains in a
 * loop, thread() hands the roots over without walking them, and the imaplib
 * facade returns the response's bytes. A hostile 200,000-message chain goes
 * through each path without a stack overflow (walked here with loops, as
 * callers must: see thread()'s documentation).
 */
import { describe, expect, it, vi } from 'vitest';
import { thread } from '../../src/commands/thread.js';
import * as imaplib from '../../src/imaplib/index.js';
import type { ThreadNode } from '../../src/model/response.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 20_000 });

const { serve, connect } = useScriptedServers();

const N = 200_000;
const CHAIN = Array.from({ length: N }, (_, i) => i + 1).join(' ');
/** A 200,000-message chain, then a thread with a missing parent and two branches. */
const THREADS = `(${CHAIN})((${N + 1})(${N + 2} ${N + 3}))`;

/** Every node's id in depth-first order, with an explicit stack. */
function ids(roots: readonly ThreadNode[]): (number | null)[] {
  const out: (number | null)[] = [];
  const stack = [...roots].reverse();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    out.push(node.id);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}

/** How deep the tree goes, with a loop. */
function depth(root: ThreadNode): number {
  let d = 1;
  for (let n = root; n.children.length > 0; n = n.children[0]!) d++;
  return d;
}

describe('a 200,000-message THREAD chain', () => {
  it('UID THREAD through the engine and thread(): every node, 200,000 levels deep, no stack overflow', async () => {
    const server = await serve([
      { send: '* PREAUTH [CAPABILITY IMAP4rev1 THREAD=REFERENCES] ready\r\n' },
      { expect: /^T\d+ UID THREAD REFERENCES UTF-8 ALL$/ },
      { send: `* THREAD ${THREADS}\r\n$tag OK threaded\r\n` },
      { stall: true },
    ]);
    const conn = await connect(server);
    const threads = await thread(conn, 'REFERENCES', {}, { uid: true });
    expect(threads).toHaveLength(2);
    expect(depth(threads[0]!)).toBe(N);
    const all = ids(threads);
    expect(all).toHaveLength(N + 4);
    expect(all.slice(0, 3)).toEqual([1, 2, 3]);
    expect(all.slice(N - 1)).toEqual([N, null, N + 1, N + 2, N + 3]);
    expect(threads[1]!.children.map((c) => c.id)).toEqual([N + 1, N + 2]);
  });

  it("the imaplib facade's thread() returns the response as bytes", async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 THREAD=REFERENCES] ready\r\n');
      await c.expect(/^\S+ CAPABILITY$/);
      await c.write('* CAPABILITY IMAP4rev1 THREAD=REFERENCES\r\n$tag OK caps\r\n');
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write(`* ${N + 3} EXISTS\r\n$tag OK [READ-WRITE] selected\r\n`);
      await c.expect(/^\S+ THREAD REFERENCES UTF-8 ALL$/);
      await c.write(`* THREAD ${THREADS}\r\n$tag OK threaded\r\n`);
      await c.closed();
    });
    const M = await imaplib.IMAP4.connect('127.0.0.1', server.port);
    try {
      await M.select('INBOX');
      const [typ, data] = await M.thread('REFERENCES', 'UTF-8', 'ALL');
      expect(typ).toBe('OK');
      expect(data).toHaveLength(1);
      expect(Buffer.isBuffer(data[0]) && data[0].equals(Buffer.from(THREADS))).toBe(true);
    } finally {
      M.shutdown();
    }
  });
});
