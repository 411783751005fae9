import type { CommandContext, CommandResult, RunOptions } from '../connection/types.js';
import type { UntaggedResponse } from '../model/response.js';
import { ImapArgumentError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import { atom, flag, list, mailbox, num, seq } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import { OwnMessages, toFetchedMessage, type FetchedMessage, type MessageSet } from './fetch.js';
import { checkMessageLimit } from './messagelimit.js';
import { refuseReadOnly } from './read-only.js';

/**
 * One kind of change: add, remove or replace. Give exactly one of the three,
 * else {@link store} throws an `ImapArgumentError`.
 */
export interface StoreChange {
  /** Add these (`+FLAGS`); at least one. */
  add?: readonly string[];
  /** Remove these (`-FLAGS`); at least one. */
  remove?: readonly string[];
  /** Replace all with these (`FLAGS`); may be empty, which clears them. */
  set?: readonly string[];
}

/**
 * Options of {@link store}: a flag change (`add`, `remove` or `set`) and/or a
 * Gmail label change. In a mailbox opened with EXAMINE {@link store} throws
 * ImapStateError before sending: servers answer OK there and change nothing
 * (RFC 9051 6.3.3). After a SELECT answered `[READ-ONLY]` it is sent: such a
 * mailbox may permit per-user flags like `\Seen` (6.3.2).
 */
export interface StoreOptions extends StoreChange {
  /** `.SILENT`: the server does not send the new flags back. */
  silent?: boolean;
  /**
   * UNCHANGEDSINCE (RFC 7162 3.1.3, capability CONDSTORE): change only
   * messages whose MODSEQ is not above this; the others are reported in
   * `modified`.
   */
  unchangedSince?: bigint;
  /** UID STORE: `set` holds UIDs. */
  uid?: boolean;
  /** X-GM-LABELS change (Gmail, capability X-GM-EXT-1). */
  gmailLabels?: StoreChange;
  /** Cancels the command: it rejects with an error of code `ABORTED`. */
  signal?: AbortSignal;
}

/** The result of {@link store}. */
export interface StoreResult {
  /**
   * The messages' new state from the server's FETCH responses, for
   * messages of the set only (with `silent`, only those carrying MODSEQ,
   * RFC 7162 3.1.3); another session's change of another message, sent
   * alongside, is a `fetch` event. A message may be
   * listed twice when the server sent two updates of it that no other
   * command in flight took; the later is the newer.
   */
  updated: FetchedMessage[];
  /** `[MODIFIED set]`: messages not changed because their MODSEQ was above `unchangedSince`; null when none. */
  modified: SequenceSet | null;
}

function change(c: StoreChange, what: string): { sign: '+' | '-' | ''; values: readonly string[] } {
  const given =
    (c.add === undefined ? 0 : 1) +
    (c.remove === undefined ? 0 : 1) +
    (c.set === undefined ? 0 : 1);
  if (given !== 1) {
    throw new ImapArgumentError(`${what}: give exactly one of add, remove or set`);
  }
  const k = c.add !== undefined ? 'add' : c.remove !== undefined ? 'remove' : 'set';
  const values = c[k]!;
  if (!Array.isArray(values)) throw new ImapArgumentError(`${what}.${k} must be an array`);
  if (k !== 'set' && values.length === 0) {
    throw new ImapArgumentError(`${what}.${k} needs at least one value`);
  }
  return { sign: k === 'add' ? '+' : k === 'remove' ? '-' : '', values };
}

/** A list of flags, each validated. */
function flagList(values: readonly string[]): CommandArg {
  const items: CommandArg[] = [];
  for (let i = 0; i < values.length; i++) items.push(flag(values[i]!));
  return { type: 'list', items };
}

/** What a STORE collects: the messages' new state. */
const COLLECT_FETCH: readonly string[] = ['FETCH'];

/**
 * Whether `r` can report a message's new state after this STORE: a FETCH
 * (or UIDFETCH once UIDONLY is enabled, RFC 9586). `'loose'` when it
 * carries more than UID, FLAGS, MODSEQ and X-GM-LABELS: RFC822.SIZE,
 * ENVELOPE... answer a FETCH in flight, so the STORE takes it only when no
 * other command does. A `.SILENT` STORE gets no new flags back; with
 * CONDSTORE the server still sends MODSEQ (RFC 7162 3.1.3), so it takes
 * only responses carrying MODSEQ: a FLAGS-only response is another
 * command's, or another session's change (a `fetch` event).
 */
function storeUpdate(r: UntaggedResponse, silent: boolean): boolean | 'loose' {
  if (r.name !== 'FETCH' && r.name !== 'UIDFETCH') return false;
  let modseq = false;
  let loose = false;
  for (const k in r.attributes) {
    if (k === 'modseq') modseq = true;
    else if (k !== 'uid' && k !== 'flags' && k !== 'gmLabels') loose = true;
  }
  if (silent && !modseq) return false;
  return loose ? 'loose' : true;
}

/** A Gmail label: a system label (`\Inbox`, `\Important`) as a flag, others like mailbox names. */
function label(l: string): CommandArg {
  if (typeof l !== 'string' || l === '')
    throw new ImapArgumentError('a label must be a non-empty string');
  return l.startsWith('\\') ? flag(l) : mailbox(l);
}

/**
 * The argument lists of the STORE commands `options` ask for (one for a flag
 * change, one for a label change), each starting with the set; throws
 * ImapArgumentError (or ImapCapabilityError) before anything is sent.
 */
function storeCommands(
  ctx: CommandContext,
  set: MessageSet,
  options: StoreOptions,
): CommandArg[][] {
  const silent = options.silent === true ? '.SILENT' : '';
  const target = seq(set);
  const modifiers: CommandArg[] = [];
  if (options.unchangedSince !== undefined) {
    requireCapability(ctx, 'CONDSTORE');
    if (typeof options.unchangedSince !== 'bigint') {
      throw new ImapArgumentError('unchangedSince must be a bigint');
    }
    modifiers.push(list([atom('UNCHANGEDSINCE'), num(options.unchangedSince)]));
  }
  const commands: CommandArg[][] = [];
  if (options.add !== undefined || options.remove !== undefined || options.set !== undefined) {
    const c = change(options, 'store');
    // `+FLAGS.SILENT` and the like: an atom by construction.
    const item = { type: 'atom', value: `${c.sign}FLAGS${silent}` } as const;
    commands.push([target, ...modifiers, item, flagList(c.values)]);
  }
  if (options.gmailLabels !== undefined) {
    requireCapability(ctx, 'X-GM-EXT-1');
    const c = change(options.gmailLabels, 'gmailLabels');
    const item = atom(`${c.sign}X-GM-LABELS${silent}`);
    commands.push([target, ...modifiers, item, list(c.values.map(label))]);
  }
  if (commands.length === 0) {
    throw new ImapArgumentError('store needs add, remove, set or gmailLabels');
  }
  return commands;
}

/** Adds `[MODIFIED]` of one STORE's completion to `out`. */
function foldModified(out: StoreResult, result: CommandResult): void {
  const code = result.tagged.code;
  if (code?.name === 'MODIFIED') out.modified = SequenceSet.union([out.modified, code.set]);
}

/**
 * STORE / UID STORE (RFC 9051 6.4.6 and 6.4.9, RFC 3501 6.4.6; no capability;
 * UNCHANGEDSINCE needs CONDSTORE, RFC 7162 3.1.3; X-GM-LABELS needs
 * X-GM-EXT-1): `+FLAGS`, `-FLAGS` or `FLAGS` with the given flags (each
 * validated as a flag: `\Seen`, `$Forwarded`...), `.SILENT` when asked.
 * A flag change and a label change together are sent as two commands.
 * UID STORE is pipelined; STORE by sequence numbers is not (RFC 9051 5.5).
 */
export async function store(
  ctx: CommandContext,
  set: MessageSet,
  options: StoreOptions,
): Promise<StoreResult> {
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'STORE');
  refuseReadOnly(ctx, uid ? 'UID STORE' : 'STORE', true);
  const commands = storeCommands(ctx, set, options);
  const silent = options.silent === true;
  // Only messages of the set are this STORE's: a UID STORE's updates carry
  // a UID in its set (RFC 9051 6.4.9), and servers run pipelined STOREs side
  // by side (Dovecot sends each one's FETCH responses in order but completes
  // them late): see OwnMessages. A STORE by sequence number is not
  // pipelined, but another session's flag change of a message outside its
  // set, announced alongside, is a `fetch` event, not its result; no
  // EXPUNGE may renumber messages meanwhile (RFC 9051 7.5.1).
  // (One per command: a flag change and a label change each report the messages.)
  const messages = SequenceSet.from(set);
  let own: OwnMessages | null = null;
  const out: StoreResult = { updated: [], modified: null };
  const runOptions: RunOptions = {
    collect: COLLECT_FETCH,
    pipeline: uid,
    onUntagged: (r, unwanted) => {
      const update = storeUpdate(r, silent);
      if (update === false || (r.name !== 'FETCH' && r.name !== 'UIDFETCH')) return false;
      const id = own?.id(r);
      if (id === undefined) return false;
      const taken = own!.take(id, unwanted === true, update === 'loose');
      if (taken !== true) return taken;
      out.updated.push(toFetchedMessage(r.name === 'FETCH' ? r.seq : 0, r.attributes));
      return true;
    },
  };
  if (options.signal !== undefined) runOptions.signal = options.signal;
  for (const args of commands) {
    own = new OwnMessages(messages, uid);
    const result = await ctx.exec(uid ? 'UID STORE' : 'STORE', args, runOptions);
    foldModified(out, result);
    // RFC 9738: a partial STORE (OK [MESSAGELIMIT n uid]) is an error carrying what was done.
    checkMessageLimit(result, () => out);
  }
  return out;
}
