/**
 * The search query syntax of `imapkit search`, mapped onto the client's
 * search builder ({@link SearchQueryObject}), e.g.
 * `from:alice since:2024-01-01 unseen subject:"foo bar"`.
 *
 * - Terms are ANDed; `a OR b` (or `a | b`) is an alternative; `-term` or
 *   `NOT term` negates; parentheses group.
 * - `key:value` terms: from to cc bcc subject body text (substring),
 *   header:Name:value, keyword / unkeyword, since before on (internal date),
 *   sent-since sent-before sent-on (Date: header), larger smaller (sizes
 *   like 100k or 2M), older younger (durations like 30m, 2h, 7d), uid (a
 *   UID set like 1:100,200).
 * - Flag words: all seen unseen flagged unflagged answered unanswered
 *   deleted undeleted draft undraft new old recent.
 * - A bare word (or "quoted phrase") searches the whole message (TEXT).
 * - Values may be quoted: `subject:"foo bar"`; one shell argument `subject:foo bar`
 *   (the shell removed the quotes) is taken whole unless more query syntax
 *   follows the space (`from:a OR from:b` in one argument is a query).
 */
import type { commands } from '../index.js';
import { UsageError } from './errors.js';

/** The search builder's query object. */
export type SearchQueryObject = commands.SearchQueryObject;

type Token =
  | { kind: 'term'; key: string | null; value: string; negated: boolean }
  | { kind: 'or' }
  | { kind: 'not' }
  | { kind: 'open' }
  | { kind: 'close' };

const KEYED_ARG = /^(-?)([a-zA-Z][a-zA-Z-]*):([\s\S]*)$/;

/** Splits one argument into tokens, honouring double quotes and backslash escapes in them. */
function tokenizeText(text: string, out: Token[]): void {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'open' : 'close' });
      i++;
      continue;
    }
    // One word: up to whitespace or a parenthesis outside quotes.
    let word = '';
    let quoted = false;
    let sawQuote = false;
    while (i < text.length) {
      const ch = text[i]!;
      if (quoted) {
        if (ch === '\\' && i + 1 < text.length) {
          word += text[i + 1];
          i += 2;
          continue;
        }
        if (ch === '"') quoted = false;
        else word += ch;
        i++;
        continue;
      }
      if (/\s/.test(ch) || ch === '(' || ch === ')') break;
      if (ch === '"') {
        quoted = true;
        sawQuote = true;
      } else {
        word += ch;
      }
      i++;
    }
    if (quoted) throw new UsageError(`unterminated quote in search query: ${text}`);
    pushWord(word, sawQuote, out);
  }
}

function pushWord(word: string, quoted: boolean, out: Token[]): void {
  if (!quoted && (word === 'OR' || word === '|')) {
    out.push({ kind: 'or' });
    return;
  }
  if (!quoted && word === 'NOT') {
    out.push({ kind: 'not' });
    return;
  }
  const m = KEYED_ARG.exec(word);
  if (m !== null && !(quoted && word.startsWith('"'))) {
    out.push({ kind: 'term', key: m[2]!.toLowerCase(), value: m[3]!, negated: m[1] === '-' });
    return;
  }
  if (!quoted && word.startsWith('-') && word.length > 1) {
    out.push({ kind: 'term', key: null, value: word.slice(1), negated: true });
    return;
  }
  out.push({ kind: 'term', key: null, value: word, negated: false });
}

/** Query syntax after a space: then an argument is a query, not one value with spaces. */
const QUERY_SYNTAX = /\s(?:-?[a-zA-Z][a-zA-Z-]*:|OR(?:\s|$)|NOT\s|\||\()|\)/;

/** Tokens of the whole command line: each shell argument is tokenized on its own. */
export function tokenize(args: readonly string[]): Token[] {
  const out: Token[] = [];
  for (const arg of args) {
    const m = KEYED_ARG.exec(arg);
    // `subject:foo bar` arrived as one argument (the shell removed the quotes): keep it whole.
    if (m !== null && /\s/.test(m[3]!) && !m[3]!.includes('"') && !QUERY_SYNTAX.test(m[3]!)) {
      out.push({ kind: 'term', key: m[2]!.toLowerCase(), value: m[3]!, negated: m[1] === '-' });
    } else {
      tokenizeText(arg, out);
    }
  }
  return out;
}

const FLAG_WORDS: Readonly<Record<string, SearchQueryObject>> = {
  all: { all: true },
  seen: { seen: true },
  unseen: { unseen: true },
  read: { seen: true },
  unread: { unseen: true },
  flagged: { flagged: true },
  unflagged: { unflagged: true },
  answered: { answered: true },
  unanswered: { unanswered: true },
  deleted: { deleted: true },
  undeleted: { undeleted: true },
  draft: { draft: true },
  undraft: { undraft: true },
  new: { new: true },
  old: { old: true },
  recent: { recent: true },
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDay(key: string, value: string): Date {
  const m = DATE.exec(value);
  if (m !== null) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) {
      return date;
    }
  }
  const rel = /^(\d+)d$/.exec(value);
  if (rel !== null) {
    const now = new Date();
    return new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - Number(rel[1])),
    );
  }
  throw new UsageError(
    `${key}: needs a date YYYY-MM-DD (or Nd for N days ago), not ${JSON.stringify(value)}`,
  );
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function parseSize(key: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(value);
  if (m === null)
    throw new UsageError(
      `${key}: needs a size like 5000, 100k or 2M, not ${JSON.stringify(value)}`,
    );
  const n = Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
  if (n > 0xffffffff) throw new UsageError(`${key}: size too large`);
  return n;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
};

function parseDuration(key: string, value: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(value);
  if (m === null || Number(m[1]) === 0) {
    throw new UsageError(
      `${key}: needs a duration like 30m, 12h or 7d, not ${JSON.stringify(value)}`,
    );
  }
  return Number(m[1]) * DURATION_UNITS[m[2] || 's']!;
}

const UID_SET = /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/;

function needValue(key: string, value: string): string {
  if (value === '') throw new UsageError(`${key}: needs a value`);
  return value;
}

/** One `key:value` (or bare) term as a query object. */
export function termQuery(key: string | null, value: string): SearchQueryObject {
  if (key === null) {
    const flag = FLAG_WORDS[value.toLowerCase()];
    if (flag !== undefined) return flag;
    return { text: needValue('text', value) };
  }
  switch (key) {
    case 'from':
    case 'to':
    case 'cc':
    case 'bcc':
    case 'subject':
    case 'body':
    case 'text':
      return { [key]: needValue(key, value) };
    case 'header': {
      const colon = value.indexOf(':');
      const name = colon === -1 ? value : value.slice(0, colon);
      if (!/^[!-9;-~]+$/.test(name)) {
        throw new UsageError(
          'header: needs header:Name:value (or header:Name: for "has the field")',
        );
      }
      return { header: [[name, colon === -1 ? '' : value.slice(colon + 1)]] };
    }
    case 'keyword':
    case 'unkeyword':
    case 'flag':
      return key === 'flag' ? flagTerm(needValue(key, value)) : { [key]: needValue(key, value) };
    case 'since':
    case 'before':
    case 'on':
      return { [key]: parseDay(key, value) };
    case 'sent-since':
    case 'sentsince':
      return { sentSince: parseDay(key, value) };
    case 'sent-before':
    case 'sentbefore':
      return { sentBefore: parseDay(key, value) };
    case 'sent-on':
    case 'senton':
      return { sentOn: parseDay(key, value) };
    case 'larger':
    case 'smaller':
      return { [key]: parseSize(key, value) };
    case 'older':
    case 'younger':
      return { [key]: parseDuration(key, value) };
    case 'uid':
      if (!UID_SET.test(value))
        throw new UsageError(`uid: needs a UID set like 1:100,200, not ${JSON.stringify(value)}`);
      return { uid: value };
    case 'is':
      return termQuery(null, needValue(key, value));
    default:
      throw new UsageError(
        `unknown search key ${JSON.stringify(key + ':')} (see imapkit search --help)`,
      );
  }
}

/** `flag:seen`, `flag:\Seen` or `flag:$Label`: a system flag by name, else a keyword. */
function flagTerm(value: string): SearchQueryObject {
  const name = value.replace(/^\\/, '').toLowerCase();
  const system = ['seen', 'flagged', 'answered', 'deleted', 'draft', 'recent'];
  if (system.includes(name)) return FLAG_WORDS[name]!;
  return { keyword: value };
}

/** Parses the tokens: AND of OR-chains of (NOT) units. */
class QueryParser {
  #pos = 0;
  constructor(readonly tokens: Token[]) {}

  parse(): SearchQueryObject {
    if (this.tokens.length === 0) return { all: true };
    const q = this.#and();
    if (this.#pos < this.tokens.length) throw new UsageError('unbalanced ")" in search query');
    return q;
  }

  #and(): SearchQueryObject {
    const parts: SearchQueryObject[] = [];
    while (this.#pos < this.tokens.length && this.tokens[this.#pos]!.kind !== 'close') {
      parts.push(this.#or());
    }
    if (parts.length === 0) throw new UsageError('empty group "()" in search query');
    return parts.length === 1 ? parts[0]! : { and: parts };
  }

  #or(): SearchQueryObject {
    const alternatives = [this.#unary()];
    while (this.tokens[this.#pos]?.kind === 'or') {
      this.#pos++;
      if (this.#pos >= this.tokens.length) throw new UsageError('OR needs a term on both sides');
      alternatives.push(this.#unary());
    }
    return alternatives.length === 1 ? alternatives[0]! : { or: alternatives };
  }

  #unary(): SearchQueryObject {
    const t = this.tokens[this.#pos++];
    if (t === undefined) throw new UsageError('incomplete search query');
    switch (t.kind) {
      case 'not':
        return { not: this.#unary() };
      case 'open': {
        const inner = this.#and();
        if (this.tokens[this.#pos]?.kind !== 'close')
          throw new UsageError('missing ")" in search query');
        this.#pos++;
        return inner;
      }
      case 'term': {
        const q = termQuery(t.key, t.value);
        return t.negated ? { not: q } : q;
      }
      case 'or':
        throw new UsageError('OR needs a term on both sides');
      case 'close':
        throw new UsageError('unbalanced ")" in search query');
    }
  }
}

/** Parses the query arguments of `imapkit search`; an empty query matches all messages. */
export function parseQuery(args: readonly string[]): SearchQueryObject {
  return new QueryParser(tokenize(args)).parse();
}
