/**
 * The search builder: a typed query object compiled to IMAP search keys
 * (RFC 9051 6.4.4, RFC 3501 6.4.4, and the extensions' keys). Every value goes
 * through a validating argument builder, so a string is sent as an atom, a
 * quoted string or a literal — never spliced into the command line.
 */
import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import { astring, atom, checkRaw, date, list, num, raw, seq, str } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import type { ImapCalendarDate } from '../wire/dates.js';
import { requireCapability, requireImap4rev1 } from './capability.js';

/** A set of sequence numbers or UIDs in any form {@link SequenceSet.from} accepts. */
export type SetInput = SequenceSet | string | number | readonly number[];

/** A day for date criteria: a Date is taken as its UTC calendar day. */
export type SearchDate = Date | ImapCalendarDate;

/** MODSEQ with a metadata entry (RFC 7162 3.1.5). */
export interface ModseqCriterion {
  /** `/flags/\Seen` (or just the flag, `\Seen`, which gets the `/flags/` prefix). */
  entry: string;
  /** Which metadata the entry refers to. */
  type: 'priv' | 'shared' | 'all';
  /** Changed at or after this MODSEQ. */
  value: bigint;
}

/**
 * A search query as an object. All keys given are ANDed. A boolean flag key
 * is its IMAP key when true and the opposite key when false (`seen: false` is
 * `UNSEEN`, `unseen: false` is `SEEN`); `undefined` keys are ignored. An
 * empty object is `ALL`.
 */
export interface SearchQueryObject {
  /** ALL (when true). */
  all?: boolean;
  /** Message sequence numbers (a bare sequence set). */
  seq?: SetInput;
  /** UID set (`UID 1:5`); `SequenceSet.saved` is `UID $` (SEARCHRES). */
  uid?: SetInput;
  /** ANSWERED (false: UNANSWERED). */
  answered?: boolean;
  /** DELETED (false: UNDELETED). */
  deleted?: boolean;
  /** DRAFT (false: UNDRAFT). */
  draft?: boolean;
  /** FLAGGED (false: UNFLAGGED). */
  flagged?: boolean;
  /** SEEN (false: UNSEEN). */
  seen?: boolean;
  /** RECENT / OLD (IMAP4rev1 only; RFC 9051 removed `\Recent`). */
  recent?: boolean;
  /** NEW (RECENT UNSEEN; IMAP4rev1 only). */
  new?: boolean;
  /** OLD (NOT RECENT; IMAP4rev1 only). */
  old?: boolean;
  /** UNANSWERED (false: ANSWERED). */
  unanswered?: boolean;
  /** UNDELETED (false: DELETED). */
  undeleted?: boolean;
  /** UNDRAFT (false: DRAFT). */
  undraft?: boolean;
  /** UNFLAGGED (false: FLAGGED). */
  unflagged?: boolean;
  /** UNSEEN (false: SEEN). */
  unseen?: boolean;
  /** KEYWORD flag (several: all of them). */
  keyword?: string | readonly string[];
  /** UNKEYWORD flag (several: none of them). */
  unkeyword?: string | readonly string[];
  /** FROM: the From: header contains this (case-insensitive substring). */
  from?: string;
  /** TO: the To: header contains this. */
  to?: string;
  /** CC: the Cc: header contains this. */
  cc?: string;
  /** BCC: the Bcc: header contains this. */
  bcc?: string;
  /** SUBJECT: the Subject: header contains this. */
  subject?: string;
  /** BODY: the body contains this. */
  body?: string;
  /** TEXT: the header or body contains this. */
  text?: string;
  /** HEADER name value, each pair ANDed; an empty value matches messages having the field. */
  header?: ReadonlyArray<readonly [name: string, value: string]>;
  /** LARGER n (RFC822.SIZE > n). */
  larger?: number;
  /** SMALLER n (RFC822.SIZE < n). */
  smaller?: number;
  /** Internal date before this day. */
  before?: SearchDate;
  /** Internal date on this day. */
  on?: SearchDate;
  /** Internal date on or after this day. */
  since?: SearchDate;
  /** Date: header before this day. */
  sentBefore?: SearchDate;
  /** Date: header on this day. */
  sentOn?: SearchDate;
  /** Date: header on or after this day. */
  sentSince?: SearchDate;
  /** OLDER seconds (RFC 5032, capability WITHIN). */
  older?: number;
  /** YOUNGER seconds (RFC 5032, capability WITHIN). */
  younger?: number;
  /** MODSEQ (RFC 7162 3.1.5, capability CONDSTORE): changed at or after this value. */
  modseq?: bigint | ModseqCriterion;
  /** EMAILID (RFC 8474 6, capability OBJECTID). */
  emailId?: string;
  /** THREADID (RFC 8474 6, capability OBJECTID). */
  threadId?: string;
  /** SAVEDBEFORE (RFC 8514, capability SAVEDATE). */
  savedBefore?: SearchDate;
  /** SAVEDON (RFC 8514, capability SAVEDATE). */
  savedOn?: SearchDate;
  /** SAVEDSINCE (RFC 8514, capability SAVEDATE). */
  savedSince?: SearchDate;
  /** SAVEDATESUPPORTED (RFC 8514, capability SAVEDATE): the mailbox supports save dates. */
  saveDateSupported?: boolean;
  /** X-GM-RAW: Gmail search syntax (capability X-GM-EXT-1). */
  gmailRaw?: string;
  /** X-GM-MSGID (capability X-GM-EXT-1). */
  gmailMsgId?: bigint;
  /** X-GM-THRID (capability X-GM-EXT-1). */
  gmailThrId?: bigint;
  /** X-GM-LABELS (capability X-GM-EXT-1); several: all of them. */
  gmailLabels?: string | readonly string[];
  /** OR of two or more queries (three or more nest: `OR a (OR b c)`). */
  or?: readonly SearchQueryObject[];
  /** NOT query. */
  not?: SearchQueryObject;
  /** AND of queries (the same as merging their keys, but keys may repeat). */
  and?: readonly SearchQueryObject[];
}

/**
 * A query: the typed object form, or for power users raw search-key text
 * (`'UNSEEN FROM "x"'`, checked for CR/LF/NUL and sent as is) or prepared
 * {@link CommandArg}s.
 */
export type SearchQuery = SearchQueryObject | string | readonly CommandArg[];

/** Options of {@link compileSearch}. */
export interface CompileSearchOptions {
  /** UTF8=ACCEPT (or IMAP4rev2) is enabled: non-ASCII strings need no CHARSET (RFC 6855 3). */
  utf8?: boolean;
}

/** A compiled query. */
export interface CompiledSearch {
  /** The search keys, ready to follow `SEARCH [CHARSET x]`. */
  args: CommandArg[];
  /** `UTF-8` when a string is non-ASCII (and UTF8=ACCEPT is not enabled), else null. */
  charset: 'UTF-8' | null;
  /** Capabilities the keys need (e.g. `WITHIN`, `CONDSTORE`; `IMAP4rev1` for RECENT, NEW and OLD, which IMAP4rev2 removed), each once. */
  capabilities: string[];
  /**
   * False when the keys use message sequence numbers or `$`, or are raw text
   * whose meaning is unknown: such a search must not be pipelined
   * (RFC 9051 5.5, RFC 5182 2.1).
   */
  pipelineSafe: boolean;
}

interface State {
  utf8: boolean;
  charset: 'UTF-8' | null;
  capabilities: Set<string>;
  pipelineSafe: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** One search-key is a group of arguments; several groups are ANDed. */
type Group = CommandArg[];

function text(state: State, value: unknown, key: string): CommandArg {
  if (typeof value !== 'string') throw new ImapArgumentError(`search key ${key} needs a string`);
  if (NON_ASCII.test(value) && !state.utf8) state.charset = 'UTF-8';
  return astring(value);
}

function needs(state: State, capability: string): void {
  state.capabilities.add(capability);
}

function nonNegative(value: unknown, key: string): CommandArg {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ImapArgumentError(`search key ${key} needs a non-negative integer`);
  }
  return num(value);
}

function positiveSeconds(value: unknown, key: string): CommandArg {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ImapArgumentError(`search key ${key} needs a positive number of seconds`);
  }
  return num(value);
}

function bigNumber(value: unknown, key: string): CommandArg {
  if (typeof value !== 'bigint') throw new ImapArgumentError(`search key ${key} needs a bigint`);
  return num(value);
}

const OBJECT_ID = /^[A-Za-z0-9_-]{1,255}$/;

function objectId(value: unknown, key: string): CommandArg {
  if (typeof value !== 'string' || !OBJECT_ID.test(value)) {
    throw new ImapArgumentError(`search key ${key} needs an object id (1-255 of A-Z a-z 0-9 _ -)`);
  }
  return atom(value);
}

function setArg(value: unknown, key: string): CommandArg {
  if (
    !(value instanceof SequenceSet) &&
    typeof value !== 'string' &&
    typeof value !== 'number' &&
    !Array.isArray(value)
  ) {
    throw new ImapArgumentError(`search key ${key} needs a sequence set`);
  }
  return seq(value as SetInput);
}

function many<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** A boolean key: `yes` when true, `no` when false. */
function flagKey(value: unknown, key: string, yes: string[], no: string[]): Group[] {
  if (typeof value !== 'boolean') throw new ImapArgumentError(`search key ${key} needs a boolean`);
  return [(value ? yes : no).map((a) => atom(a))];
}

/** Wraps groups as one search-key: a single group as is, several in parentheses. */
function asOneKey(groups: Group[]): Group {
  if (groups.length === 1) return groups[0]!;
  return [list(groups.flat())];
}

function compileSub(state: State, q: unknown, key: string): Group[] {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) {
    throw new ImapArgumentError(`search key ${key} needs a query object`);
  }
  const groups = compileObject(state, q as SearchQueryObject);
  return groups.length === 0 ? [[atom('ALL')]] : groups;
}

function compileOr(state: State, items: unknown): Group[] {
  if (!Array.isArray(items) || items.length < 2) {
    throw new ImapArgumentError('search key or needs an array of at least two queries');
  }
  const keys = items.map((q) => asOneKey(compileSub(state, q, 'or')));
  // `OR a b` is itself one search-key, so `OR a OR b c` needs no parentheses.
  let acc = keys[keys.length - 1]!;
  for (let i = keys.length - 2; i >= 0; i--) acc = [atom('OR'), ...keys[i]!, ...acc];
  return [acc];
}

/** Keys of a query object, in the caller's order. */
function compileObject(state: State, q: SearchQueryObject): Group[] {
  const out: Group[] = [];
  for (const [key, value] of Object.entries(q) as Array<[string, unknown]>) {
    if (value === undefined) continue;
    out.push(...compileKey(state, key, value));
  }
  return out;
}

function dateKey(state: State, value: unknown, key: string, name: string, cap?: string): Group[] {
  if (value === null || typeof value !== 'object') {
    throw new ImapArgumentError(`search key ${key} needs a Date or {year, month, day}`);
  }
  if (cap !== undefined) needs(state, cap);
  return [[atom(name), date(value as SearchDate)]];
}

function compileKey(state: State, key: string, value: unknown): Group[] {
  switch (key) {
    case 'all':
      if (typeof value !== 'boolean') throw new ImapArgumentError('search key all needs a boolean');
      return value ? [[atom('ALL')]] : [[atom('NOT'), atom('ALL')]];
    case 'seq':
      state.pipelineSafe = false;
      return [[setArg(value, key)]];
    case 'uid': {
      const arg = setArg(value, key);
      if (arg.type === 'sequence' && arg.value.isSaved) state.pipelineSafe = false;
      return [[atom('UID'), arg]];
    }
    case 'answered':
      return flagKey(value, key, ['ANSWERED'], ['UNANSWERED']);
    case 'deleted':
      return flagKey(value, key, ['DELETED'], ['UNDELETED']);
    case 'draft':
      return flagKey(value, key, ['DRAFT'], ['UNDRAFT']);
    case 'flagged':
      return flagKey(value, key, ['FLAGGED'], ['UNFLAGGED']);
    case 'seen':
      return flagKey(value, key, ['SEEN'], ['UNSEEN']);
    case 'unanswered':
      return flagKey(value, key, ['UNANSWERED'], ['ANSWERED']);
    case 'undeleted':
      return flagKey(value, key, ['UNDELETED'], ['DELETED']);
    case 'undraft':
      return flagKey(value, key, ['UNDRAFT'], ['DRAFT']);
    case 'unflagged':
      return flagKey(value, key, ['UNFLAGGED'], ['FLAGGED']);
    case 'unseen':
      return flagKey(value, key, ['UNSEEN'], ['SEEN']);
    case 'recent':
      needs(state, 'IMAP4rev1');
      return flagKey(value, key, ['RECENT'], ['OLD']);
    case 'old':
      needs(state, 'IMAP4rev1');
      return flagKey(value, key, ['OLD'], ['RECENT']);
    case 'new':
      needs(state, 'IMAP4rev1');
      return flagKey(value, key, ['NEW'], ['NOT', 'NEW']);
    case 'keyword':
    case 'unkeyword': {
      const name = key === 'keyword' ? 'KEYWORD' : 'UNKEYWORD';
      return many(value as string | string[]).map((k) => {
        if (typeof k !== 'string') throw new ImapArgumentError(`search key ${key} needs strings`);
        return [atom(name), atom(k)];
      });
    }
    case 'from':
    case 'to':
    case 'cc':
    case 'bcc':
    case 'subject':
    case 'body':
    case 'text':
      return [[atom(key.toUpperCase()), text(state, value, key)]];
    case 'header': {
      if (!Array.isArray(value)) {
        throw new ImapArgumentError('search key header needs an array of [name, value] pairs');
      }
      return value.map((pair: unknown) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new ImapArgumentError('search key header needs [name, value] pairs');
        }
        const [name, v] = pair as [unknown, unknown];
        if (typeof name !== 'string' || !/^[!-9;-~]+$/.test(name)) {
          throw new ImapArgumentError(
            `header field name ${JSON.stringify(name)} is not printable ASCII without ":"`,
          );
        }
        return [atom('HEADER'), astring(name), text(state, v, 'header')];
      });
    }
    case 'larger':
      return [[atom('LARGER'), nonNegative(value, key)]];
    case 'smaller':
      return [[atom('SMALLER'), nonNegative(value, key)]];
    case 'before':
      return dateKey(state, value, key, 'BEFORE');
    case 'on':
      return dateKey(state, value, key, 'ON');
    case 'since':
      return dateKey(state, value, key, 'SINCE');
    case 'sentBefore':
      return dateKey(state, value, key, 'SENTBEFORE');
    case 'sentOn':
      return dateKey(state, value, key, 'SENTON');
    case 'sentSince':
      return dateKey(state, value, key, 'SENTSINCE');
    case 'older':
      needs(state, 'WITHIN');
      return [[atom('OLDER'), positiveSeconds(value, key)]];
    case 'younger':
      needs(state, 'WITHIN');
      return [[atom('YOUNGER'), positiveSeconds(value, key)]];
    case 'modseq': {
      needs(state, 'CONDSTORE');
      if (typeof value === 'bigint') return [[atom('MODSEQ'), num(value)]];
      const m = value as ModseqCriterion;
      if (m === null || typeof m !== 'object' || typeof m.entry !== 'string') {
        throw new ImapArgumentError('search key modseq needs a bigint or {entry, type, value}');
      }
      if (m.type !== 'priv' && m.type !== 'shared' && m.type !== 'all') {
        throw new ImapArgumentError('search key modseq type must be priv, shared or all');
      }
      const entry = m.entry.startsWith('/') ? m.entry : `/flags/${m.entry}`;
      // entry-flag-name (RFC 7162 7): "/flags/" attr-flag, where attr-flag is a (backslash) atom.
      const flagName = entry.startsWith('/flags/') ? entry.slice(7).replace(/^\\/, '') : '';
      try {
        atom(flagName);
      } catch {
        throw new ImapArgumentError(`invalid MODSEQ entry name ${JSON.stringify(m.entry)}`);
      }
      return [[atom('MODSEQ'), str(entry), atom(m.type), bigNumber(m.value, key)]];
    }
    case 'emailId':
      needs(state, 'OBJECTID');
      return [[atom('EMAILID'), objectId(value, key)]];
    case 'threadId':
      needs(state, 'OBJECTID');
      return [[atom('THREADID'), objectId(value, key)]];
    case 'savedBefore':
      return dateKey(state, value, key, 'SAVEDBEFORE', 'SAVEDATE');
    case 'savedOn':
      return dateKey(state, value, key, 'SAVEDON', 'SAVEDATE');
    case 'savedSince':
      return dateKey(state, value, key, 'SAVEDSINCE', 'SAVEDATE');
    case 'saveDateSupported':
      needs(state, 'SAVEDATE');
      return flagKey(value, key, ['SAVEDATESUPPORTED'], ['NOT', 'SAVEDATESUPPORTED']);
    case 'gmailRaw':
      needs(state, 'X-GM-EXT-1');
      if (typeof value !== 'string') throw new ImapArgumentError('gmailRaw needs a string');
      // X-GM-RAW takes a string; quoting keeps Gmail operators such as `in:inbox` intact.
      if (NON_ASCII.test(value) && !state.utf8) state.charset = 'UTF-8';
      return [[atom('X-GM-RAW'), str(value)]];
    case 'gmailMsgId':
      needs(state, 'X-GM-EXT-1');
      return [[atom('X-GM-MSGID'), bigNumber(value, key)]];
    case 'gmailThrId':
      needs(state, 'X-GM-EXT-1');
      return [[atom('X-GM-THRID'), bigNumber(value, key)]];
    case 'gmailLabels':
      needs(state, 'X-GM-EXT-1');
      return many(value as string | string[]).map((l) => [
        atom('X-GM-LABELS'),
        text(state, l, key),
      ]);
    case 'or':
      return compileOr(state, value);
    case 'not':
      return [[atom('NOT'), ...asOneKey(compileSub(state, value, key))]];
    case 'and': {
      if (!Array.isArray(value)) throw new ImapArgumentError('search key and needs an array');
      return value.flatMap((q: unknown) => compileSub(state, q, key));
    }
    default:
      throw new ImapArgumentError(`unknown search key ${JSON.stringify(key)}`);
  }
}

/** Non-ASCII inside a prepared argument (for the CHARSET decision). */
function hasNonAscii(a: CommandArg): boolean {
  switch (a.type) {
    case 'string':
    case 'astring':
      return typeof a.value === 'string'
        ? NON_ASCII.test(a.value)
        : a.value.some((b: number) => b > 0x7f);
    case 'raw':
    case 'atom':
      return NON_ASCII.test(a.value);
    case 'rawBytes':
      return a.value.some((b: number) => b > 0x7f);
    case 'list':
      return a.items.some(hasNonAscii);
    default:
      return false;
  }
}

/**
 * Compiles a query to search keys, the CHARSET it needs and the capabilities
 * it needs. Throws {@link ImapArgumentError} on an unknown key or a bad value.
 *
 * - Strings are astrings: an atom when safe, else quoted, else a literal (CR,
 *   LF, 8-bit, long): a value can never end the command line.
 * - A non-ASCII string sets `charset` to `UTF-8`, unless `utf8` says
 *   UTF8=ACCEPT is enabled: then strings travel as UTF-8 and no CHARSET is
 *   sent (RFC 6855 3).
 * - A raw string is sent as is after the CR/LF/NUL check; with non-ASCII
 *   text it is refused unless UTF8=ACCEPT is enabled (8-bit outside a
 *   literal is not IMAP4rev1 syntax): use the object form instead.
 */
export function compileSearch(
  query: SearchQuery,
  options: CompileSearchOptions = {},
): CompiledSearch {
  const state: State = {
    utf8: options.utf8 === true,
    charset: null,
    capabilities: new Set(),
    pipelineSafe: true,
  };
  let args: CommandArg[];
  if (typeof query === 'string') {
    checkRaw(query);
    if (NON_ASCII.test(query) && !state.utf8) {
      throw new ImapArgumentError(
        'a raw search string with non-ASCII text needs UTF8=ACCEPT; use the query object form',
      );
    }
    args = [raw(query)];
    state.pipelineSafe = false;
  } else if (Array.isArray(query)) {
    if (query.length === 0) throw new ImapArgumentError('empty search key list');
    args = [...(query as readonly CommandArg[])];
    if (!state.utf8 && args.some(hasNonAscii)) state.charset = 'UTF-8';
    state.pipelineSafe = false;
  } else if (query !== null && typeof query === 'object') {
    const groups = compileObject(state, query as SearchQueryObject);
    args = groups.length === 0 ? [atom('ALL')] : groups.flat();
  } else {
    throw new ImapArgumentError('a search query must be an object, a string or arguments');
  }
  return {
    args,
    charset: state.charset,
    capabilities: [...state.capabilities],
    pipelineSafe: state.pipelineSafe,
  };
}

/** Options of {@link prepareSearchProgram}. */
export interface SearchProgramOptions {
  /** CHARSET to send instead of the one the query needs. */
  charset?: string;
  /** SORT and THREAD always need a charset (RFC 5256 3); it defaults to UTF-8. */
  charsetRequired?: boolean;
}

/** A search program ready to send. */
export interface SearchProgram {
  /** For SEARCH: `[CHARSET x] keys` (RFC 9051 `search-program`). */
  args: CommandArg[];
  /** The charset to send (SORT and THREAD send it bare, RFC 5256 `search-criteria`), or null. */
  charset: string | null;
  /** The search keys alone. */
  keys: CommandArg[];
  /** See {@link CompiledSearch.pipelineSafe}. */
  pipelineSafe: boolean;
}

/**
 * Compiles `query` for `ctx` (UTF8=ACCEPT taken into account), checks the
 * capabilities its keys need (ImapCapabilityError, nothing sent) and decides
 * the charset: the caller's, else UTF-8 when a string is non-ASCII, else
 * (with `charsetRequired`, for SORT and THREAD) UTF-8, else none. After
 * `ENABLE UTF8=ACCEPT` (not IMAP4rev2 alone, which allows CHARSET) a SEARCH
 * carries no CHARSET (RFC 6855 3) and SORT / THREAD only `UTF-8` (erratum
 * 4029): a caller's `UTF-8` or `US-ASCII` is then left out of a SEARCH, any
 * other charset is an ImapArgumentError.
 */
export function prepareSearchProgram(
  ctx: Pick<CommandContext, 'hasCapability' | 'utf8Enabled' | 'enabled'>,
  query: SearchQuery,
  options: SearchProgramOptions = {},
): SearchProgram {
  const compiled = compileSearch(query, { utf8: ctx.utf8Enabled });
  for (const cap of compiled.capabilities) {
    if (cap === 'IMAP4rev1') requireImap4rev1(ctx, 'the search keys RECENT, NEW and OLD');
    else requireCapability(ctx, cap);
  }
  let charset =
    options.charset ?? compiled.charset ?? (options.charsetRequired === true ? 'UTF-8' : null);
  if (charset !== null && (typeof charset !== 'string' || !/^[A-Za-z0-9._:+-]+$/.test(charset))) {
    throw new ImapArgumentError(`invalid charset name ${JSON.stringify(charset)}`);
  }
  if (charset !== null && (ctx.enabled.has('UTF8=ACCEPT') || ctx.enabled.has('UTF8=ONLY'))) {
    charset = charsetAfterUtf8Accept(charset, options.charsetRequired === true);
  }
  const args: CommandArg[] = [];
  if (charset !== null) args.push(atom('CHARSET'), atom(charset));
  args.push(...compiled.args);
  return { args, charset, keys: compiled.args, pipelineSafe: compiled.pipelineSafe };
}

/** The charset to send once UTF8=ACCEPT is enabled (RFC 6855 3 and its erratum 4029), or null for none. */
function charsetAfterUtf8Accept(charset: string, required: boolean): string | null {
  const upper = charset.toUpperCase();
  if (upper === 'UTF-8') return required ? charset : null;
  if (upper === 'US-ASCII' && !required) return null;
  throw new ImapArgumentError(
    `charset ${charset} cannot be used after ENABLE UTF8=ACCEPT: ` +
      (required ? 'SORT and THREAD take only UTF-8' : 'SEARCH takes no charset then (RFC 6855 3)'),
  );
}
