/**
 * COMPRESS=DEFLATE (RFC 4978) against a hostile server: uncompressed bytes
 * after the OK are fatal (COMPRESS_INJECTION), and an inflate bomb hits a
 * parser limit with bounded memory instead of inflating gigabytes.
 */
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { ImapConnectionError, ImapLimitError, ImapProtocolError } from '../../src/model/errors.js';
import { closeEvent, useScriptedServers } from '../helpers/scripted-harness.js';
import type { ScriptStep } from '../helpers/scripted-server.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

const { serve, connect } = useScriptedServers();

const GREETING = '* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] ready\r\n';
const SYNC = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

/**
 * A raw deflate stream (not finished) that inflates to `prefix` followed by
 * `mebibytes` MiB of `a`: one sync-flushed 1 MiB segment (about 1 KB) repeated.
 */
function deflateBomb(prefix: string, mebibytes: number): Buffer {
  const head = zlib.deflateRawSync(Buffer.from(prefix, 'latin1'), SYNC);
  const segment = zlib.deflateRawSync(Buffer.alloc(1 << 20, 0x61), { ...SYNC, level: 9 });
  return Buffer.concat([head, ...Array.from({ length: mebibytes }, () => segment)]);
}

describe('COMPRESS=DEFLATE', () => {
  it('works both ways when the server behaves (sanity check of the script)', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ COMPRESS DEFLATE$/ },
      { send: '$tag OK DEFLATE active\r\n' },
      { compress: true },
      { expect: /^T\d+ NOOP$/ },
      { send: '* 2 RECENT\r\n$tag OK compressed noop\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await conn.compress();
    expect(conn.compressed).toBe(true);
    const r = await conn.noop();
    expect(r.tagged.text).toBe('compressed noop');
    expect(server.receivedText()).toMatch(/^T\d+ COMPRESS DEFLATE\r\nT\d+ NOOP\r\n$/);
  });

  it('COMPRESS refused with NO: ImapProtocolError, the connection stays uncompressed and usable', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ COMPRESS DEFLATE$/ },
      { send: '$tag NO [COMPRESSIONACTIVE] already\r\n' },
      { expect: /^T\d+ NOOP$/ },
      { send: '$tag OK plain noop\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    let err: unknown;
    try {
      await conn.compress();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).responseCode).toEqual({ name: 'COMPRESSIONACTIVE' });
    expect(conn.compressed).toBe(false);
    expect((await conn.noop()).tagged.text).toBe('plain noop');
  });

  it.each<[string, ScriptStep[]]>([
    [
      'in the same write as the OK',
      [{ send: '$tag OK DEFLATE active\r\n* OK not compressed\r\n' }],
    ],
    [
      'in a later write',
      [{ send: '$tag OK DEFLATE active\r\n' }, { wait: 30 }, { send: '* OK not compressed\r\n' }],
    ],
  ])('uncompressed bytes after the COMPRESS OK (%s): COMPRESS_INJECTION', async (_n, steps) => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ COMPRESS DEFLATE$/ },
      ...steps,
      { stall: true },
    ]);
    const conn = await connect(server);
    const closed = closeEvent(conn);
    await conn.compress().catch(() => undefined);
    const err = await closed;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('COMPRESS_INJECTION');
    expect(err?.message).toMatch(/compressed stream is corrupt/);
    let next: unknown;
    try {
      await conn.noop();
    } catch (e) {
      next = e;
    }
    expect(next).toBeInstanceOf(ImapConnectionError);
    expect((next as ImapConnectionError).code).toBe('CONNECTION_CLOSED');
  });

  it('an inflate bomb (1 MB inflating to 1 GiB on one line) hits maxLineLength with bounded memory', async () => {
    const bomb = deflateBomb('* OK ', 1024);
    expect(bomb.length).toBeLessThan(1.1 * 1024 * 1024);
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ COMPRESS DEFLATE$/ },
      { send: '$tag OK DEFLATE active\r\n' },
      { send: bomb },
      { stall: true },
    ]);
    const conn = await connect(server);
    const closed = closeEvent(conn);
    const before = process.memoryUsage();
    await conn.compress().catch(() => undefined);
    const err = await closed;
    const after = process.memoryUsage();
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).code).toBe('LIMIT');
    expect((err as ImapLimitError).limit).toBe('maxLineLength');
    const grown = after.heapUsed + after.external - (before.heapUsed + before.external);
    expect(grown).toBeLessThan(256 * 1024 * 1024);
  });

  it('an inflate bomb announced as a huge literal is refused at its header', async () => {
    const bomb = deflateBomb('* 1 FETCH (BODY[] {1073741824}\r\n', 64);
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ COMPRESS DEFLATE$/ },
      { send: '$tag OK DEFLATE active\r\n' },
      { send: bomb },
      { stall: true },
    ]);
    const conn = await connect(server);
    const closed = closeEvent(conn);
    await conn.compress().catch(() => undefined);
    const err = await closed;
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxLiteralSize');
  });

  it('a bomb of many small lines is bounded by the command timeout, not memory', async () => {
    // 64 MiB of "* OK a...a\r\n" lines: each line is legal, so only time bounds it.
    const line = '* OK ' + 'a'.repeat(1000) + '\r\n';
    const chunk = zlib.deflateRawSync(Buffer.from(line.repeat(1024)), SYNC);
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ COMPRESS DEFLATE$/ },
      { send: '$tag OK DEFLATE active\r\n' },
      { send: Buffer.concat(Array.from({ length: 64 }, () => chunk)) },
      { stall: true },
    ]);
    const conn = await connect(server, { timeouts: { command: 500 } });
    await conn.compress();
    const before = process.memoryUsage();
    let err: unknown;
    try {
      await conn.noop();
    } catch (e) {
      err = e;
    }
    const after = process.memoryUsage();
    expect((err as ImapConnectionError).code).toBe('CONNECTION_TIMEOUT');
    expect(after.heapUsed - before.heapUsed).toBeLessThan(256 * 1024 * 1024);
  });
});
