import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { atom, list, mailbox, raw } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';
import { checkRawFetchItem } from './fetch-items.js';
import { foldStatus, type StatusResult } from './status.js';

/** Which mailboxes an event group watches (RFC 5465 6). Names are Unicode. */
export type NotifyMailboxes =
  | 'selected'
  | 'selected-delayed'
  | 'inboxes'
  | 'personal'
  | 'subscribed'
  | {
      /** SUBTREE: these mailboxes and all their descendants. */
      subtree: readonly string[];
    }
  | {
      /** MAILBOXES: exactly these mailboxes. */
      mailboxes: readonly string[];
    };

/** An event (RFC 5465 5). */
export type NotifyEvent =
  | 'MessageNew'
  | 'MessageExpunge'
  | 'FlagChange'
  | 'AnnotationChange'
  | 'MailboxName'
  | 'SubscriptionChange'
  | 'MailboxMetadataChange'
  | 'ServerMetadataChange';

/** One event group: mailboxes and the events to report for them. */
export interface NotifyGroup {
  /** The mailboxes this group is about. */
  mailboxes: NotifyMailboxes;
  /** The events, or 'none' to be told nothing about these mailboxes. */
  events: readonly NotifyEvent[] | 'none';
  /**
   * For `selected`/`selected-delayed` with MessageNew: FETCH items the server
   * sends for each new message, as wire text (`UID`, `FLAGS`,
   * `BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]`). Each must be one fetch-att
   * (RFC 5465 8): checked like a raw FETCH item (balanced, no CR/LF/NUL,
   * no literal) and not a list, else ImapArgumentError before anything is sent.
   */
  fetch?: readonly string[];
}

/** Options of {@link notify}. */
export interface NotifyOptions {
  /** `STATUS`: have the server send the STATUS of each watched mailbox first (RFC 5465 3.1). */
  status?: boolean;
}

const MESSAGE_EVENTS: ReadonlySet<NotifyEvent> = new Set([
  'MessageNew',
  'MessageExpunge',
  'FlagChange',
  'AnnotationChange',
]);

function groupArg(group: NotifyGroup): CommandArg {
  const m = group.mailboxes;
  const items: CommandArg[] = [];
  const selected = m === 'selected' || m === 'selected-delayed';
  if (typeof m === 'string') items.push(atom(m.toUpperCase()));
  else {
    const names = 'subtree' in m ? m.subtree : m.mailboxes;
    if (names.length === 0) throw new ImapArgumentError('NOTIFY mailbox list is empty');
    items.push(atom('subtree' in m ? 'SUBTREE' : 'MAILBOXES'), list(names.map((n) => mailbox(n))));
  }
  if (group.events === 'none') {
    if (group.fetch !== undefined) throw new ImapArgumentError('NOTIFY fetch needs MessageNew');
    items.push(atom('NONE'));
    return list(items);
  }
  const events = new Set(group.events);
  if (events.size === 0) throw new ImapArgumentError("NOTIFY event list is empty (use 'none')");
  if (events.has('MessageNew') !== events.has('MessageExpunge')) {
    throw new ImapArgumentError('NOTIFY MessageNew and MessageExpunge go together (RFC 5465 5)');
  }
  if ((events.has('FlagChange') || events.has('AnnotationChange')) && !events.has('MessageNew')) {
    throw new ImapArgumentError(
      'NOTIFY FlagChange and AnnotationChange need MessageNew and MessageExpunge (RFC 5465 5)',
    );
  }
  if (selected && [...events].some((e) => !MESSAGE_EVENTS.has(e))) {
    throw new ImapArgumentError('NOTIFY for the selected mailbox takes message events only');
  }
  if (group.fetch !== undefined && (!selected || !events.has('MessageNew'))) {
    throw new ImapArgumentError('NOTIFY fetch is for MessageNew on the selected mailbox only');
  }
  const eventArgs: CommandArg[] = [];
  for (const e of events) {
    eventArgs.push(atom(e));
    if (e === 'MessageNew' && group.fetch !== undefined && group.fetch.length > 0) {
      eventArgs.push(list(group.fetch.map(fetchAtt)));
    }
  }
  items.push(list(eventArgs));
  return list(items);
}

/**
 * One NOTIFY fetch item as wire text. RFC 5465 8 allows only a fetch-att
 * there: an unchecked string (`UID)) (MAILBOXES Secret) (MailboxName`)
 * would change the command's shape, so it is checked like a raw FETCH item
 * and must not be a list itself.
 */
function fetchAtt(f: string): CommandArg {
  checkRawFetchItem(f);
  if (f.trimStart().startsWith('(')) {
    throw new ImapArgumentError(
      `NOTIFY fetch item ${JSON.stringify(f.slice(0, 80))} must be one item, not a list`,
    );
  }
  return raw(f);
}

/**
 * NOTIFY (RFC 5465 3; capability NOTIFY): `NOTIFY SET` with event groups, or
 * `NOTIFY NONE` when `groups` is null. The server then reports the chosen
 * events as unsolicited responses (STATUS, LIST, FETCH, EXPUNGE, METADATA...)
 * at any time, which the connection emits as events. With `status`, returns
 * the STATUS the server sent for the watched mailboxes before completing.
 */
export async function notify(
  ctx: CommandContext,
  groups: readonly NotifyGroup[] | null,
  options: NotifyOptions = {},
): Promise<StatusResult[]> {
  requireCapability(ctx, 'NOTIFY');
  if (groups === null) {
    await ctx.exec('NOTIFY', [atom('NONE')]);
    return [];
  }
  if (groups.length === 0) throw new ImapArgumentError('NOTIFY SET needs at least one event group');
  const args: CommandArg[] = [atom('SET')];
  if (options.status === true) args.push(atom('STATUS'));
  for (const g of groups) args.push(groupArg(g));
  const result = await ctx.exec('NOTIFY', args, {
    collect: options.status === true ? ['STATUS'] : [],
  });
  const out: StatusResult[] = [];
  for (const r of result.untagged) if (r.name === 'STATUS') out.push(foldStatus(ctx, r));
  return out;
}
