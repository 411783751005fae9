import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { UntaggedOf } from '../model/response.js';
import { atom, list, mailbox } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { hasCapabilityOrValue, requireCapability, requireImap4rev1 } from './capability.js';
import { decodeMailboxName, sameMailbox } from './mailbox-name.js';

/** A STATUS data item (RFC 9051 6.3.11 and extensions). */
export type StatusItem =
  | 'MESSAGES'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'RECENT'
  | 'DELETED'
  | 'SIZE'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT'
  | 'MAILBOXID';

/** A mailbox's status; only the items asked for (and sent) are present. */
export interface StatusResult {
  /** The mailbox name, decoded to Unicode. */
  name: string;
  /** MESSAGES: number of messages. */
  messages?: number;
  /** UIDNEXT: the next UID to be assigned. */
  uidNext?: number;
  /** UIDVALIDITY. */
  uidValidity?: number;
  /** UNSEEN: number of messages without `\Seen`. */
  unseen?: number;
  /** RECENT (IMAP4rev1 only): number of messages with `\Recent`. */
  recent?: number;
  /** DELETED (IMAP4rev2): number of messages with `\Deleted`. */
  deleted?: number;
  /** SIZE (RFC 8438 / IMAP4rev2): total size of the mailbox in octets. */
  size?: number;
  /** HIGHESTMODSEQ (RFC 7162 CONDSTORE). */
  highestModseq?: bigint;
  /** APPENDLIMIT (RFC 7889): the largest message APPEND accepts, null when unlimited. */
  appendLimit?: number | null;
  /** MAILBOXID (RFC 8474 OBJECTID). */
  mailboxId?: string;
}

/** The capability each item needs, and alternatives that include it. */
const ITEM_CAPABILITY: Record<StatusItem, readonly string[] | null> = {
  MESSAGES: null,
  UIDNEXT: null,
  UIDVALIDITY: null,
  UNSEEN: null,
  RECENT: null,
  DELETED: ['IMAP4rev2'],
  SIZE: ['STATUS=SIZE', 'IMAP4rev2'],
  HIGHESTMODSEQ: ['CONDSTORE', 'QRESYNC'],
  APPENDLIMIT: ['APPENDLIMIT'],
  MAILBOXID: ['OBJECTID'],
};

/**
 * Checks each item's capability and builds the `(ITEM ...)` list; shared with
 * LIST-STATUS. @internal
 */
export function statusItemsArg(ctx: CommandContext, items: readonly StatusItem[]): CommandArg {
  if (items.length === 0) throw new ImapArgumentError('STATUS needs at least one item');
  for (const item of items) {
    const caps = ITEM_CAPABILITY[item];
    if (caps === undefined) throw new ImapArgumentError(`unknown STATUS item ${String(item)}`);
    // A capability may carry its value (`APPENDLIMIT=35651584`, RFC 7889 3).
    if (caps !== null && !caps.some((c) => hasCapabilityOrValue(ctx, c))) {
      requireCapability(ctx, caps[0]!, ...caps.slice(1));
    }
    if (item === 'RECENT') requireImap4rev1(ctx, 'the STATUS item RECENT');
  }
  return list(items.map((i) => atom(i)));
}

/** Folds a `* STATUS` response into a {@link StatusResult}. @internal */
export function foldStatus(ctx: CommandContext, r: UntaggedOf<'STATUS'>): StatusResult {
  const out: StatusResult = { name: decodeMailboxName(ctx, r.mailbox) };
  const n = (v: number | bigint | string | null | undefined): number | undefined =>
    typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  for (const [key, value] of r.items) {
    switch (key) {
      case 'MESSAGES':
        out.messages = n(value);
        break;
      case 'UIDNEXT':
        out.uidNext = n(value);
        break;
      case 'UIDVALIDITY':
        out.uidValidity = n(value);
        break;
      case 'UNSEEN':
        out.unseen = n(value);
        break;
      case 'RECENT':
        out.recent = n(value);
        break;
      case 'DELETED':
        out.deleted = n(value);
        break;
      case 'SIZE':
        out.size = n(value);
        break;
      case 'HIGHESTMODSEQ':
        if (typeof value === 'bigint') out.highestModseq = value;
        else if (typeof value === 'number') out.highestModseq = BigInt(value);
        break;
      case 'APPENDLIMIT':
        out.appendLimit = value === null ? null : n(value);
        break;
      case 'MAILBOXID':
        if (typeof value === 'string') out.mailboxId = value;
        break;
    }
  }
  return out;
}

/**
 * STATUS (RFC 9051 6.3.11, RFC 3501 6.3.10; no capability needed for the
 * base items; DELETED needs IMAP4rev2, SIZE needs IMAP4rev2 or STATUS=SIZE (RFC 8438),
 * HIGHESTMODSEQ needs CONDSTORE (RFC 7162), APPENDLIMIT needs APPENDLIMIT
 * or `APPENDLIMIT=n` (RFC 7889), MAILBOXID needs OBJECTID (RFC 8474); RECENT, removed by
 * IMAP4rev2, is refused with ImapCapabilityError on a server announcing
 * IMAP4rev2 without IMAP4rev1). Returns the status of
 * mailbox `name` (Unicode) without selecting it.
 */
export async function status(
  ctx: CommandContext,
  name: string,
  items: readonly StatusItem[],
): Promise<StatusResult> {
  const itemsArg = statusItemsArg(ctx, items);
  const result = await ctx.exec('STATUS', [mailbox(name), itemsArg], { collect: ['STATUS'] });
  const responses = result.untagged.filter((r): r is UntaggedOf<'STATUS'> => r.name === 'STATUS');
  // Unsolicited STATUS for other mailboxes may arrive (NOTIFY): prefer the one named.
  const mine =
    responses.find((r) => sameMailbox(decodeMailboxName(ctx, r.mailbox), name)) ??
    (responses.length === 1 ? responses[0] : undefined);
  if (mine === undefined) return { name };
  return { ...foldStatus(ctx, mine), name };
}
