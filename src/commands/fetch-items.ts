/**
 * The FETCH item builder (RFC 9051 6.4.5, RFC 3501 6.4.5 and the extensions'
 * items): a typed description of what to fetch, compiled to the item list
 * text with every section spec validated, so nothing the caller passes can
 * change the command's shape.
 */
import { ImapArgumentError } from '../model/errors.js';
import { CHAR_CLASS, CLASS_ATOM, raw } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';

/** A byte range of a section: `<start.length>` (RFC 9051 6.4.5 `partial`). */
export interface ByteRange {
  /** First byte, from 0. */
  start: number;
  /** Number of bytes, at least 1. */
  length: number;
}

/** One body section to fetch. */
export interface BodyPartRequest {
  /**
   * The section spec, e.g. `1.2`, `1.2.MIME`, `TEXT`, `HEADER`,
   * `HEADER.FIELDS (Subject From)`, `2.HEADER.FIELDS.NOT (Received)`, or `''`
   * for the whole message. Keywords are case-insensitive.
   */
  section: string;
  /** BODY.PEEK (default true): do not set `\Seen`. */
  peek?: boolean;
  /** BINARY[...] (RFC 3516, capability BINARY): the decoded content; part numbers only. */
  binary?: boolean;
  /** Only these bytes. */
  partial?: ByteRange;
}

/**
 * What to fetch. Each `true` adds its item; the message's sequence number is
 * always known, and UID FETCH always returns the UID.
 */
export interface FetchItemSpec {
  /** UID. */
  uid?: boolean;
  /** FLAGS. */
  flags?: boolean;
  /** INTERNALDATE. */
  internalDate?: boolean;
  /** RFC822.SIZE. */
  size?: boolean;
  /** ENVELOPE. */
  envelope?: boolean;
  /** BODYSTRUCTURE (with extension data). */
  bodyStructure?: boolean;
  /** BODY: the body structure without extension data. */
  body?: boolean;
  /** MODSEQ (RFC 7162, capability CONDSTORE). */
  modseq?: boolean;
  /** EMAILID (RFC 8474, capability OBJECTID). */
  emailId?: boolean;
  /** THREADID (RFC 8474, capability OBJECTID). */
  threadId?: boolean;
  /** SAVEDATE (RFC 8514, capability SAVEDATE). */
  saveDate?: boolean;
  /** PREVIEW (RFC 8970, capability PREVIEW); `{ lazy: true }` is `PREVIEW (LAZY)`. */
  preview?:
    | boolean
    | {
        /** Ask for `PREVIEW (LAZY)`: the server may omit a preview it has not computed yet. */
        lazy?: boolean;
      };
  /** Gmail items (capability X-GM-EXT-1). */
  gmail?: {
    /** X-GM-MSGID: the message's Gmail id. */
    msgId?: boolean;
    /** X-GM-THRID: its Gmail thread id. */
    thrId?: boolean;
    /** X-GM-LABELS: its Gmail labels. */
    labels?: boolean;
  };
  /**
   * Header: `true` for all of it (`BODY.PEEK[HEADER]`), or field names for
   * `BODY.PEEK[HEADER.FIELDS (...)]`.
   */
  headers?: true | readonly string[];
  /** Body sections (BODY.PEEK[...] / BINARY.PEEK[...]). */
  bodyParts?: readonly BodyPartRequest[];
  /** The whole message (`BODY.PEEK[]`), or a byte range of it. */
  source?: boolean | ByteRange;
  /** BINARY.SIZE[part] (RFC 3516, capability BINARY): decoded sizes of these parts. */
  binarySize?: readonly string[];
  /**
   * Further items as raw text (power users). Each is checked — not empty,
   * ASCII only, no CR, LF, NUL or `{`, quotes closed, `()`, `[]`, `<>`
   * balanced — and an
   * {@link ImapArgumentError} thrown otherwise.
   */
  raw?: readonly string[];
}

/**
 * FETCH items: the typed spec; a macro (`ALL`, `FAST`, `FULL`); or raw item
 * text (`'(FLAGS BODY.PEEK[HEADER])'`, `'FLAGS UID'`) or raw items
 * (`['FLAGS', 'UID']`) for power users.
 */
export type FetchItems = FetchItemSpec | 'ALL' | 'FAST' | 'FULL' | string | readonly string[];

/** Compiled FETCH items. */
export interface CompiledFetchItems {
  /** The item list argument: a macro or a parenthesised list, as a validated raw arg. */
  arg: CommandArg;
  /** Its text, e.g. `(UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])`. */
  text: string;
  /** Capabilities the items need, each once. */
  capabilities: string[];
}

const MAX_U32 = 0xffffffff;
const PART = /^[1-9][0-9]{0,9}(?:\.[1-9][0-9]{0,9})*/;

function checkPartNumbers(part: string, spec: string): void {
  for (const n of part.split('.')) {
    if (Number(n) > MAX_U32)
      throw new ImapArgumentError(`section part number too large in ${JSON.stringify(spec)}`);
  }
}

/** RFC 5322 field-name: printable ASCII except `:` (and no space). */
const FIELD_NAME = /^[!-9;-~]+$/;

function isAtom(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (CHAR_CLASS[c]! & CLASS_ATOM) === 0) return false;
  }
  return s.length > 0;
}

/** A header field name as an astring: an atom when it can be, else quoted. */
function fieldNameText(name: string): string {
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
    throw new ImapArgumentError(
      `header field name ${JSON.stringify(name)} is not printable ASCII without ":" or space`,
    );
  }
  if (isAtom(name) && name.toUpperCase() !== 'NIL') return name;
  return '"' + name.replace(/["\\]/g, '\\$&') + '"';
}

/** `HEADER.FIELDS (A B)` text from field names. */
export function headerFieldsSpec(names: readonly string[], not = false): string {
  if (!Array.isArray(names) || names.length === 0) {
    throw new ImapArgumentError('HEADER.FIELDS needs at least one field name');
  }
  return `HEADER.FIELDS${not ? '.NOT' : ''} (${names.map(fieldNameText).join(' ')})`;
}

interface ParsedSection {
  /** Part numbers (`1.2`), '' for the top level. */
  part: string;
  /** `HEADER`, `TEXT`, `MIME`, `HEADER.FIELDS`, `HEADER.FIELDS.NOT` or ''. */
  text: string;
  /** Header field names as given (HEADER.FIELDS only). */
  names: string[];
}

function parseSection(spec: string, binary: boolean): ParsedSection {
  if (typeof spec !== 'string') throw new ImapArgumentError('a section must be a string');
  const m = PART.exec(spec);
  const part = m === null ? '' : m[0];
  if (part !== '') checkPartNumbers(part, spec);
  let rest = spec.slice(part.length);
  if (binary) {
    if (rest !== '') {
      throw new ImapArgumentError(
        `a BINARY section is part numbers only, not ${JSON.stringify(spec)}`,
      );
    }
    return { part, text: '', names: [] };
  }
  if (rest === '') return { part, text: '', names: [] };
  if (part !== '') {
    if (rest[0] !== '.') throw new ImapArgumentError(`invalid section ${JSON.stringify(spec)}`);
    rest = rest.slice(1);
  }
  const upper = rest.toUpperCase();
  if (upper === 'HEADER' || upper === 'TEXT' || (upper === 'MIME' && part !== '')) {
    return { part, text: upper, names: [] };
  }
  const f = /^HEADER\.FIELDS(\.NOT)?[ ]?\(([^()]*)\)$/i.exec(rest);
  if (f !== null) {
    const names = f[2]!.split(' ').filter((n) => n !== '');
    names.forEach(fieldNameText); // validates
    if (names.length === 0)
      throw new ImapArgumentError('HEADER.FIELDS needs at least one field name');
    return { part, text: f[1] === undefined ? 'HEADER.FIELDS' : 'HEADER.FIELDS.NOT', names };
  }
  throw new ImapArgumentError(`invalid section ${JSON.stringify(spec)}`);
}

function renderSection(p: ParsedSection, forKey: boolean): string {
  const head = p.part !== '' && p.text !== '' ? `${p.part}.${p.text}` : p.part + p.text;
  if (p.names.length === 0) return head;
  const names = forKey ? p.names.map((n) => n.toUpperCase()) : p.names.map(fieldNameText);
  return `${head} (${names.join(' ')})`;
}

/**
 * Validates a section spec (RFC 9051 `section-spec`) and returns it in
 * canonical form: keywords upper-cased, one space before the field list,
 * field names as astrings. `binary` allows part numbers only
 * (`section-binary`). Throws {@link ImapArgumentError}.
 */
export function normalizeSection(spec: string, binary = false): string {
  return renderSection(parseSection(spec, binary), false);
}

function rangeText(r: ByteRange, what: string): string {
  if (
    r === null ||
    typeof r !== 'object' ||
    !Number.isInteger(r.start) ||
    !Number.isInteger(r.length) ||
    r.start < 0 ||
    r.length < 1 ||
    r.start > MAX_U32 ||
    r.length > MAX_U32
  ) {
    throw new ImapArgumentError(`${what}: partial needs integers start >= 0 and length >= 1`);
  }
  return `<${r.start}.${r.length}>`;
}

/**
 * The item text of one body section request, e.g. `BODY.PEEK[1.2]<0.100>`,
 * `BINARY.PEEK[2]`; adds `BINARY` to `capabilities` when needed.
 */
export function sectionItemText(req: BodyPartRequest, capabilities?: Set<string>): string {
  if (req === null || typeof req !== 'object') {
    throw new ImapArgumentError('a body part request must be an object');
  }
  const binary = req.binary === true;
  const section = normalizeSection(req.section, binary);
  if (binary) capabilities?.add('BINARY');
  const name = (binary ? 'BINARY' : 'BODY') + (req.peek === false ? '' : '.PEEK');
  const partial = req.partial === undefined ? '' : rangeText(req.partial, `section ${section}`);
  return `${name}[${section}]${partial}`;
}

/**
 * The key a section's data has in `FetchAttributes.sections` and
 * `FetchedMessage.parts`: `BODY[1.2]`, `BINARY[1]`,
 * `BODY[HEADER.FIELDS (SUBJECT)]` (no PEEK, upper-cased, field names
 * unquoted — as the parser keys them); with `partialStart` (the `start` of a
 * {@link ByteRange} asked for), the key of that range: `BODY[1.2]<0>`.
 */
export function sectionKey(section: string, binary = false, partialStart?: number): string {
  const key = `${binary ? 'BINARY' : 'BODY'}[${renderSection(parseSection(section, binary), true)}]`;
  return partialStart === undefined ? key : `${key}<${partialStart}>`;
}

/**
 * Checks a raw FETCH item (or item list) for power users: no CR, LF, NUL or
 * `{` (a literal announcement), quotes closed, and `()`, `[]`, `<>` balanced
 * and properly nested outside quotes. Throws {@link ImapArgumentError}.
 */
export function checkRawFetchItem(text: string): void {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ImapArgumentError('a raw FETCH item must be a non-empty string');
  }
  const stack: string[] = [];
  const closing: Record<string, string> = { ')': '(', ']': '[', '>': '<' };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const c = text.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0 || c >= 0x80 || ch === '{') {
      throw new ImapArgumentError(
        `raw FETCH item ${JSON.stringify(text.slice(0, 80))} has a forbidden character at index ${i}`,
      );
    }
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(' || ch === '[' || ch === '<') stack.push(ch);
    else if (ch in closing) {
      if (stack.pop() !== closing[ch]) {
        throw new ImapArgumentError(
          `raw FETCH item ${JSON.stringify(text.slice(0, 80))} is unbalanced`,
        );
      }
    }
  }
  if (quoted || stack.length > 0) {
    throw new ImapArgumentError(
      `raw FETCH item ${JSON.stringify(text.slice(0, 80))} is unbalanced`,
    );
  }
}

const MACROS = new Set(['ALL', 'FAST', 'FULL']);

function fromRaw(items: readonly string[]): CompiledFetchItems {
  if (items.length === 0) throw new ImapArgumentError('no FETCH items');
  items.forEach(checkRawFetchItem);
  let text: string;
  if (items.length === 1 && MACROS.has(items[0]!.trim().toUpperCase())) {
    text = items[0]!.trim().toUpperCase();
  } else if (items.length === 1 && /^\(.*\)$/.test(items[0]!.trim())) {
    text = items[0]!.trim();
    // `(A) (B)` starts and ends with parentheses but is two lists.
    checkRawFetchItem(text.slice(1, -1));
  } else {
    text = `(${items.map((s) => s.trim()).join(' ')})`;
  }
  return { arg: raw(text), text, capabilities: [] };
}

function on(v: unknown, key: string): boolean {
  if (v === undefined || v === false) return false;
  if (v === true) return true;
  throw new ImapArgumentError(`FETCH item ${key} must be a boolean`);
}

const SIMPLE: ReadonlyArray<[keyof FetchItemSpec, string, string | null]> = [
  ['uid', 'UID', null],
  ['flags', 'FLAGS', null],
  ['internalDate', 'INTERNALDATE', null],
  ['size', 'RFC822.SIZE', null],
  ['envelope', 'ENVELOPE', null],
  ['bodyStructure', 'BODYSTRUCTURE', null],
  ['body', 'BODY', null],
  ['modseq', 'MODSEQ', 'CONDSTORE'],
  ['emailId', 'EMAILID', 'OBJECTID'],
  ['threadId', 'THREADID', 'OBJECTID'],
  ['saveDate', 'SAVEDATE', 'SAVEDATE'],
];

const SPEC_KEYS = new Set<string>([
  ...SIMPLE.map(([k]) => k),
  'preview',
  'gmail',
  'headers',
  'bodyParts',
  'source',
  'binarySize',
  'raw',
]);

/**
 * Compiles FETCH items to the item list text and the capabilities it needs.
 * Throws {@link ImapArgumentError} on anything invalid (unknown key, bad
 * section, bad header field name, bad range, unbalanced raw text).
 */
export function compileFetchItems(items: FetchItems): CompiledFetchItems {
  if (typeof items === 'string') return fromRaw([items]);
  if (Array.isArray(items)) return fromRaw(items as readonly string[]);
  if (items === null || typeof items !== 'object') {
    throw new ImapArgumentError('FETCH items must be an object, a string or strings');
  }
  const spec = items as FetchItemSpec;
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key))
      throw new ImapArgumentError(`unknown FETCH item ${JSON.stringify(key)}`);
  }
  const caps = new Set<string>();
  const out: string[] = [];
  for (const [key, item, cap] of SIMPLE) {
    if (!on(spec[key], key)) continue;
    out.push(item);
    if (cap !== null) caps.add(cap);
  }
  if (spec.preview !== undefined && spec.preview !== false) {
    caps.add('PREVIEW');
    const lazy =
      typeof spec.preview === 'object' && spec.preview !== null && spec.preview.lazy === true;
    out.push(lazy ? 'PREVIEW (LAZY)' : 'PREVIEW');
  }
  if (spec.gmail !== undefined) {
    const g = spec.gmail;
    if (on(g.msgId, 'gmail.msgId')) out.push('X-GM-MSGID');
    if (on(g.thrId, 'gmail.thrId')) out.push('X-GM-THRID');
    if (on(g.labels, 'gmail.labels')) out.push('X-GM-LABELS');
    if (g.msgId === true || g.thrId === true || g.labels === true) caps.add('X-GM-EXT-1');
  }
  if (spec.headers !== undefined) {
    if (spec.headers === true) out.push('BODY.PEEK[HEADER]');
    else if (Array.isArray(spec.headers)) out.push(`BODY.PEEK[${headerFieldsSpec(spec.headers)}]`);
    else throw new ImapArgumentError('FETCH item headers must be true or field names');
  }
  if (spec.bodyParts !== undefined) {
    if (!Array.isArray(spec.bodyParts)) throw new ImapArgumentError('bodyParts must be an array');
    for (const req of spec.bodyParts) out.push(sectionItemText(req, caps));
  }
  if (spec.source !== undefined && spec.source !== false) {
    out.push(
      spec.source === true
        ? 'BODY.PEEK[]'
        : `BODY.PEEK[]${rangeText(spec.source as ByteRange, 'source')}`,
    );
  }
  if (spec.binarySize !== undefined) {
    if (!Array.isArray(spec.binarySize)) throw new ImapArgumentError('binarySize must be an array');
    caps.add('BINARY');
    for (const part of spec.binarySize) out.push(`BINARY.SIZE[${normalizeSection(part, true)}]`);
  }
  if (spec.raw !== undefined) {
    if (!Array.isArray(spec.raw)) throw new ImapArgumentError('raw must be an array of strings');
    for (const r of spec.raw) {
      checkRawFetchItem(r);
      out.push(r.trim());
    }
  }
  if (out.length === 0) throw new ImapArgumentError('no FETCH items');
  const text = `(${out.join(' ')})`;
  return { arg: raw(text), text, capabilities: [...caps] };
}
