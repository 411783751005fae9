import { newMailbox } from '../connection/mailbox-state.js';
import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError, ImapStateError } from '../model/errors.js';
import type { FetchAttributes } from '../model/response.js';
import { SequenceSet } from '../model/sequence-set.js';
import { atom, list, mailbox, num, seq } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';
import { mailboxIdOf } from './mailbox-name.js';

/** QRESYNC parameters of SELECT/EXAMINE (RFC 7162 3.2.5). */
export interface QresyncParams {
  /** The UIDVALIDITY the client last knew. */
  uidValidity: number;
  /** The HIGHESTMODSEQ the client last knew. */
  modseq: bigint;
  /** UIDs the client knows (limits the VANISHED (EARLIER) answer). */
  knownUids?: SequenceSet | string | readonly number[];
  /** Pairs of known sequence numbers and their UIDs, to help the server find what vanished. */
  seqMatch?: {
    /** Known sequence numbers, ascending. */
    seqs: SequenceSet | string;
    /** The UIDs of those messages, in the same order. */
    uids: SequenceSet | string;
  };
}

/** Options of {@link select}. */
export interface SelectOptions {
  /** Send EXAMINE instead of SELECT: the mailbox is opened read-only. */
  readOnly?: boolean;
  /** `(CONDSTORE)` (RFC 7162 3.1.8; capability CONDSTORE): ask for HIGHESTMODSEQ. */
  condstore?: boolean;
  /** `(QRESYNC (...))` (RFC 7162 3.2.5; capability QRESYNC, which must be ENABLEd first). */
  qresync?: QresyncParams;
  /**
   * This SELECT's collection limit instead of the connection's
   * `maxCollectedBytes` (a QRESYNC SELECT after a long absence collects a
   * FETCH per changed message); `Infinity` for none.
   */
  maxCollectedBytes?: number;
}

/** A message FETCH response received during a QRESYNC SELECT: a change since the known MODSEQ. */
export type SelectChange = FetchAttributes & {
  /**
   * The message sequence number in the newly selected mailbox; 0 for a
   * UIDFETCH (UIDONLY enabled, RFC 9586), whose message has only its `uid`.
   */
  seq: number;
};

/** What SELECT/EXAMINE reported about the mailbox. */
export interface SelectResult {
  /** The mailbox name as the caller gave it (Unicode). */
  name: string;
  /** From the tagged `[READ-ONLY]`/`[READ-WRITE]` (EXAMINE is always read-only). */
  readOnly: boolean;
  /** `* n EXISTS`. */
  exists: number;
  /** `* n RECENT` (0 when absent, as on IMAP4rev2). */
  recent: number;
  /** `* FLAGS (...)`: the flags defined in the mailbox. */
  flags: string[];
  /** `[PERMANENTFLAGS (...)]`, null when not sent (then all `flags` are permanent). */
  permanentFlags: string[] | null;
  /** `[UIDVALIDITY n]`, null when the server sent none. */
  uidValidity: number | null;
  /** `[UIDNEXT n]`, null when the server sent none. */
  uidNext: number | null;
  /** `[UNSEEN n]` (IMAP4rev1): the first unseen message's sequence number. */
  unseen?: number;
  /** `[HIGHESTMODSEQ n]` (CONDSTORE), null when not sent. */
  highestModseq: bigint | null;
  /** `[NOMODSEQ]`: the mailbox does not support modification sequences. */
  noModseq: boolean;
  /** QRESYNC: UIDs expunged since the known MODSEQ (`* VANISHED (EARLIER)`), null when none were sent. */
  vanished: SequenceSet | null;
  /** QRESYNC: messages changed since the known MODSEQ (`* n FETCH` during SELECT). */
  changed: SelectChange[];
  /** `[MAILBOXID (id)]` (RFC 8474 OBJECTID). */
  mailboxId?: string;
}

function qresyncArg(p: QresyncParams): CommandArg {
  const items: CommandArg[] = [num(p.uidValidity), num(p.modseq)];
  if (p.knownUids !== undefined) items.push(seq(p.knownUids));
  if (p.seqMatch !== undefined) {
    // RFC 7162 3.2.5: seq-match-data may only follow known-uids.
    if (p.knownUids === undefined) throw new ImapArgumentError('QRESYNC seqMatch needs knownUids');
    items.push(list([seq(p.seqMatch.seqs), seq(p.seqMatch.uids)]));
  }
  return list([atom('QRESYNC'), list(items)]);
}

function emptyResult(name: string, readOnly: boolean): SelectResult {
  return { ...newMailbox(name, readOnly), vanished: null, changed: [] };
}

/**
 * SELECT / EXAMINE (RFC 9051 6.3.2-6.3.3, RFC 3501 6.3.1-6.3.2; no capability
 * needed; CONDSTORE and QRESYNC parameters per RFC 7162 3.1.8 and 3.2.5).
 * Opens `name` (Unicode) and returns its state. A NO (no such mailbox,
 * permission...) throws ImapProtocolError; after a failed SELECT no mailbox is
 * selected. Data the server sends for a previously selected mailbox before
 * `[CLOSED]` is not mixed into the result.
 */
export async function select(
  ctx: CommandContext,
  name: string,
  options: SelectOptions = {},
): Promise<SelectResult> {
  const args: CommandArg[] = [mailbox(name)];
  if (options.qresync !== undefined) {
    requireCapability(ctx, 'QRESYNC');
    if (!ctx.enabled.has('QRESYNC')) {
      throw new ImapStateError(
        'SELECT with QRESYNC parameters needs QRESYNC enabled first (ENABLE QRESYNC, RFC 7162 3.2.3)',
      );
    }
    args.push(qresyncArg(options.qresync));
  } else if (options.condstore === true) {
    requireCapability(ctx, 'CONDSTORE');
    args.push(list([atom('CONDSTORE')]));
  }
  const readOnly = options.readOnly === true;
  const command = readOnly ? 'EXAMINE' : 'SELECT';
  const result = await ctx.exec(command, args, {
    collect: ['FLAGS', 'EXISTS', 'RECENT', 'OK', 'VANISHED', 'FETCH'],
    ...(options.maxCollectedBytes === undefined
      ? {}
      : { maxCollectedBytes: options.maxCollectedBytes }),
  });

  let out = emptyResult(name, readOnly);
  let vanished: SequenceSet[] = [];
  for (const r of result.untagged) {
    switch (r.name) {
      case 'FLAGS':
        out.flags = r.flags;
        break;
      case 'EXISTS':
        out.exists = r.number;
        break;
      case 'RECENT':
        out.recent = r.number;
        break;
      case 'VANISHED':
        if (r.earlier) vanished.push(r.uids);
        break;
      case 'FETCH':
        out.changed.push({ ...r.attributes, seq: r.seq });
        break;
      case 'UIDFETCH':
        out.changed.push({ ...r.attributes, seq: 0 });
        break;
      case 'OK': {
        const code = r.code;
        if (code === null) break;
        switch (code.name) {
          case 'CLOSED':
            out = emptyResult(name, readOnly);
            vanished = [];
            break;
          case 'PERMANENTFLAGS':
            out.permanentFlags = code.flags;
            break;
          case 'UIDVALIDITY':
            out.uidValidity = code.value;
            break;
          case 'UIDNEXT':
            out.uidNext = code.value;
            break;
          case 'UNSEEN':
            out.unseen = code.value;
            break;
          case 'HIGHESTMODSEQ':
            out.highestModseq = code.value;
            break;
          case 'NOMODSEQ':
            out.noModseq = true;
            break;
          case 'OTHER':
            if (code.atom.toUpperCase() === 'MAILBOXID' && code.text !== null) {
              out.mailboxId = mailboxIdOf(code.text);
            }
            break;
        }
        break;
      }
    }
  }
  // One union of all (merging the set so far per response was quadratic).
  out.vanished = SequenceSet.union(vanished);
  const tagCode = result.tagged.code;
  if (tagCode?.name === 'READ-ONLY') out.readOnly = true;
  else if (tagCode?.name === 'READ-WRITE') out.readOnly = false;
  return out;
}

/** EXAMINE (RFC 9051 6.3.3): {@link select} with `readOnly: true`. */
export function examine(
  ctx: CommandContext,
  name: string,
  options: Omit<SelectOptions, 'readOnly'> = {},
): Promise<SelectResult> {
  return select(ctx, name, { ...options, readOnly: true });
}
