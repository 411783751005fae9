/**
 * FETCH / UID FETCH (RFC 9051 6.4.5 and 6.4.9, RFC 3501 6.4.5 and 6.4.8; no
 * capability for the base items; CHANGEDSINCE needs CONDSTORE and VANISHED
 * needs QRESYNC enabled, RFC 7162 3.1.4 and 3.2.6): messages are yielded one
 * by one as their FETCH responses arrive.
 */
import { Readable } from 'node:stream';
import type { CommandContext, RunOptions } from '../connection/types.js';
import type { BodyStructure } from '../model/body-structure.js';
import type { Address, AddressGroup, Envelope } from '../model/envelope.js';
import { ImapArgumentError, ImapMessageLimitError, ImapStateError } from '../model/errors.js';
import type { FetchAttributes, FetchDataResponse, UntaggedResponse } from '../model/response.js';
import { SequenceSet } from '../model/sequence-set.js';
import { atom, list, num, raw, seq } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { dateTimeTail, daysInMonth, parseImapDateTime } from '../wire/dates.js';
import { decodeEncodedWords } from '../wire/encoded-words.js';
import { attributesBeforeLiteral } from '../wire/literal-context.js';
import type { LiteralSink, LiteralStartInfo } from '../wire/parser-options.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import {
  compileFetchItems,
  sectionItemText,
  sectionKey,
  type ByteRange,
  type FetchItems,
} from './fetch-items.js';
import { messageLimitError, withPartial } from './messagelimit.js';
import { TakenIds } from './taken-ids.js';

/** A set of messages: a {@link SequenceSet}, wire text (`1:5,9`), a number or numbers. */
export type MessageSet = SequenceSet | string | number | readonly number[];

/**
 * An address with its RFC 2047 display name decoded. The typed envelope
 * shares these objects (and whole lists) with `attributes.envelope` when no
 * display name needed decoding: the envelope is built once.
 */
export interface MessageAddress {
  /** Display name, encoded words decoded; null when none. */
  readonly name: string | null;
  /** `mailbox@host`, or the mailbox alone when there is no host; null when neither. */
  readonly address: string | null;
  /** The local part (before the `@`), or null. */
  readonly mailbox: string | null;
  /** The domain (after the `@`), or null. */
  readonly host: string | null;
  /** Source route (obsolete, almost always null). */
  readonly adl: string | null;
}

/** A group (`undisclosed-recipients: ;`) with its name decoded. */
export interface MessageAddressGroup {
  /** The group's display name, encoded words decoded. */
  readonly group: string;
  /** The addresses in the group (possibly none). */
  readonly members: readonly MessageAddress[];
}

/** An ENVELOPE with RFC 2047 words decoded and the date parsed. */
export interface MessageEnvelope {
  /** The Date: header parsed; null when absent or unparsable (see {@link rawDate}). */
  date: Date | null;
  /** The Date: header as sent. */
  rawDate: string | null;
  /** The subject with encoded words decoded. */
  subject: string | null;
  /** The subject as sent. */
  rawSubject: string | null;
  /**
   * Address lists; empty when the server sent NIL (one shared, frozen empty
   * array). Read-only: they may be the very lists of `attributes.envelope`
   * (built once, not copied).
   */
  from: readonly (MessageAddress | MessageAddressGroup)[];
  /** Sender: addresses (empty for NIL; see {@link from}). */
  sender: readonly (MessageAddress | MessageAddressGroup)[];
  /** Reply-To: addresses (empty for NIL; see {@link from}). */
  replyTo: readonly (MessageAddress | MessageAddressGroup)[];
  /** To: addresses (empty for NIL; see {@link from}). */
  to: readonly (MessageAddress | MessageAddressGroup)[];
  /** Cc: addresses (empty for NIL; see {@link from}). */
  cc: readonly (MessageAddress | MessageAddressGroup)[];
  /** Bcc: addresses (empty for NIL; see {@link from}). */
  bcc: readonly (MessageAddress | MessageAddressGroup)[];
  /** The In-Reply-To: header as sent, or null. */
  inReplyTo: string | null;
  /** The Message-ID: header as sent (with its angle brackets), or null. */
  messageId: string | null;
}

/** One message of a FETCH, typed. Only what the server sent is present. */
export interface FetchedMessage {
  /**
   * Message sequence number; 0 when the server sent UIDFETCH (UIDONLY is
   * enabled, RFC 9586: messages are named by UID only).
   */
  seq: number;
  /** The message's UID (always there for UID FETCH and UIDFETCH). */
  uid?: number;
  /** Its flags (system flags with their backslash, e.g. `\Seen`, and keywords). */
  flags?: Set<string>;
  /** INTERNALDATE parsed (the raw text is in `attributes.internalDate`). */
  internalDate?: Date;
  /** RFC822.SIZE (exact up to 2^53-1, so over 4 GiB too). */
  size?: number;
  /** ENVELOPE, with encoded words decoded and the date parsed. */
  envelope?: MessageEnvelope;
  /** BODYSTRUCTURE (or BODY). */
  bodyStructure?: BodyStructure;
  /** MODSEQ (RFC 7162, capability CONDSTORE). */
  modseq?: bigint;
  /** EMAILID (RFC 8474, capability OBJECTID). */
  emailId?: string;
  /** THREADID (RFC 8474, capability OBJECTID); null when the server has none. */
  threadId?: string | null;
  /** SAVEDATE parsed; null when the server has none. */
  saveDate?: Date | null;
  /** PREVIEW (RFC 8970): a short plain-text excerpt; null when the server has none. */
  preview?: string | null;
  /** The header section (BODY[HEADER], BODY[HEADER.FIELDS (...)] or RFC822.HEADER). */
  headers?: Buffer;
  /**
   * Every body section received, keyed as the parser keys them: `BODY[1.2]`,
   * `BINARY[1]`, `BODY[HEADER.FIELDS (SUBJECT)]`, `BODY[]` (no PEEK); a
   * partial range with its origin (`BODY[1.2]<0>` for `partial: { start: 0,
   * ... }`), so two ranges of one section are both there. NIL is null. Use
   * {@link sectionKey} to build a key.
   */
  parts: Map<string, Buffer | null>;
  /** The whole message (BODY[] or RFC822), or the range of it asked for. */
  source?: Buffer;
  /** Everything the server sent, as parsed. */
  attributes: FetchAttributes;
}

/** Options of {@link fetch}. */
export interface FetchOptions {
  /** UID FETCH: `set` holds UIDs. */
  uid?: boolean;
  /** CHANGEDSINCE (RFC 7162 3.1.4.1, capability CONDSTORE): only messages whose MODSEQ is higher. */
  changedSince?: bigint;
  /**
   * VANISHED (RFC 7162 3.2.6, QRESYNC enabled; UID FETCH with changedSince
   * only): the server also reports UIDs expunged since `changedSince`,
   * delivered to {@link onVanished}.
   */
  vanished?: boolean;
  /** Receives `* VANISHED (EARLIER)` UID sets (with {@link vanished}). */
  onVanished?: (uids: SequenceSet) => void;
  /** Cancels the command; the iterator throws the abort error. */
  signal?: AbortSignal;
  /**
   * Messages buffered before the connection's reading is paused until the
   * consumer catches up (default 256; needs a connection with `pauseReading`).
   */
  highWaterMark?: number;
}

/** A connection that can pause reading the socket (bounded buffering). */
export interface PausableContext extends CommandContext {
  /** Stops reading the socket until the returned function is called (or another command is issued). */
  pauseReading(): () => void;
}

/** True when the connection can pause reading (ImapConnection can; a bare CommandContext may not). */
export function canPauseReading(ctx: CommandContext): ctx is PausableContext {
  return typeof (ctx as Partial<PausableContext>).pauseReading === 'function';
}

/** `a` itself when its name has no encoded word, else a copy with the name decoded. */
function decodeAddress(a: Address): MessageAddress {
  const name = a.name;
  if (name === null) return a;
  const decoded = decodeEncodedWords(name);
  return decoded === name ? a : { ...a, name: decoded };
}

const ZONES: Record<string, string> = {
  UT: '+0000',
  GMT: '+0000',
  Z: '+0000',
  EST: '-0500',
  EDT: '-0400',
  CST: '-0600',
  CDT: '-0500',
  MST: '-0700',
  MDT: '-0600',
  PST: '-0800',
  PDT: '-0700',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const RFC5322_DATE =
  /^\s*(?:[A-Za-z]{3},?\s*)?(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{2}:?\d{2}|[A-Za-z]{1,3})?/;
/** ISO 8601 with an explicit zone (some broken mailers): `2019-06-01T12:00:00Z`, `2019-06-01 12:00:00+02:00`. */
const ISO_DATE =
  /^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})\s*$/i;
/** C's asctime() (some broken mailers): `Sat Jun  1 12:00:00 2019`, read as UTC. */
const ASCTIME_DATE =
  /^\s*[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/;

/**
 * Parses an RFC 5322 Date: header (`Tue, 1 Jul 2003 10:52:37 +0200`, with
 * obsolete zones and two-digit years); also ISO 8601 with an explicit zone
 * and C's asctime() form, which broken mailers send. A missing or unknown
 * zone is UTC (RFC 5322 4.3: `-0000`), never the reader's local time. Null
 * when it does not parse: anything else is no date (its text stays in the
 * envelope's `rawDate`).
 */
export function parseMessageDate(s: string | null): Date | null {
  if (s === null) return null;
  const fast = fastMessageDate(s);
  if (fast === fast) return new Date(fast); // not NaN
  const m = RFC5322_DATE.exec(s);
  if (m !== null) {
    const month = MONTHS.indexOf(m[2]!.toLowerCase());
    let year = Number(m[3]);
    if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
    else if (m[3]!.length === 3) year += 1900;
    const zoneText = m[7] === undefined ? '+0000' : (ZONES[m[7].toUpperCase()] ?? m[7]);
    const zone = /^[+-]\d{2}:?\d{2}$/.test(zoneText) ? zoneText.replace(':', '') : '+0000';
    const sign = zone[0] === '-' ? -1 : 1;
    const zoneMinutes = Number(zone.slice(3, 5));
    const offset = sign * (Number(zone.slice(1, 3)) * 60 + zoneMinutes);
    return utcDate(
      year,
      month,
      Number(m[1]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6] ?? 0),
      offset,
      zoneMinutes,
    );
  }
  if (ISO_DATE.test(s)) {
    const t = Date.parse(s.trim().replace(' ', 'T'));
    return Number.isNaN(t) ? null : new Date(t);
  }
  const a = ASCTIME_DATE.exec(s);
  if (a !== null) {
    const month = MONTHS.indexOf(a[1]!.toLowerCase());
    return utcDate(
      Number(a[6]),
      month,
      Number(a[2]),
      Number(a[3]),
      Number(a[4]),
      Number(a[5]),
      0,
      0,
    );
  }
  return null;
}

/**
 * The instant of a date and time at a zone `offset` minutes east of UTC;
 * null when a field is out of range (a day that does not exist is no date,
 * never a roll-over).
 */
function utcDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offset: number,
  zoneMinutes: number,
): Date | null {
  const valid =
    month >= 0 &&
    day >= 1 &&
    day <= daysInMonth(year, month + 1) &&
    hour < 24 &&
    minute < 60 &&
    second <= 60 &&
    zoneMinutes < 60;
  return valid ? new Date(Date.UTC(year, month, day, hour, minute - offset, second)) : null;
}

/**
 * The common form of a Date: header, `[Ddd, ]d[d] Mon yyyy hh:mm:ss +zzzz`
 * (anything may follow, like the regular expression allows), without a
 * regular expression: milliseconds since the epoch, or NaN to let
 * {@link parseMessageDate}'s general path decide.
 */
function fastMessageDate(s: string): number {
  let i = 0;
  if (s.charCodeAt(3) === 0x2c && s.charCodeAt(4) === 0x20) i = 5; // "Tue, "
  // One or two digits, taken without a branch per case (days 1-9 come
  // before 10-31 in a mailbox: no deoptimization when the first 10 shows up).
  const d0 = s.charCodeAt(i) - 0x30;
  const d1 = s.charCodeAt(i + 1) - 0x30;
  const two = +(d1 >>> 0 <= 9);
  const day = d0 * (1 + 9 * two) + d1 * two;
  if (d0 >>> 0 > 9 || s.charCodeAt(i + 1 + two) !== 0x20) return NaN;
  return dateTimeTail(s, i + 2 + two, day, 0x20, 1000);
}

/** `list` itself when no name in it needs decoding, else a copy with those decoded. */
function decodeMembers(list: Address[]): MessageAddress[] {
  let out: MessageAddress[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const d = decodeAddress(a);
    if (d !== a) out ??= list.slice(0, i);
    out?.push(d);
  }
  return out ?? list;
}

/** `g` itself when neither its name nor a member needs decoding, else a decoded copy. */
function decodeGroup(g: AddressGroup): MessageAddressGroup {
  const group = decodeEncodedWords(g.group);
  const members = decodeMembers(g.members);
  return group === g.group && members === g.members ? g : { group, members };
}

/** The typed envelope's list for NIL: one shared, frozen empty array. */
const NO_ADDRESSES: readonly (MessageAddress | MessageAddressGroup)[] = Object.freeze([]);

/**
 * An address list for the typed envelope: {@link NO_ADDRESSES} for NIL; the
 * parser's list itself when nothing in it needs decoding (no copy), else a copy.
 */
function decodeAddressList(
  list: Array<Address | AddressGroup> | null,
): readonly (MessageAddress | MessageAddressGroup)[] {
  if (list === null) return NO_ADDRESSES;
  let out: Array<MessageAddress | MessageAddressGroup> | null = null;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const d = 'group' in a ? decodeGroup(a) : decodeAddress(a);
    if (d !== a) out ??= list.slice(0, i);
    out?.push(d);
  }
  return out ?? list;
}

/** An ENVELOPE with encoded words decoded and the date parsed. */
export function decodeEnvelope(e: Envelope): MessageEnvelope {
  const from = decodeAddressList(e.from);
  return {
    date: parseMessageDate(e.date),
    rawDate: e.date,
    subject: e.subject === null ? null : decodeEncodedWords(e.subject),
    rawSubject: e.subject,
    from,
    // The parser shares one list when Sender / Reply-To repeat From.
    sender: e.sender === e.from && from.length > 0 ? from : decodeAddressList(e.sender),
    replyTo: e.replyTo === e.from && from.length > 0 ? from : decodeAddressList(e.replyTo),
    to: decodeAddressList(e.to),
    cc: decodeAddressList(e.cc),
    bcc: decodeAddressList(e.bcc),
    inReplyTo: e.inReplyTo,
    messageId: e.messageId,
  };
}

function parseDateTime(s: string): Date | undefined {
  try {
    return parseImapDateTime(s);
  } catch {
    return undefined;
  }
}

/** Folds one FETCH response into a {@link FetchedMessage}. */
export function toFetchedMessage(seqNumber: number, a: FetchAttributes): FetchedMessage {
  const m: FetchedMessage = { seq: seqNumber, parts: new Map(), attributes: a };
  if (a.uid !== undefined) m.uid = a.uid;
  if (a.flags !== undefined) m.flags = new Set(a.flags);
  if (a.internalDate !== undefined) {
    const d = parseDateTime(a.internalDate);
    if (d !== undefined) m.internalDate = d;
  }
  if (a.rfc822Size !== undefined) m.size = a.rfc822Size;
  if (a.envelope !== undefined) m.envelope = decodeEnvelope(a.envelope);
  const structure = a.bodyStructure ?? a.body;
  if (structure !== undefined) m.bodyStructure = structure;
  if (a.modseq !== undefined) m.modseq = a.modseq;
  if (a.emailId !== undefined) m.emailId = a.emailId;
  if (a.threadId !== undefined) m.threadId = a.threadId;
  if (a.saveDate !== undefined) {
    m.saveDate = a.saveDate === null ? null : (parseDateTime(a.saveDate) ?? null);
  }
  if (a.preview !== undefined) m.preview = a.preview;
  if (a.sections !== undefined) {
    for (const [key, s] of a.sections) {
      const data = s.data;
      if (data !== null && !Buffer.isBuffer(data)) continue; // streamed to a literal sink
      m.parts.set(key, data);
      if (data === null) continue;
      if ((s.item === 'BODY' && s.section.startsWith('HEADER')) || s.item === 'RFC822.HEADER') {
        m.headers ??= data;
      } else if ((s.item === 'BODY' && s.section === '') || s.item === 'RFC822') {
        m.source ??= data;
      }
    }
  }
  return m;
}

/** Validated arguments of a FETCH command. */
interface PreparedFetch {
  command: 'FETCH' | 'UID FETCH';
  args: CommandArg[];
  uid: boolean;
  /** The requested messages, to tell this command's responses from unsolicited ones. */
  set: SequenceSet;
  /** Only UID / FLAGS / MODSEQ were asked for. */
  onlyFlags: boolean;
  /** The attributes that mark a response as this command's (none when `onlyFlags`). */
  answers: readonly (keyof FetchAttributes)[];
  /**
   * RFC822.SIZE or BINARY.SIZE was asked for: a size too large to hold is
   * kept in `other` under its item name, and such an entry answers too.
   */
  sizes: boolean;
}

/** Items a server may also send unsolicited (a flag update, RFC 7162 3.2.4). */
const UNSOLICITED_ITEMS = /^(?:UID|FLAGS|MODSEQ)$/i;

/** The attribute each FETCH item name is answered with (sections and macros below). */
const ITEM_ATTRIBUTE: ReadonlyMap<string, keyof FetchAttributes> = new Map([
  ['INTERNALDATE', 'internalDate'],
  ['RFC822.SIZE', 'rfc822Size'],
  ['ENVELOPE', 'envelope'],
  ['BODY', 'body'],
  ['BODYSTRUCTURE', 'bodyStructure'],
  ['EMAILID', 'emailId'],
  ['THREADID', 'threadId'],
  ['SAVEDATE', 'saveDate'],
  ['PREVIEW', 'preview'],
  ['X-GM-MSGID', 'gmMsgId'],
  ['X-GM-THRID', 'gmThrId'],
  ['X-GM-LABELS', 'gmLabels'],
]);

/**
 * The attributes that answer the item `name` (upper-case, section text
 * removed: `BODY.PEEK[]<0.100>`); `other` for items this library does not parse.
 */
function answeringAttributes(name: string): readonly (keyof FetchAttributes)[] {
  const known = ITEM_ATTRIBUTE.get(name);
  if (known !== undefined) return [known];
  if (name === 'ALL' || name === 'FAST' || name === 'FULL') {
    return ['internalDate', 'rfc822Size', 'envelope', 'body'];
  }
  if (name.startsWith('BINARY.SIZE')) return ['binarySize'];
  if (name.includes('[') || name.startsWith('RFC822')) return ['sections'];
  return UNSOLICITED_ITEMS.test(name) ? [] : ['other'];
}

/** Whether `a` carries nothing but UID, FLAGS and MODSEQ (what a flag update carries). */
function onlyFlagItems(a: FetchAttributes): boolean {
  for (const k in a) if (k !== 'uid' && k !== 'flags' && k !== 'modseq') return false;
  return true;
}

/**
 * Which FETCH responses are one command's (a FETCH or a UID STORE), and
 * which are another's in flight or a change to some message (RFC 9051
 * 7.5.2: unsolicited FETCH may arrive at any time, and with QRESYNC they
 * carry the UID too). Servers run pipelined commands side by side (Dovecot
 * sends every command's untagged data before the first completion), and
 * the router offers each response first to the command that took the
 * previous one, so a command declines what is not its own:
 *
 * - a message outside its set (a bare `*` holds the last message whatever
 *   its number, but only one such; `$` may hold any:
 *   {@link SequenceSet.mayContain});
 * - a response that does not answer it (the caller's check of the items);
 *   one that answers it only loosely (a FLAGS-only FETCH's message with
 *   RFC822.SIZE too, a STORE's with more than flags): `'unless-wanted'`;
 * - a second response for a message it already took: `'unless-wanted'`, so
 *   another command asking the same of that message (two FETCHes, two
 *   STOREs, a STORE and a FLAGS FETCH) gets it, and this command only when
 *   none takes it (its own after all: a server splitting its answer, or a
 *   flag update of that message).
 * @internal
 */
export class OwnMessages {
  readonly #set: SequenceSet;
  readonly #id: 'uid' | 'seq';
  readonly #taken = new TakenIds();
  /** The one message outside `has()` (the last, that a bare `*` stands for) was taken. */
  #lastTaken = false;

  constructor(set: SequenceSet, uid: boolean) {
    this.#set = set;
    this.#id = uid ? 'uid' : 'seq';
  }

  /** The message's number (UID or sequence number); undefined when it has none. */
  id(r: FetchDataResponse): number | undefined {
    return this.#id === 'uid' ? r.attributes.uid : r.name === 'FETCH' ? r.seq : undefined;
  }

  /**
   * Whether message `id` of a response that answers the command is its
   * own; records it when it is. `loose`: the response answers it only
   * loosely (carries more than it asked for), so it is taken only when no
   * other command takes it. `unwanted`: declined with `'unless-wanted'`
   * before and no other command took it.
   */
  take(id: number, unwanted: boolean, loose = false): boolean | 'unless-wanted' {
    const set = this.#set;
    const inSet = set.has(id);
    if (!inSet && (!set.mayContain(id) || (this.#lastTaken && !set.isSaved))) return false;
    if (unwanted) this.#taken.add(id);
    else if (loose || !this.#taken.add(id)) return 'unless-wanted';
    if (!inSet) this.#lastTaken = true;
    return true;
  }
}

/**
 * Whether a FETCH response carries what this command asked for: an item it
 * asked for, or for a command asking only UID/FLAGS/MODSEQ, anything (it
 * then checks {@link onlyFlagItems}).
 */
function answersFetch(a: FetchAttributes, prepared: PreparedFetch): boolean {
  if (prepared.onlyFlags) return true;
  const answers = prepared.answers;
  for (let i = 0; i < answers.length; i++) if (a[answers[i]!] !== undefined) return true;
  return prepared.sizes && a.other !== undefined && hasOversizedSize(a.other);
}

/** Whether `other` holds a size too large to hold as a number (see FetchAttributes.rfc822Size). */
function hasOversizedSize(other: ReadonlyMap<string, unknown>): boolean {
  for (const key of other.keys()) {
    if (key === 'RFC822.SIZE' || key.startsWith('BINARY.SIZE[')) return true;
  }
  return false;
}

function prepareFetch(
  ctx: CommandContext,
  set: MessageSet,
  items: FetchItems,
  options: FetchOptions,
): PreparedFetch {
  const compiled = compileFetchItems(items);
  for (const cap of compiled.capabilities) requireCapability(ctx, cap);
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'FETCH');
  const args: CommandArg[] = [seq(set), compiled.arg];
  const modifiers: CommandArg[] = [];
  if (options.changedSince !== undefined) {
    if (typeof options.changedSince !== 'bigint') {
      throw new ImapArgumentError('changedSince must be a bigint');
    }
    requireCapability(ctx, 'CONDSTORE', 'QRESYNC');
    modifiers.push(atom('CHANGEDSINCE'), num(options.changedSince));
  }
  if (options.vanished === true) {
    requireCapability(ctx, 'QRESYNC');
    if (!ctx.enabled.has('QRESYNC')) {
      throw new ImapStateError('FETCH VANISHED needs QRESYNC enabled first (RFC 7162 3.2.6)');
    }
    if (!uid || options.changedSince === undefined) {
      throw new ImapArgumentError('VANISHED needs a UID FETCH with changedSince (RFC 7162 3.2.6)');
    }
    modifiers.push(atom('VANISHED'));
  }
  if (modifiers.length > 0) args.push(list(modifiers));
  const names = compiled.text
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/[()]/g, ' ')
    .split(/\s+/)
    .filter((n) => n.length > 0);
  const upper = names.map((n) => n.toUpperCase());
  const answers = new Set(upper.flatMap(answeringAttributes));
  return {
    command: uid ? 'UID FETCH' : 'FETCH',
    args,
    uid,
    set: SequenceSet.from(set),
    onlyFlags: answers.size === 0,
    answers: [...answers],
    sizes: upper.some(
      (n) => n.startsWith('BINARY.SIZE') || /^(?:RFC822\.SIZE|ALL|FAST|FULL)$/.test(n),
    ),
  };
}

const DEFAULT_HIGH_WATER_MARK = 256;

/** The async queue behind {@link fetch}. */
class FetchIterator implements AsyncIterableIterator<FetchedMessage> {
  readonly #ctx: CommandContext;
  readonly #prepared: PreparedFetch;
  readonly #options: FetchOptions;
  readonly #highWaterMark: number;
  #queue: FetchedMessage[] = [];
  #head = 0;
  /** Pending next() calls (normally at most one), oldest first. */
  #waiters: Array<{
    resolve: (r: IteratorResult<FetchedMessage>) => void;
    reject: (e: unknown) => void;
  }> = [];
  #started = false;
  /** The command completed (tagged response or failure). */
  #done = false;
  #error: unknown = null;
  /** The consumer stopped (return, or the error was delivered). */
  #closed = false;
  #resume: (() => void) | null = null;
  /** The consumer keeps every message (fetchAll): the connection's maxCollectedBytes applies. */
  readonly #collecting: boolean;
  /** Which responses are this command's. */
  readonly #own: OwnMessages;

  constructor(
    ctx: CommandContext,
    prepared: PreparedFetch,
    options: FetchOptions,
    collecting = false,
  ) {
    this.#ctx = ctx;
    this.#prepared = prepared;
    this.#options = options;
    this.#collecting = collecting;
    this.#own = new OwnMessages(prepared.set, prepared.uid);
    const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!Number.isInteger(hwm) || hwm < 1) {
      throw new ImapArgumentError('highWaterMark must be a positive integer');
    }
    this.#highWaterMark = hwm;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<FetchedMessage> {
    return this;
  }

  #start(): void {
    this.#started = true;
    const { command, args, uid } = this.#prepared;
    const runOptions: RunOptions = {
      collect: ['FETCH', 'VANISHED'],
      onUntagged: (r, unwanted) => this.#onUntagged(r, unwanted === true),
      pipeline: uid,
    };
    // An iterator hands each message on: not a collection, unless fetchAll keeps them all.
    if (!this.#collecting) runOptions.maxCollectedBytes = Infinity;
    if (this.#options.signal !== undefined) runOptions.signal = this.#options.signal;
    // exec: a NO or BAD rejects with ImapProtocolError.
    this.#ctx.exec(command, args, runOptions).then(
      // RFC 9738: a partial FETCH (OK [MESSAGELIMIT n uid]) ends the loop with an error after its messages.
      (result) => this.#finish(messageLimitError(result, () => undefined)),
      (err: unknown) => this.#finish(err ?? new Error('FETCH failed')),
    );
  }

  #onUntagged(r: UntaggedResponse, unwanted: boolean): boolean | 'unless-wanted' {
    if (r.name === 'VANISHED') {
      // Only a FETCH with the VANISHED modifier asked for them (RFC 7162 3.2.6).
      if (this.#options.vanished !== true) return false;
      if (!this.#closed) this.#options.onVanished?.(r.uids);
      return true;
    }
    if (r.name !== 'FETCH' && r.name !== 'UIDFETCH') return false;
    // Decline another command's answer or a flag update of some other
    // message: the connection offers it on, else reports it as unsolicited
    // (its `fetch` event).
    const id = this.#own.id(r);
    if (id === undefined || !answersFetch(r.attributes, this.#prepared)) return false;
    // A FLAGS-only FETCH takes a response carrying more (another FETCH's
    // answer: RFC822.SIZE, ENVELOPE...) only when no other command does.
    const loose = this.#prepared.onlyFlags && !onlyFlagItems(r.attributes);
    const own = this.#own.take(id, unwanted, loose);
    if (own !== true) return own;
    if (this.#closed) return true;
    const message = toFetchedMessage(r.name === 'FETCH' ? r.seq : 0, r.attributes);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: message, done: false });
      return true;
    }
    this.#queue.push(message);
    if (
      this.#resume === null &&
      this.#queue.length - this.#head >= this.#highWaterMark &&
      canPauseReading(this.#ctx)
    ) {
      this.#resume = this.#ctx.pauseReading();
    }
    return true;
  }

  #releaseReading(): void {
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  #finish(error: unknown): void {
    this.#done = true;
    this.#releaseReading();
    if (this.#closed) return; // the consumer left: responses were drained and discarded
    const waiters = this.#waiters;
    this.#waiters = [];
    if (error !== null) {
      if (waiters.length === 0) {
        this.#error = error; // thrown by the next next(), after the queued messages
        return;
      }
      this.#closed = true;
      waiters.shift()!.reject(error);
    }
    for (const w of waiters) w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<FetchedMessage>> {
    if (!this.#started && !this.#closed) this.#start();
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as FetchedMessage;
      const pending = this.#queue.length - this.#head;
      if (pending === 0) {
        this.#queue = [];
        this.#head = 0;
      }
      if (this.#resume !== null && pending <= this.#highWaterMark >> 1) this.#releaseReading();
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      this.#closed = true;
      return Promise.reject(e);
    }
    if (this.#done || this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /**
   * The consumer stopped early (`break`): buffered and further responses are
   * discarded while the command runs to its end, so the connection stays usable.
   */
  return(): Promise<IteratorResult<FetchedMessage>> {
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#error = null;
    this.#releaseReading();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
}

/**
 * FETCH (RFC 9051 6.4.5) or UID FETCH (6.4.9) as an async iterable: each
 * message is yielded as its FETCH response arrives, and the loop ends on the
 * tagged OK; a NO or BAD throws ImapProtocolError from the loop after
 * the messages received before it.
 *
 * Nothing is sent until the loop starts; capability and argument errors are
 * thrown right away (ImapCapabilityError: MODSEQ/CHANGEDSINCE need CONDSTORE,
 * EMAILID/THREADID need OBJECTID, SAVEDATE needs SAVEDATE, PREVIEW needs
 * PREVIEW, X-GM-* need X-GM-EXT-1, BINARY needs BINARY).
 *
 * Buffering is bounded: when `highWaterMark` messages wait for the consumer,
 * the connection stops reading (when it can) until half have been consumed.
 * Issuing another command inside the loop is safe (the connection reads
 * again for it). Leaving the loop early (`break`, `return`, a throw) discards
 * the rest while the command completes; the connection stays usable.
 *
 * UID FETCH is pipelined with other pipelinable commands; FETCH by sequence
 * numbers is not (RFC 9051 5.5: an expunge could renumber the messages).
 */
export function fetch(
  ctx: CommandContext,
  set: MessageSet,
  items: FetchItems,
  options: FetchOptions = {},
): AsyncIterableIterator<FetchedMessage> {
  return new FetchIterator(ctx, prepareFetch(ctx, set, items, options), options);
}

/**
 * {@link fetch}, collected into an array. Being a collection, it is subject
 * to the connection's `maxCollectedBytes` (an ImapLimitError, code LIMIT,
 * when the server sends more); iterate {@link fetch} for more.
 */
export async function fetchAll(
  ctx: CommandContext,
  set: MessageSet,
  items: FetchItems,
  options: FetchOptions = {},
): Promise<FetchedMessage[]> {
  const out: FetchedMessage[] = [];
  const messages = new FetchIterator(ctx, prepareFetch(ctx, set, items, options), options, true);
  try {
    for await (const m of messages) out.push(m);
  } catch (err) {
    throw err instanceof ImapMessageLimitError ? withPartial(err, out) : err;
  }
  return out;
}

/**
 * One message by sequence number (or UID with `{ uid: true }`); null when
 * there is no such message.
 */
export async function fetchOne(
  ctx: CommandContext,
  id: number,
  items: FetchItems,
  options: Omit<FetchOptions, 'vanished' | 'onVanished' | 'highWaterMark'> = {},
): Promise<FetchedMessage | null> {
  const uid = options.uid === true;
  // A sequence number past the last message: the server would answer BAD
  // (RFC 9051 9, seq-number), and there is no such message.
  if (!uid && Number.isInteger(id) && id <= 0xffffffff && id > (ctx.selected?.exists ?? Infinity)) {
    return null;
  }
  let found: FetchedMessage | null = null;
  for await (const m of fetch(ctx, id, items, options)) {
    if (found === null && (uid ? m.uid === id : m.seq === id)) found = m;
  }
  return found;
}

/** Options of {@link fetchStream}. */
export interface FetchStreamOptions {
  /** `id` is a UID (UID FETCH). */
  uid?: boolean;
  /** BINARY.PEEK[part] (RFC 3516, capability BINARY): content-transfer-decoded bytes. */
  binary?: boolean;
  /** Only this byte range. */
  partial?: ByteRange;
  /** Set `\Seen` (BODY[...] instead of BODY.PEEK[...]). */
  markSeen?: boolean;
  /** Cancels the command; the stream is destroyed with the abort error. */
  signal?: AbortSignal;
  /** Bytes the stream buffers before the connection stops reading (default 1 MiB). */
  highWaterMark?: number;
  /**
   * Ask for the message's BODYSTRUCTURE in the same command (ahead of the
   * section), returned as {@link FetchStreamResult.bodyStructure}.
   */
  bodyStructure?: boolean;
}

/** A body section being streamed. */
export interface FetchStreamResult {
  /** The section's bytes as they arrive; errors of the command are emitted on it. */
  stream: Readable;
  /** Size in bytes announced by the server. */
  size: number;
  /**
   * With the `bodyStructure` option: the message's structure, when the
   * server sent it before the section (as servers do when it is asked first).
   */
  bodyStructure?: BodyStructure;
}

/**
 * Streams one body section (`BODY.PEEK[section]`, or `BINARY.PEEK[section]`
 * with `binary`) of one message in a single round trip: the literal goes
 * straight from the socket into the returned Readable (RunOptions.onLiteral),
 * resolving as soon as it starts. Back-pressure: when the Readable's buffer
 * is full the connection stops reading (when it can pause) until the
 * consumer reads on. A literal under the connection's streaming threshold
 * arrives buffered and is handed over as a one-chunk stream.
 *
 * The chunks are views into the connection's 64 KiB read buffers, not
 * copies (a stream's consumer normally writes them out and drops them):
 * one kept keeps its whole read buffer alive, so copy
 * (`Buffer.from(chunk)`) what you keep. Values of {@link fetch} are
 * different: a small one is a copy (see `VIEW_MIN_SHARE` in wire/scanner.ts).
 *
 * `section` is a section spec as in {@link BodyPartRequest} (`''` for the
 * whole message). Rejects when the message does not exist
 * (ImapArgumentError) or the server says NO/BAD (ImapProtocolError); a
 * failure after the literal started is emitted as the stream's error.
 * Destroying the stream early discards the rest; the connection stays usable.
 */
export function fetchStream(
  ctx: CommandContext,
  id: number,
  section: string,
  options: FetchStreamOptions = {},
): Promise<FetchStreamResult> {
  const binary = options.binary === true;
  const request = { section, binary, peek: options.markSeen !== true } as const;
  const capabilities = new Set<string>();
  const item = sectionItemText(
    options.partial === undefined ? request : { ...request, partial: options.partial },
    capabilities,
  );
  for (const cap of capabilities) requireCapability(ctx, cap);
  const key = sectionKey(section, binary);
  /** The key of the response's section: with the origin of a range asked for. */
  const dataKey =
    options.partial === undefined ? key : sectionKey(section, binary, options.partial.start);
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'FETCH');
  const set = SequenceSet.from(id);
  const hwm = options.highWaterMark ?? 1024 * 1024;
  const withStructure = options.bodyStructure === true;

  return new Promise<FetchStreamResult>((resolve, reject) => {
    let started = false;
    /** The literal was streamed into this command and its response is still to come. */
    let streamedHere = false;
    let discard = false;
    let resumeReading: (() => void) | null = null;
    const release = (): void => {
      const r = resumeReading;
      resumeReading = null;
      r?.();
    };
    const stream = new Readable({
      highWaterMark: hwm,
      read() {
        release();
      },
      destroy(err, cb) {
        discard = true;
        release();
        cb(err);
      },
    });
    const begin = (size: number, structure: BodyStructure | undefined): void => {
      started = true;
      resolve(
        structure === undefined ? { stream, size } : { stream, size, bodyStructure: structure },
      );
    };
    const push = (chunk: Buffer | null): void => {
      if (discard || stream.destroyed) return;
      if (!stream.push(chunk) && chunk !== null && resumeReading === null && canPauseReading(ctx)) {
        resumeReading = ctx.pauseReading();
      }
    };
    const matches = (name: string | null): boolean =>
      name !== null && (name === key || name.startsWith(key + '<'));

    const runOptions: RunOptions = {
      collect: ['FETCH'],
      pipeline: uid,
      maxCollectedBytes: Infinity, // one response, its literal streamed: nothing is kept
      onLiteral: (info: LiteralStartInfo): LiteralSink | null => {
        if (started || !matches(info.item)) return null;
        if (info.name !== 'FETCH' && info.name !== 'UIDFETCH') return null;
        // Another message's literal (an unsolicited FETCH) is left to the buffer.
        if (!uid && info.seq !== null && info.seq !== id) return null;
        // The items ahead of the literal, parsed (a UID found by searching the
        // text could be one inside a body structure's strings).
        const before = uid || withStructure ? attributesBeforeLiteral(info) : null;
        if (uid && before?.uid !== undefined && before.uid !== id) return null;
        streamedHere = true;
        begin(info.size, before?.bodyStructure);
        return { write: (chunk) => push(chunk), end: () => push(null) };
      },
      // Only the response carrying the section is this command's (others go
      // to other commands in flight, or become unsolicited).
      onUntagged: (r) => {
        if (r.name === 'FETCH') {
          if (uid ? r.attributes.uid !== id : r.seq !== id) return false;
        } else if (r.name !== 'UIDFETCH' || r.uid !== id) return false;
        // A server that leaves out the origin of the range is tolerated.
        const s = r.attributes.sections?.get(dataKey) ?? r.attributes.sections?.get(key);
        if (s === undefined) return false;
        if (s.data !== null && !Buffer.isBuffer(s.data)) {
          // A streamed literal: ours only if it was streamed here (once).
          if (!streamedHere) return false;
          streamedHere = false;
          return true;
        }
        if (started) return false; // another copy of the section: some other command's
        const data = s.data ?? Buffer.alloc(0);
        begin(data.length, r.attributes.bodyStructure);
        if (data.length > 0) push(data);
        push(null);
        return true;
      },
    };
    if (options.signal !== undefined) runOptions.signal = options.signal;
    const fail = (err: unknown): void => {
      release();
      if (!started) reject(err);
      else if (!stream.destroyed && !stream.readableEnded) stream.destroy(err as Error);
    };
    const items = withStructure ? `BODYSTRUCTURE ${item}` : item;
    ctx.exec(uid ? 'UID FETCH' : 'FETCH', [seq(set), raw(`(${items})`)], runOptions).then(() => {
      if (!started) fail(new ImapArgumentError(`no ${key} for message ${uid ? 'UID ' : ''}${id}`));
    }, fail);
  });
}
