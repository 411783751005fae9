/**
 * imapkit's typed API: ImapConnection plus the command functions. The code
 * under test is imported inside the loader, so a contender that is not built
 * yet is reported as such instead of crashing the run.
 */
import type { ImapConnection } from '../../src/connection/connection.js';
import { CountCheck, W1Check, W1_ITEMS, runWorker, uidList, type Context } from './common.js';

await runWorker(async () => {
  const [{ ImapConnection }, { select }, { fetch, fetchStream }, { store }, { appendMany }] =
    await Promise.all([
      import('../../src/connection/connection.js'),
      import('../../src/commands/select.js'),
      import('../../src/commands/fetch.js'),
      import('../../src/commands/store.js'),
      import('../../src/commands/append.js'),
    ]);

  async function session<T>(ctx: Context, body: (c: ImapConnection) => Promise<T>): Promise<T> {
    const { job } = ctx;
    const conn = await ImapConnection.connect({
      host: job.host,
      port: job.port,
      security: 'tls',
      tls: { ca: ctx.ca },
      auth: { username: job.user, password: job.password },
    });
    if (job.workload !== 'W5') await select(conn, job.mailbox);
    const result = await body(conn);
    await conn.logout();
    return result;
  }

  const flagged = (conn: ImapConnection, uid: number): Promise<unknown> =>
    store(conn, uid, { add: ['\\Flagged'], uid: true });

  return {
    W1: (ctx) =>
      session(ctx, async (conn) => {
        const check = new W1Check();
        for await (const msg of fetch(conn, ctx.job.range, W1_ITEMS)) {
          check.add(msg.uid ?? 0, msg.envelope?.subject);
        }
        return { check: String(check) };
      }),
    W2: (ctx) =>
      session(ctx, async (conn) => {
        const check = new CountCheck();
        for await (const msg of fetch(conn, ctx.job.range, { source: true })) {
          check.add(msg.source?.length ?? 0);
        }
        return { check: String(check), bytes: check.bytes };
      }),
    W3: (ctx) =>
      session(ctx, async (conn) => {
        const { stream } = await fetchStream(conn, ctx.job.uid, '', { uid: true });
        let bytes = 0;
        for await (const chunk of stream) bytes += (chunk as Buffer).length;
        return { check: `bytes=${bytes}`, bytes, note: 'fetchStream()' };
      }),
    W4: (ctx) =>
      session(ctx, async (conn) => {
        for (const uid of uidList(ctx.job.uid, ctx.job.count)) await flagged(conn, uid);
        return { check: `n=${ctx.job.count}` };
      }),
    W4p: (ctx) =>
      session(ctx, async (conn) => {
        await Promise.all(uidList(ctx.job.uid, ctx.job.count).map((uid) => flagged(conn, uid)));
        return { check: `n=${ctx.job.count}`, note: 'Promise.all' };
      }),
    W5: (ctx) =>
      session(ctx, async (conn) => {
        const check = new CountCheck();
        for (const m of ctx.messages) check.add(m.length);
        await appendMany(
          conn,
          ctx.job.mailbox,
          ctx.messages.map((message) => ({ message })),
        );
        return { check: String(check), bytes: check.bytes, note: 'appendMany() (MULTIAPPEND)' };
      }),
  };
});
