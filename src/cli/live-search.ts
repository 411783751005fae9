/**
 * `imapkit search <mailbox> <criteria…> --watch`: a live search (RFC 5267
 * CONTEXT=SEARCH). Prints the matches, then each ADDTO / REMOVEFROM update
 * the server sends (during the client's automatic IDLE) until Ctrl-C, which
 * cancels the context (CANCELUPDATE) and exits 0.
 */
import type { commands } from '../index.js';
import type { RunContext } from './command.js';
import { CliError, EXIT } from './errors.js';
import { createServerProgress } from './progress.js';

/** One line of `search --watch --json` after the initial `{"uid":n}` records (JSON Lines). */
export type LiveSearchRecord =
  | { event: 'watching'; mailbox: string; matches: number }
  /** Messages that joined (`added`, ADDTO) or left (`removed`, REMOVEFROM) the result. */
  | { event: 'added' | 'removed'; uids: string };

/** The human form of a record, with the time it is printed. */
export function liveSearchLine(r: LiveSearchRecord, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  switch (r.event) {
    case 'watching':
      return `${time} watching ${r.mailbox} (${r.matches} matches); Ctrl-C to stop`;
    case 'added':
      return `${time} added    uid ${r.uids}`;
    case 'removed':
      return `${time} removed  uid ${r.uids}`;
  }
}

function hasCapability(caps: ReadonlySet<string>, name: string): boolean {
  for (const c of caps) if (c.toUpperCase() === name) return true;
  return false;
}

/** Runs the live search of `query` on `mailbox` until Ctrl-C (see the module comment). */
export async function liveSearch(
  ctx: RunContext,
  mailbox: string,
  query: commands.SearchQuery,
): Promise<void> {
  // A context does not survive a reconnection: a dropped connection ends the run (exit 4).
  const client = await ctx.connect({ autoIdle: true, reconnect: false });
  if (!hasCapability(client.capabilities, 'CONTEXT=SEARCH')) {
    throw new CliError(
      'the server cannot do this: --watch needs CONTEXT=SEARCH (RFC 5267), which the server does not offer',
      EXIT.SERVER,
    );
  }
  const emit = (r: LiveSearchRecord): Promise<void> =>
    ctx.out.json
      ? ctx.out.record(r)
      : r.event === 'watching'
        ? ctx.out.note(liveSearchLine(r))
        : ctx.out.line(liveSearchLine(r));

  await client.mailboxOpen(mailbox, { readOnly: true });
  const progress = createServerProgress(ctx.io.stderr, ctx.progress, `searching ${mailbox}`);
  const live = await client
    .searchContext(query, { onProgress: progress.onProgress })
    .finally(() => progress.finish());
  const stop = (): void => void live.cancel().catch(() => undefined);
  ctx.signal?.addEventListener('abort', stop, { once: true });
  try {
    const initial = live.result.all === undefined ? [] : [...live.result.all.values()];
    if (ctx.out.json) for (const uid of initial) await ctx.out.record({ uid });
    else for (const uid of initial) await ctx.out.line(String(uid));
    if (live.refused) {
      throw new CliError(
        'the server refused to keep the search up to date (NOUPDATE)',
        EXIT.SERVER,
      );
    }
    await emit({ event: 'watching', mailbox, matches: initial.length });
    if (ctx.signal?.aborted === true) stop();
    for await (const update of live) {
      for (const u of update.updates) {
        await emit({
          event: u.op === 'ADDTO' ? 'added' : 'removed',
          uids: u.set.toString(),
        });
      }
    }
  } finally {
    ctx.signal?.removeEventListener('abort', stop);
  }
  if (live.endReason === 'mailbox') {
    throw new CliError(`${mailbox} is no longer selected; the search stopped`, EXIT.FAILURE);
  }
}
