/**
 * BatchedReader (src/connection/reader.ts), driven the way Node drives a
 * socket's `onread` option: `buffer()` gives the memory for the next read,
 * `callback(n)` says how much of it was filled.
 */
import { describe, expect, it } from 'vitest';
import { BatchedReader, SLAB_SIZE } from '../../src/connection/reader.js';

/** Simulates one socket read of `data` into the reader. */
function read(reader: BatchedReader, data: Buffer): void {
  let rest = data;
  while (rest.length > 0) {
    const target = reader.onread.buffer();
    const n = Math.min(target.length, rest.length);
    target.set(rest.subarray(0, n));
    reader.onread.callback(n, target);
    rest = rest.subarray(n);
  }
}

/** Waits for the reader's setImmediate hand-over. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('BatchedReader', () => {
  it('hands the reads of one event-loop turn over as one buffer, in order', async () => {
    const reader = new BatchedReader();
    const got: Buffer[] = [];
    reader.attach((b) => got.push(b));
    const a = bytes(4096, 1);
    const b = bytes(4096, 2);
    const c = bytes(100, 3);
    read(reader, a);
    read(reader, b);
    read(reader, c);
    expect(got).toHaveLength(0); // not synchronously
    await turn();
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(Buffer.concat([a, b, c]))).toBe(true);
    read(reader, a);
    await turn();
    expect(got).toHaveLength(2);
    expect(got[1]!.equals(a)).toBe(true);
  });

  it('a lone small read (a reply to one command) is handed over at once', () => {
    const reader = new BatchedReader();
    const got: string[] = [];
    reader.attach((b) => got.push(b.toString()));
    read(reader, Buffer.from('T1 OK done\r\n'));
    expect(got).toEqual(['T1 OK done\r\n']);
  });

  it('a full slab is handed over at once, without waiting for the end of the turn', () => {
    const reader = new BatchedReader();
    const got: Buffer[] = [];
    reader.attach((b) => got.push(b));
    const data = bytes(SLAB_SIZE, 5);
    read(reader, data);
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(data)).toBe(true);
  });

  it('keeps what arrives before a consumer is attached, then hands it over', async () => {
    const reader = new BatchedReader();
    read(reader, Buffer.from('* OK ready\r\n'));
    await turn();
    expect(reader.pending).toBe(12);
    const got: string[] = [];
    reader.attach((b) => got.push(b.toString()));
    await turn();
    expect(got).toEqual(['* OK ready\r\n']);
    expect(reader.pending).toBe(0);
  });

  it('starts a new slab when little is left, never overwriting bytes handed over', async () => {
    const reader = new BatchedReader();
    const got: Buffer[] = [];
    reader.attach((b) => got.push(b));
    const first = bytes(SLAB_SIZE - 1000, 7);
    read(reader, first);
    await turn();
    const second = bytes(3000, 9); // does not fit the 1000 bytes left: a new slab
    const third = bytes(5000, 11);
    read(reader, second);
    read(reader, third);
    await turn();
    expect(Buffer.concat(got).equals(Buffer.concat([first, second, third]))).toBe(true);
    // The first buffer still holds its bytes: the slab was not reused.
    expect(got[0]!.equals(first)).toBe(true);
  });

  it('a batch spanning two slabs is handed over in order, as two pieces', async () => {
    const reader = new BatchedReader();
    const got: Buffer[] = [];
    reader.attach((b) => got.push(b));
    const a = bytes(SLAB_SIZE - 2000, 1);
    const b = bytes(4000, 2);
    read(reader, a);
    read(reader, b);
    await turn();
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(Buffer.concat(got).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('pause holds batches back until resume; flush hands them over even while paused', async () => {
    const reader = new BatchedReader();
    const got: string[] = [];
    reader.attach((b) => got.push(b.toString()));
    reader.pause();
    read(reader, Buffer.from('one')); // small, but paused: held
    await turn();
    expect(got).toEqual([]);
    reader.resume();
    await turn();
    expect(got).toEqual(['one']);
    reader.pause();
    read(reader, Buffer.from('two'));
    reader.flush();
    expect(got).toEqual(['one', 'two']);
  });

  it('detach drops what is pending and hands nothing over any more', async () => {
    const reader = new BatchedReader();
    const got: string[] = [];
    reader.attach((b) => got.push(b.toString()));
    read(reader, bytes(4000, 1));
    reader.detach();
    await turn();
    read(reader, Buffer.from('later'));
    await turn();
    reader.flush();
    expect(got).toEqual([]);
  });

  it('a consumer that detaches during a hand-over stops the rest of it', async () => {
    const reader = new BatchedReader();
    const got: Buffer[] = [];
    reader.attach((b) => {
      got.push(b);
      reader.detach();
    });
    read(reader, bytes(SLAB_SIZE - 2000, 1));
    read(reader, bytes(4000, 2)); // a second slab: two pieces pending
    await turn();
    expect(got).toHaveLength(1);
  });
});
