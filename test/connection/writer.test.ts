/**
 * SocketWriter (src/connection/writer.ts): how the writes of one tick reach
 * the socket, and back-pressure.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CORK_FLUSH, SocketWriter, WRITE_BUFFER_LIMIT } from '../../src/connection/writer.js';
import { ImapConnectionError } from '../../src/model/errors.js';

/** A socket stand-in recording each write it is given (a writev counts as one). */
class RecordingSocket extends Writable {
  readonly writes: Buffer[] = [];
  /** Completes writes only when told to (to build up back-pressure). */
  hold = false;
  #held: (() => void)[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writes.push(chunk);
    this.#complete(cb);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    this.writes.push(Buffer.concat(chunks.map((c) => c.chunk)));
    this.#complete(cb);
  }

  release(): void {
    this.hold = false;
    for (const cb of this.#held.splice(0)) cb();
  }

  #complete(cb: () => void): void {
    if (this.hold) this.#held.push(cb);
    else cb();
  }
}

function writerOn(socket: RecordingSocket, state = { closed: false }): SocketWriter {
  return new SocketWriter({
    output: () => socket,
    socket: () => socket,
    closed: () => state.closed,
    onActivity: () => undefined,
  });
}

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));
const line = (i: number): Buffer => Buffer.from(`T${i} UID STORE ${i} +FLAGS (\\Flagged)\r\n`);

describe('SocketWriter', () => {
  it('a lone command of a tick reaches the socket at once, uncorked', () => {
    const socket = new RecordingSocket();
    const writer = writerOn(socket);
    expect(writer.writeNow(line(1))).toBe(true);
    expect(socket.writes.map(String)).toEqual([String(line(1))]);
    expect(socket.writableCorked).toBe(0);
  });

  it('the commands of one tick after the first leave together on the next tick', async () => {
    const socket = new RecordingSocket();
    const writer = writerOn(socket);
    for (let i = 1; i <= 20; i++) writer.writeNow(line(i));
    expect(socket.writes).toHaveLength(1); // the first, at once; the others corked
    await tick();
    expect(socket.writes).toHaveLength(2);
    expect(socket.writableCorked).toBe(0);
    const expected = Array.from({ length: 20 }, (_, i) => String(line(i + 1))).join('');
    expect(socket.writes.map(String).join('')).toBe(expected);
    // The next tick starts afresh: its first write goes at once again.
    writer.writeNow(line(21));
    expect(socket.writes).toHaveLength(3);
  });

  it('a burst larger than CORK_FLUSH leaves in pieces during the tick, in order', () => {
    const socket = new RecordingSocket();
    const writer = writerOn(socket);
    const lines: Buffer[] = [];
    for (let i = 1; lines.reduce((n, b) => n + b.length, 0) < 3 * CORK_FLUSH; i++) {
      lines.push(line(i));
      writer.writeNow(line(i));
    }
    expect(socket.writes.length).toBeGreaterThanOrEqual(3); // before the tick ends
    const sent = Buffer.concat(socket.writes).length;
    expect(sent).toBeGreaterThanOrEqual(2 * CORK_FLUSH);
    expect(Buffer.concat(socket.writes).equals(Buffer.concat(lines).subarray(0, sent))).toBe(true);
  });

  it('asks the caller to wait past WRITE_BUFFER_LIMIT; drained() resolves on drain', async () => {
    const socket = new RecordingSocket();
    socket.hold = true;
    const writer = writerOn(socket);
    const big = Buffer.alloc(WRITE_BUFFER_LIMIT / 4, 0x61);
    const answers: boolean[] = [];
    for (let i = 0; i < 6; i++) answers.push(writer.writeNow(big));
    expect(answers.slice(0, 3)).toEqual([true, true, true]);
    expect(answers[5]).toBe(false);
    let drained = false;
    const wait = writer.drained().then(() => {
      drained = true;
    });
    await tick();
    expect(drained).toBe(false);
    socket.release();
    await wait;
    expect(drained).toBe(true);
  });

  it('a writer waiting for drain is rejected when the connection closes', async () => {
    const socket = new RecordingSocket();
    socket.hold = true;
    const state = { closed: false };
    const writer = writerOn(socket, state);
    writer.writeNow(Buffer.alloc(WRITE_BUFFER_LIMIT * 2));
    const wait = writer.drained();
    state.closed = true;
    writer.closed(new ImapConnectionError('CONNECTION_CLOSED', 'gone'));
    await expect(wait).rejects.toThrow('gone');
  });
});
