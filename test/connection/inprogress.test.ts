/**
 * INPROGRESS (RFC 9585): `* OK [INPROGRESS ("tag" count total)]` during a
 * long command reaches that command's `onProgress` and the connection's
 * `progress` event, and keeps the command timeout from firing. Dovecot 2.3
 * does not send it, so a scripted server does.
 */
import { describe, expect, it } from 'vitest';
import { copy } from '../../src/commands/copy.js';
import { expunge } from '../../src/commands/expunge.js';
import { search } from '../../src/commands/search.js';
import type { CommandProgress } from '../../src/connection/types.js';
import { atom } from '../../src/wire/args.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

const { serve, connect } = useScriptedServers();

const GREETING = '* PREAUTH [CAPABILITY IMAP4rev1 INPROGRESS] hi\r\n';

describe('INPROGRESS progress reports (RFC 9585 4)', () => {
  it("a report naming the command's tag reaches its onProgress and the progress event", async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ SELECT INBOX/);
      await c.write('* 100 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      const line = await c.expect(/^\S+ UID SEARCH /);
      const tag = line.split(' ')[0]!;
      await c.write(`* OK [INPROGRESS ("${tag}" 10 100)] Searching\r\n`);
      await c.write(`* OK [INPROGRESS ("${tag}" 60 100)] Still searching\r\n`);
      await c.write(`* OK [INPROGRESS ("${tag}" NIL NIL)] Almost\r\n`);
      await c.write('* SEARCH 4 8\r\n$tag OK done\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    await conn.exec('SELECT', [atom('INBOX')]);
    const seen: CommandProgress[] = [];
    const events: CommandProgress[] = [];
    conn.on('progress', (p) => events.push(p));
    const r = await search(conn, { all: true }, { uid: true, onProgress: (p) => seen.push(p) });
    expect(r.numbers).toEqual([4, 8]);
    const tag = seen[0]?.tag;
    expect(tag).toMatch(/^T\d+$/);
    expect(seen).toEqual([
      { tag, count: 10, total: 100, text: 'Searching' },
      { tag, count: 60, total: 100, text: 'Still searching' },
      { tag, count: null, total: null, text: 'Almost' },
    ]);
    expect(events).toEqual(seen);
  });

  it("a report naming another command's tag is not this command's", async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ SELECT INBOX/);
      await c.write('* 3 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ UID COPY 1:3 Archive/);
      await c.write('* OK [INPROGRESS ("ZZZ9" 1 3)] someone else\r\n');
      await c.write('* OK [INPROGRESS ("$tag" 2 3)] copying\r\n');
      await c.write('$tag OK copied\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    await conn.exec('SELECT', [atom('INBOX')]);
    const seen: CommandProgress[] = [];
    const events: CommandProgress[] = [];
    conn.on('progress', (p) => events.push(p));
    await copy(conn, '1:3', 'Archive', { uid: true, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => [p.count, p.total, p.text])).toEqual([[2, 3, 'copying']]);
    expect(events.map((p) => p.tag)).toEqual(['ZZZ9', seen[0]!.tag]);
  });

  it('a report without a tag (NIL, or a bare INPROGRESS) is the only command in flight', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ SELECT INBOX/);
      await c.write('* 3 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ EXPUNGE/);
      await c.write('* OK [INPROGRESS (NIL 1 2)] expunging\r\n');
      await c.write('* OK [INPROGRESS] hang on\r\n');
      await c.write('* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n$tag OK expunged\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    await conn.exec('SELECT', [atom('INBOX')]);
    const seen: CommandProgress[] = [];
    const r = await expunge(conn, { onProgress: (p) => seen.push(p) });
    expect(r.expunged).toEqual([1, 1]);
    expect(seen).toEqual([
      { tag: null, count: 1, total: 2, text: 'expunging' },
      { tag: null, count: null, total: null, text: 'hang on' },
    ]);
  });

  it('a throwing onProgress is logged, and the command completes', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ NOOP/);
      await c.write('* OK [INPROGRESS ("$tag" 1 2)] working\r\n$tag OK done\r\n');
      await c.closed();
    });
    const errors: unknown[] = [];
    const conn = await connect(server, { logger: { error: (obj) => errors.push(obj) } });
    const r = await conn.exec('NOOP', [], {
      onProgress: () => {
        throw new Error('listener bug');
      },
    });
    expect(r.tagged.status).toBe('OK');
    expect(errors.length).toBe(1);
    expect(conn.closed).toBe(false);
  });

  it('an async onProgress that rejects is logged, not an unhandled rejection', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ NOOP/);
      await c.write('* OK [INPROGRESS ("$tag" 1 2)] working\r\n$tag OK done\r\n');
      await c.closed();
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const errors: unknown[] = [];
      const conn = await connect(server, { logger: { error: (obj) => errors.push(obj) } });
      const r = await conn.exec('NOOP', [], {
        onProgress: async () => {
          await Promise.resolve();
          throw new Error('async listener bug');
        },
      });
      expect(r.tagged.status).toBe('OK');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(errors.length).toBe(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('reports keep a long command alive past the command timeout', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ NOOP/);
      for (let i = 1; i <= 6; i++) {
        await c.run([{ wait: 100 }]);
        await c.write(`* OK [INPROGRESS ("$tag" ${i} 6)] working\r\n`);
      }
      await c.write('$tag OK done\r\n');
      await c.closed();
    });
    const conn = await connect(server, {
      timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 300 },
    });
    const counts: Array<number | null> = [];
    const r = await conn.exec('NOOP', [], { onProgress: (p) => counts.push(p.count) });
    expect(r.tagged.status).toBe('OK');
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
