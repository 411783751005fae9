/**
 * `imapkit watch <mailbox>`: IDLE on a mailbox and print new, expunged and
 * re-flagged messages as the server reports them, until Ctrl-C (then
 * LOGOUT and exit 0). Reconnects after a dropped connection.
 */
import type { ImapClient } from '../../index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { CliError, EXIT, toCliError } from '../errors.js';
import { printable } from '../output.js';
import { SUMMARY_ITEMS, summarize } from '../summary.js';

/** One line of `watch --json` (JSON Lines). */
export type WatchRecord =
  | { event: 'watching'; mailbox: string; exists: number; uidNext: number | null }
  | ({ event: 'new' } & ReturnType<typeof summarize>)
  | { event: 'expunge'; seq: number; uid?: number }
  | { event: 'vanished'; uids: string }
  | { event: 'flags'; seq: number; uid?: number; flags: string[] }
  | { event: 'reconnected'; attempt: number }
  | {
      event: 'resync';
      /** UIDs expunged while disconnected, null when none. */
      vanished: string | null;
      /** Messages whose flags changed (or that arrived) while disconnected. */
      changed: Array<{ uid: number; flags: string[] }>;
      exists: number;
    };

function humanLine(r: WatchRecord): string {
  const time = new Date().toISOString().slice(11, 19);
  switch (r.event) {
    case 'watching':
      return `${time} watching ${r.mailbox} (${r.exists} messages); Ctrl-C to stop`;
    case 'new':
      return `${time} new      uid ${r.uid ?? '?'}  ${printable(r.from ?? '')}  ${printable(r.subject ?? '(no subject)')}`;
    case 'expunge':
      return `${time} expunge  ${r.uid === undefined ? `seq ${r.seq}` : `uid ${r.uid}`}`;
    case 'vanished':
      return `${time} vanished uid ${r.uids}`;
    case 'flags':
      return `${time} flags    ${r.uid === undefined ? `seq ${r.seq}` : `uid ${r.uid}`}  ${r.flags.join(' ') || '(none)'}`;
    case 'reconnected':
      return `${time} reconnected (attempt ${r.attempt})`;
    case 'resync':
      return (
        `${time} resync   ${r.exists} messages; while disconnected: ${r.changed.length} changed` +
        (r.vanished === null ? '' : `, vanished uid ${r.vanished}`)
      );
  }
}

/** Waits for Ctrl-C (resolves) or the client closing for good (rejects). */
function untilStopped(client: ImapClient, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
    client.once('close', (e) => {
      reject(e.error ?? new CliError('the connection was closed', EXIT.CONNECTION));
    });
  });
}

/** The highest UID in the selected mailbox (UIDNEXT - 1, else the last message's), 0 when empty. */
async function highestUid(client: ImapClient): Promise<number> {
  const uidNext = client.mailbox?.uidNext ?? null;
  if (uidNext !== null) return uidNext - 1;
  if ((client.mailbox?.exists ?? 0) === 0) return 0;
  const [last] = await client.fetchAll('*', { uid: true }, { uid: false });
  return last?.uid ?? 0;
}

async function watch(ctx: RunContext, mailbox: string): Promise<void> {
  const client = await ctx.connect({ reconnect: { maxAttempts: 20 } });
  const emit = (r: WatchRecord): Promise<void> =>
    r.event === 'watching' && !ctx.out.json
      ? ctx.out.note(humanLine(r))
      : ctx.out.json
        ? ctx.out.record(r)
        : ctx.out.line(humanLine(r));
  // Events are handled in order; a failure ends the watch.
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  // The library emits a reconnection's `resync` (and the flag changes held
  // during it) before `reconnect`, which comes once the attempt succeeded:
  // what arrives while reconnecting is held and handled after `reconnected`,
  // so a consumer resetting its state on `reconnected` keeps the resync.
  let held: Array<() => Promise<void>> | null = null;
  const enqueue = (fn: () => Promise<void>): void => {
    if (held !== null) {
      held.push(fn);
      return;
    }
    chain = chain.then(fn).catch((err: unknown) => {
      failure ??= err;
      client.close();
    });
  };
  // New messages are looked up by UID, never by sequence number: the fetch runs
  // after earlier events were printed, and an expunge meanwhile shifts the
  // numbers (RFC 9051 7.5.1). `lastUid` is the highest UID already reported
  // (or present when the watch began); `UID FETCH last+1:*` finds what came
  // since. `n:*` also returns the last message when every UID is below n
  // (nothing new), so UIDs already reported are skipped.
  let lastUid = 0;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  client.on('exists', (e) => {
    if (e.count <= e.prevCount) return;
    enqueue(async () => {
      await ready;
      const found = await client.fetchAll(`${lastUid + 1}:*`, SUMMARY_ITEMS, { uid: true });
      for (const m of found) {
        if (m.uid === undefined || m.uid <= lastUid) continue;
        lastUid = m.uid;
        await emit({ event: 'new', ...summarize(m) });
      }
    });
  });
  client.on('expunge', (e) =>
    enqueue(() =>
      emit({ event: 'expunge', seq: e.seq, ...(e.uid === undefined ? {} : { uid: e.uid }) }),
    ),
  );
  client.on('vanished', (e) => enqueue(() => emit({ event: 'vanished', uids: e.uids.toString() })));
  client.on('flags', (e) =>
    enqueue(() =>
      emit({
        event: 'flags',
        seq: e.seq,
        ...(e.uid === undefined ? {} : { uid: e.uid }),
        flags: [...e.flags],
      }),
    ),
  );
  client.on('disconnect', (e) => {
    if (!e.reconnecting) return;
    held ??= [];
    void ctx.out.warn(`connection lost (${e.error.message}); reconnecting`);
  });
  client.on('reconnect', (e) => {
    const later = held ?? [];
    held = null;
    enqueue(() => emit({ event: 'reconnected', attempt: e.attempt }));
    for (const fn of later) enqueue(fn);
  });
  client.on('resync', (e) =>
    enqueue(() => {
      // Messages that arrived while disconnected are reported here, not as new.
      for (const m of e.changed) lastUid = Math.max(lastUid, m.uid);
      return emit({
        event: 'resync',
        vanished: e.vanished === null ? null : e.vanished.toString(),
        changed: e.changed.map((m) => ({ uid: m.uid, flags: [...m.flags] })),
        exists: e.count,
      });
    }),
  );
  client.on('uidValidityChange', () =>
    enqueue(async () => {
      lastUid = await highestUid(client);
    }),
  );
  client.on('error', (err) => void ctx.out.warn(err.message));

  const info = await client.mailboxOpen(mailbox, { readOnly: true });
  lastUid = info.uidNext !== null ? info.uidNext - 1 : await highestUid(client);
  markReady();
  await client.idle();
  await emit({ event: 'watching', mailbox, exists: info.exists, uidNext: info.uidNext });
  try {
    await untilStopped(client, ctx.signal);
  } catch (err) {
    throw toCliError(failure ?? err, 'command');
  }
  await chain;
  if (failure !== null) throw toCliError(failure, 'command');
}

export const watchCommand: CommandSpec = {
  name: 'watch',
  summary: 'print new, expunged and flag-changed messages as they happen (IDLE)',
  usage: 'watch <mailbox>',
  description: [
    'Opens a mailbox read-only and waits in IDLE; each change the server reports is',
    'printed as it comes: new messages (UID, sender, subject), expunged ones, and flag',
    'changes. --json prints JSON Lines: {"event":"watching"...} once IDLE runs, then',
    '{"event":"new"|"expunge"|"vanished"|"flags"|"reconnected"|"resync",...}. A dropped',
    'connection is re-established and what changed meanwhile is reported (resync).',
    'Ctrl-C logs out and exits 0.',
  ].join('\n'),
  examples: ['imapkit watch INBOX', 'imapkit watch INBOX --json | jq .subject'],
  options: {},
  args: { min: 1, max: 1 },
  async run(ctx) {
    await watch(ctx, ctx.args[0]!);
  },
};
