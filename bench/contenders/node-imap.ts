/**
 * node-imap (npm `imap` 0.8): callback and event API. It runs one command at
 * a time, so W4p only shows what queuing through it costs.
 */
import Imap from 'imap';
import type { ImapFetch } from 'imap';
import { promisify } from 'node:util';
import { CountCheck, W1Check, runWorker, uidList, type Context } from './common.js';

async function session<T>(ctx: Context, body: (c: Imap) => Promise<T>): Promise<T> {
  const { job } = ctx;
  const imap = new Imap({
    user: job.user,
    password: job.password,
    host: job.host,
    port: job.port,
    tls: true,
    tlsOptions: { ca: ctx.ca },
  });
  await new Promise<void>((resolve, reject) => {
    imap.once('ready', resolve);
    imap.once('error', reject);
    imap.connect();
  });
  if (job.workload !== 'W5') await promisify(imap.openBox.bind(imap))(job.mailbox, false);
  const result = await body(imap);
  await new Promise<void>((resolve) => {
    imap.once('close', () => resolve());
    imap.end();
  });
  return result;
}

function done(fetch: ImapFetch): Promise<void> {
  return new Promise((resolve, reject) => {
    fetch.once('error', reject);
    fetch.once('end', resolve);
  });
}

function countStream(stream: NodeJS.ReadableStream, add: (n: number) => void): void {
  stream.on('data', (chunk: Buffer) => add(chunk.length));
}

await runWorker(() => ({
  W1: (ctx) =>
    session(ctx, async (imap) => {
      const check = new W1Check();
      const f = imap.seq.fetch(ctx.job.range, { struct: true, envelope: true, size: true });
      f.on('message', (msg) => {
        msg.once('attributes', (attrs) => check.add(attrs.uid, attrs.envelope?.subject));
      });
      await done(f);
      return { check: String(check) };
    }),
  W2: (ctx) =>
    session(ctx, async (imap) => {
      const check = new CountCheck();
      const f = imap.seq.fetch(ctx.job.range, { bodies: '' });
      f.on('message', (msg) => {
        msg.on('body', (stream) => {
          let size = 0;
          countStream(stream, (n) => (size += n));
          stream.once('end', () => check.add(size));
        });
      });
      await done(f);
      return { check: String(check), bytes: check.bytes };
    }),
  W3: (ctx) =>
    session(ctx, async (imap) => {
      let bytes = 0;
      const f = imap.fetch(ctx.job.uid, { bodies: '' });
      f.on('message', (msg) =>
        msg.on('body', (stream) => countStream(stream, (n) => (bytes += n))),
      );
      await done(f);
      return { check: `bytes=${bytes}`, bytes, note: 'body stream' };
    }),
  W4: (ctx) =>
    session(ctx, async (imap) => {
      const addFlags = promisify(imap.addFlags.bind(imap));
      for (const uid of uidList(ctx.job.uid, ctx.job.count)) await addFlags(uid, '\\Flagged');
      return { check: `n=${ctx.job.count}` };
    }),
  W4p: (ctx) =>
    session(ctx, async (imap) => {
      const addFlags = promisify(imap.addFlags.bind(imap));
      await Promise.all(uidList(ctx.job.uid, ctx.job.count).map((u) => addFlags(u, '\\Flagged')));
      return { check: `n=${ctx.job.count}`, note: 'queued (one at a time)' };
    }),
  W5: (ctx) =>
    session(ctx, async (imap) => {
      const append = promisify(imap.append.bind(imap));
      const check = new CountCheck();
      for (const m of ctx.messages) {
        await append(m, { mailbox: ctx.job.mailbox });
        check.add(m.length);
      }
      return { check: String(check), bytes: check.bytes };
    }),
}));
