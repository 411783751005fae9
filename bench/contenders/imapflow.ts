/**
 * ImapFlow (npm `imapflow`). Variant `imapflow` turns compression off so it is
 * compared like for like; `imapflow-default` keeps COMPRESS=DEFLATE on, as
 * users get it.
 */
import { ImapFlow } from 'imapflow';
import { CountCheck, W1Check, W1_ITEMS, runWorker, uidList, type Context } from './common.js';

async function session<T>(ctx: Context, body: (c: ImapFlow) => Promise<T>): Promise<T> {
  const { job } = ctx;
  const client = new ImapFlow({
    host: job.host,
    port: job.port,
    secure: true,
    tls: { ca: ctx.ca },
    auth: { user: job.user, pass: job.password },
    logger: false,
    disableCompression: !job.compress,
  });
  await client.connect();
  if (job.workload !== 'W5') await client.mailboxOpen(job.mailbox);
  const result = await body(client);
  await client.logout();
  return result;
}

await runWorker(() => ({
  W1: (ctx) =>
    session(ctx, async (c) => {
      const check = new W1Check();
      for await (const msg of c.fetch(ctx.job.range, W1_ITEMS)) {
        check.add(msg.uid, msg.envelope?.subject);
      }
      return { check: String(check) };
    }),
  W2: (ctx) =>
    session(ctx, async (c) => {
      const check = new CountCheck();
      for await (const msg of c.fetch(ctx.job.range, { source: true })) {
        check.add(msg.source?.length ?? 0);
      }
      return { check: String(check), bytes: check.bytes };
    }),
  W3: (ctx) =>
    session(ctx, async (c) => {
      const dl = await c.download(String(ctx.job.uid), undefined, { uid: true });
      if (!dl.content) throw new Error('message not found');
      let bytes = 0;
      for await (const chunk of dl.content) bytes += (chunk as Buffer).length;
      return { check: `bytes=${bytes}`, bytes, note: 'download()' };
    }),
  W4: (ctx) =>
    session(ctx, async (c) => {
      for (const uid of uidList(ctx.job.uid, ctx.job.count)) {
        await c.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
      }
      return { check: `n=${ctx.job.count}` };
    }),
  W4p: (ctx) =>
    session(ctx, async (c) => {
      const uids = uidList(ctx.job.uid, ctx.job.count);
      await Promise.all(
        uids.map((uid) => c.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true })),
      );
      return { check: `n=${ctx.job.count}`, note: 'Promise.all' };
    }),
  W5: (ctx) =>
    session(ctx, async (c) => {
      // ImapFlow has no MULTIAPPEND; it uses LITERAL+ when the server offers it
      const check = new CountCheck();
      for (const m of ctx.messages) {
        await c.append(ctx.job.mailbox, m);
        check.add(m.length);
      }
      return { check: String(check), bytes: check.bytes };
    }),
}));
