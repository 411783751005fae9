import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { UntaggedOf, UntaggedResponse } from '../model/response.js';
import { astring, atom, list as listArg, mailbox } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';
import { decodeMailboxName } from './mailbox-name.js';
import { checkEntry } from './metadata.js';
import { foldStatus, statusItemsArg, type StatusItem, type StatusResult } from './status.js';

/** LIST selection options (RFC 5258 3.1, RFC 6154 5.1). */
export type ListSelection = 'SUBSCRIBED' | 'REMOTE' | 'RECURSIVEMATCH' | 'SPECIAL-USE';

/** LIST return options (RFC 5258 3.2, RFC 6154 5.2, RFC 5819, RFC 8440, RFC 9590). */
export interface ListReturn {
  /** `SUBSCRIBED`: mark subscribed mailboxes (`\Subscribed`). */
  subscribed?: boolean;
  /** `CHILDREN`: `\HasChildren` / `\HasNoChildren`. */
  children?: boolean;
  /** `SPECIAL-USE`: special-use attributes (capability SPECIAL-USE). */
  specialUse?: boolean;
  /** `STATUS (...)`: the status of each selectable mailbox (capability LIST-STATUS). */
  status?: readonly StatusItem[];
  /** `MYRIGHTS`: the caller's ACL rights on each mailbox (capability LIST-MYRIGHTS). */
  myrights?: boolean;
  /**
   * `METADATA (entries)`: these metadata entries of each mailbox, e.g.
   * `['/shared/comment', '/private/color']` (capability LIST-METADATA, RFC
   * 9590). Only the entry list is sent: the MAXSIZE option is not offered,
   * since its place in the RFC 9590 grammar could not be confirmed.
   */
  metadata?: readonly string[];
}

/** Options of {@link list}. */
export interface ListOptions {
  /** Selection options (capability LIST-EXTENDED; SPECIAL-USE also needs SPECIAL-USE). */
  selection?: readonly ListSelection[];
  /** Return options (capability LIST-EXTENDED and the one of each option). */
  return?: ListReturn;
  /** More patterns besides `pattern`, matched together (capability LIST-EXTENDED). */
  patterns?: readonly string[];
}

/** The special-use attributes of RFC 6154 2 and RFC 8457. */
const SPECIAL_USE = new Map(
  ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash', '\\Important'].map(
    (a) => [a.toLowerCase(), a] as const,
  ),
);

/** One mailbox of a LIST or LSUB answer. */
export interface MailboxEntry {
  /**
   * The name decoded to Unicode (from modified UTF-7, or UTF-8 with
   * UTF8=ACCEPT); what commands take. A name that is not valid modified
   * UTF-7, or not in its canonical form (`&AOk-&AOk-`, `&ACY-`), is kept as
   * sent, and commands on this connection then send it as it is.
   */
  name: string;
  /** The name exactly as the server sent it. */
  rawName: string;
  /** The hierarchy delimiter, null when the server has no hierarchy. */
  delimiter: string | null;
  /** Attributes as sent, e.g. `\HasNoChildren`, `\Noselect`, `\Sent`. */
  attributes: Set<string>;
  /** The special-use attribute (RFC 6154), e.g. `\Sent`, null when none. */
  specialUse: string | null;
  /** `\Subscribed` was sent (LIST-EXTENDED), or the entry came from LSUB. */
  subscribed: boolean;
  /** CHILDINFO values (RFC 5258), e.g. `['SUBSCRIBED']`; empty when none. */
  childInfo: string[];
  /** OLDNAME (RFC 9051 / RFC 5465) decoded, after a rename; null when none. */
  oldName: string | null;
  /** LIST-STATUS: the mailbox's status, when asked for and sent. */
  status?: StatusResult;
  /** LIST-MYRIGHTS: the caller's rights on the mailbox, when asked for and sent. */
  myRights?: string;
  /**
   * LIST-METADATA (RFC 9590): the values of the entries asked for, keyed by
   * entry name as the server sent it; null for NIL (no value); entries the
   * server left out are absent. Present (possibly empty) whenever metadata
   * was asked for.
   */
  metadata?: Map<string, Buffer | null>;
}

/** Folds one LIST/LSUB response into a {@link MailboxEntry}. @internal */
export function foldListEntry(ctx: CommandContext, r: UntaggedOf<'LIST' | 'LSUB'>): MailboxEntry {
  const attributes = new Set(r.attributes);
  let specialUse: string | null = null;
  let subscribed = r.name === 'LSUB';
  for (const a of r.attributes) {
    const lower = a.toLowerCase();
    specialUse ??= SPECIAL_USE.get(lower) ?? null;
    if (lower === '\\subscribed') subscribed = true;
  }
  return {
    name: decodeMailboxName(ctx, r.mailbox),
    rawName: r.mailbox,
    delimiter: r.delimiter,
    attributes,
    specialUse,
    subscribed,
    childInfo: r.childInfo ?? [],
    oldName: r.oldName === null ? null : decodeMailboxName(ctx, r.oldName),
  };
}

/** Folds LIST (or LSUB) responses, merging LIST-STATUS, MYRIGHTS and METADATA data by mailbox. @internal */
export function foldList(
  ctx: CommandContext,
  responses: readonly UntaggedResponse[],
  kind: 'LIST' | 'LSUB',
  withMetadata = false,
): MailboxEntry[] {
  const entries: MailboxEntry[] = [];
  const byRawName = new Map<string, MailboxEntry>();
  for (const r of responses) {
    if (r.name === kind) {
      const entry = foldListEntry(ctx, r);
      if (withMetadata) entry.metadata = new Map();
      entries.push(entry);
      byRawName.set(r.mailbox, entry);
    }
  }
  for (const r of responses) {
    if (r.name === 'STATUS') {
      const entry = byRawName.get(r.mailbox);
      if (entry !== undefined) entry.status = foldStatus(ctx, r);
    } else if (r.name === 'MYRIGHTS') {
      const entry = byRawName.get(r.mailbox);
      if (entry !== undefined) entry.myRights = r.rights;
    } else if (r.name === 'METADATA' && withMetadata) {
      // RFC 9590: one or more METADATA responses per listed mailbox; a
      // change notice (entries without values) is not an answer.
      const target = byRawName.get(r.mailbox)?.metadata;
      if (target === undefined) continue;
      for (const [name, value] of r.entries) if (value !== undefined) target.set(name, value);
    }
  }
  return entries;
}

const LIST_COLLECT = ['LIST', 'STATUS', 'MYRIGHTS'] as const;
const LIST_COLLECT_METADATA = ['LIST', 'STATUS', 'MYRIGHTS', 'METADATA'] as const;

function returnArg(ctx: CommandContext, ret: ListReturn): CommandArg[] {
  const items: CommandArg[] = [];
  if (ret.subscribed === true) items.push(atom('SUBSCRIBED'));
  if (ret.children === true) items.push(atom('CHILDREN'));
  if (ret.specialUse === true) {
    requireCapability(ctx, 'SPECIAL-USE', 'IMAP4rev2');
    items.push(atom('SPECIAL-USE'));
  }
  if (ret.status !== undefined) {
    requireCapability(ctx, 'LIST-STATUS', 'IMAP4rev2');
    items.push(atom('STATUS'), statusItemsArg(ctx, ret.status));
  }
  if (ret.myrights === true) {
    requireCapability(ctx, 'LIST-MYRIGHTS');
    items.push(atom('MYRIGHTS'));
  }
  if (ret.metadata !== undefined) {
    requireCapability(ctx, 'LIST-METADATA');
    if (ret.metadata.length === 0) {
      throw new ImapArgumentError('RETURN (METADATA ...) needs at least one entry (RFC 9590)');
    }
    ret.metadata.forEach(checkEntry);
    items.push(atom('METADATA'), listArg(ret.metadata.map((e) => astring(e))));
  }
  return items;
}

/**
 * LIST (RFC 9051 6.3.9, RFC 3501 6.3.8; no capability needed for the basic
 * form): the mailboxes matching `pattern` (`*` any, `%` any but the
 * delimiter) under `reference` (both Unicode). Extended forms: selection and
 * return options and several patterns (LIST-EXTENDED, RFC 5258), STATUS of
 * each mailbox merged into its entry (LIST-STATUS, RFC 5819), special-use
 * (SPECIAL-USE, RFC 6154), MYRIGHTS (LIST-MYRIGHTS, RFC 8440), metadata
 * entries of each mailbox (LIST-METADATA, RFC 9590 — the RETURN option
 * `METADATA (entries)`, the untagged METADATA responses folded into each
 * entry's `metadata`). IMAP4rev2 includes all but MYRIGHTS and METADATA.
 * Entries come in the server's order.
 */
export async function list(
  ctx: CommandContext,
  reference: string,
  pattern: string,
  options: ListOptions = {},
): Promise<MailboxEntry[]> {
  const args: CommandArg[] = [];
  const selection = options.selection ?? [];
  const extraPatterns = options.patterns ?? [];
  if (selection.length > 0) {
    requireCapability(ctx, 'LIST-EXTENDED', 'IMAP4rev2');
    if (selection.includes('SPECIAL-USE')) requireCapability(ctx, 'SPECIAL-USE', 'IMAP4rev2');
    if (
      selection.includes('RECURSIVEMATCH') &&
      !selection.some((s) => s !== 'RECURSIVEMATCH' && s !== 'REMOTE')
    ) {
      throw new ImapArgumentError(
        'RECURSIVEMATCH needs another selection option besides REMOTE (RFC 5258 3.1)',
      );
    }
    args.push(listArg(selection.map((s) => atom(s))));
  }
  args.push(mailbox(reference));
  if (extraPatterns.length > 0) {
    requireCapability(ctx, 'LIST-EXTENDED', 'IMAP4rev2');
    args.push(listArg([pattern, ...extraPatterns].map((p) => mailbox(p))));
  } else {
    args.push(mailbox(pattern));
  }
  const returnItems = options.return === undefined ? [] : returnArg(ctx, options.return);
  if (returnItems.length > 0) {
    const onlyLegacy =
      options.return?.status !== undefined &&
      options.return.subscribed !== true &&
      options.return.children !== true &&
      options.return.specialUse !== true &&
      options.return.myrights !== true &&
      options.return.metadata === undefined;
    // RETURN (STATUS ...) alone is LIST-STATUS; any other return option is LIST-EXTENDED.
    if (!onlyLegacy) requireCapability(ctx, 'LIST-EXTENDED', 'IMAP4rev2');
    args.push(atom('RETURN'), listArg(returnItems));
  }
  const withMetadata = options.return?.metadata !== undefined;
  const result = await ctx.exec('LIST', args, {
    // METADATA only when asked: otherwise an unsolicited one (NOTIFY) stays a mailbox event.
    collect: withMetadata ? LIST_COLLECT_METADATA : LIST_COLLECT,
  });
  return foldList(ctx, result.untagged, 'LIST', withMetadata);
}
