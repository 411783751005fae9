/**
 * imapkit's high-level client, `ImapClient`, used the way its guide shows:
 * connect, hold a mailbox lock, iterate `fetch`, `download`,
 * `messageFlagsAdd`, `appendMany`. It sits on the same commands as the
 * `imapkit` contender, so the difference between the two rows is the
 * client's own cost (locks, events, the CONDSTORE/QRESYNC it ENABLEs).
 */
import type { ImapClient } from '../../src/client/client.js';
import { CountCheck, W1Check, W1_ITEMS, runWorker, uidList, type Context } from './common.js';

await runWorker(async () => {
  const { ImapClient } = await import('../../src/client/client.js');

  async function session<T>(ctx: Context, body: (c: ImapClient) => Promise<T>): Promise<T> {
    const { job } = ctx;
    const client = await ImapClient.connect({
      host: job.host,
      port: job.port,
      security: 'tls',
      tls: { ca: ctx.ca },
      auth: { username: job.user, password: job.password },
    });
    let result: T;
    if (job.workload === 'W5') {
      result = await body(client);
    } else {
      const lock = await client.getMailboxLock(job.mailbox);
      try {
        result = await body(client);
      } finally {
        lock.release();
      }
    }
    await client.logout();
    return result;
  }

  const flagged = (client: ImapClient, uid: number): Promise<unknown> =>
    client.messageFlagsAdd(uid, ['\\Flagged']);

  return {
    W1: (ctx) =>
      session(ctx, async (client) => {
        const check = new W1Check();
        // The job's range is sequence numbers; the client's default is UIDs.
        for await (const msg of client.fetch(ctx.job.range, W1_ITEMS, { uid: false })) {
          check.add(msg.uid ?? 0, msg.envelope?.subject);
        }
        return { check: String(check) };
      }),
    W2: (ctx) =>
      session(ctx, async (client) => {
        const check = new CountCheck();
        for await (const msg of client.fetch(ctx.job.range, { source: true }, { uid: false })) {
          check.add(msg.source?.length ?? 0);
        }
        return { check: String(check), bytes: check.bytes };
      }),
    W3: (ctx) =>
      session(ctx, async (client) => {
        const { content } = await client.download(ctx.job.uid);
        let bytes = 0;
        for await (const chunk of content) bytes += (chunk as Buffer).length;
        return { check: `bytes=${bytes}`, bytes, note: 'download()' };
      }),
    W4: (ctx) =>
      session(ctx, async (client) => {
        for (const uid of uidList(ctx.job.uid, ctx.job.count)) await flagged(client, uid);
        return { check: `n=${ctx.job.count}` };
      }),
    W4p: (ctx) =>
      session(ctx, async (client) => {
        await Promise.all(uidList(ctx.job.uid, ctx.job.count).map((uid) => flagged(client, uid)));
        return { check: `n=${ctx.job.count}`, note: 'Promise.all, lock held' };
      }),
    W5: (ctx) =>
      session(ctx, async (client) => {
        const check = new CountCheck();
        for (const m of ctx.messages) check.add(m.length);
        await client.appendMany(
          ctx.job.mailbox,
          ctx.messages.map((message) => ({ message })),
        );
        return { check: String(check), bytes: check.bytes, note: 'appendMany() (MULTIAPPEND)' };
      }),
  };
});
