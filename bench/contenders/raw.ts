/**
 * The physical limit: writes the IMAP commands over a TLS socket and only
 * looks for each tagged completion (`\r\n<tag> `) in the byte stream, counting
 * bytes. No parsing at all. Tags (`Zq1`, `Zq2`, ...) do not occur at a line
 * start in the seeded mail, so a literal cannot fake a completion.
 */
import { connect, type TLSSocket } from 'node:tls';
import type { Job } from '../workloads.js';
import { runWorker, uidList, type Context } from './common.js';

interface Waiter {
  pattern: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

class RawImap {
  bytesIn = 0;
  bytesOut = 0;
  private tagN = 0;
  private waiters: Waiter[] = [];
  private tail = Buffer.alloc(0);

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error): void => {
      for (const w of this.waiters.splice(0)) w.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Connects, waits for the greeting and logs in. */
  static async open(job: Job, ca: Buffer): Promise<RawImap> {
    const socket = connect({ host: job.host, port: job.port, ca });
    const conn = new RawImap(socket);
    await conn.waitFor(Buffer.from('\r\n')); // greeting line
    await conn.command(`LOGIN ${job.user} "${job.password}"`);
    return conn;
  }

  /** Sends a command and resolves on its tagged completion. */
  command(text: string | Buffer[]): Promise<void> {
    const tag = `Zq${++this.tagN}`;
    if (typeof text === 'string') {
      this.write(`${tag} ${text}\r\n`);
    } else {
      // pieces of a command with LITERAL+ literals, the first without the tag
      this.write(`${tag} `);
      for (const piece of text) this.write(piece);
    }
    return this.waitFor(Buffer.from(`\r\n${tag} `));
  }

  write(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.bytesOut += buf.length;
    this.socket.write(buf);
  }

  async logout(): Promise<void> {
    await this.command('LOGOUT');
    this.socket.end();
  }

  private waitFor(pattern: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ pattern, resolve, reject }));
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    let from = 0;
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      let end = -1;
      if (from === 0 && this.tail.length > 0) {
        // a pattern split across two chunks
        const joint = Buffer.concat([this.tail, chunk.subarray(0, w.pattern.length - 1)]);
        const j = joint.indexOf(w.pattern);
        if (j >= 0) end = j + w.pattern.length - this.tail.length;
      }
      if (end < 0) {
        const i = chunk.indexOf(w.pattern, from);
        if (i >= 0) end = i + w.pattern.length;
      }
      if (end < 0) break;
      this.waiters.shift();
      const status = chunk.subarray(end, end + 2).toString('latin1');
      if (status === 'NO' || status === 'BA') {
        w.reject(new Error(`server said ${chunk.subarray(end, end + 200).toString('latin1')}`));
      } else {
        w.resolve();
      }
      from = Math.max(end, 1);
    }
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 16)));
  }
}

async function session(ctx: Context, body: (c: RawImap) => Promise<void>): Promise<RawImap> {
  const c = await RawImap.open(ctx.job, ctx.ca);
  await c.command(`SELECT ${ctx.job.mailbox}`);
  await body(c);
  await c.logout();
  return c;
}

const FETCH_ITEMS = '(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)';

await runWorker(() => ({
  W1: async (ctx) => {
    const c = await session(ctx, (c) => c.command(`FETCH ${ctx.job.range} ${FETCH_ITEMS}`));
    return { bytes: c.bytesIn, note: 'no parsing' };
  },
  W2: async (ctx) => {
    const c = await session(ctx, (c) => c.command(`FETCH ${ctx.job.range} (BODY.PEEK[])`));
    return { bytes: c.bytesIn, note: 'no parsing' };
  },
  W3: async (ctx) => {
    const c = await session(ctx, (c) => c.command(`UID FETCH ${ctx.job.uid} (BODY.PEEK[])`));
    return { bytes: c.bytesIn, note: 'no parsing' };
  },
  W4: async (ctx) => {
    await session(ctx, async (c) => {
      for (const uid of uidList(ctx.job.uid, ctx.job.count)) {
        await c.command(`UID STORE ${uid} +FLAGS (\\Flagged)`);
      }
    });
    return { check: `n=${ctx.job.count}` };
  },
  W4p: async (ctx) => {
    await session(ctx, async (c) => {
      const uids = uidList(ctx.job.uid, ctx.job.count);
      await Promise.all(uids.map((uid) => c.command(`UID STORE ${uid} +FLAGS (\\Flagged)`)));
    });
    return { check: `n=${ctx.job.count}`, note: 'all written before reading' };
  },
  W5: async (ctx) => {
    // one MULTIAPPEND command, every message a LITERAL+ literal
    const c = await RawImap.open(ctx.job, ctx.ca);
    const pieces: Buffer[] = [Buffer.from(`APPEND ${ctx.job.mailbox}`)];
    let bytes = 0;
    for (const m of ctx.messages) {
      pieces.push(Buffer.from(` {${m.length}+}\r\n`), m);
      bytes += m.length;
    }
    pieces.push(Buffer.from('\r\n'));
    await c.command(pieces);
    await c.logout();
    return { check: `n=${ctx.messages.length} bytes=${bytes}`, bytes, note: 'MULTIAPPEND' };
  },
}));
