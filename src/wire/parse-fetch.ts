/**
 * FETCH responses (RFC 9051 7.5.2 and extensions): items, ENVELOPE, BODY and
 * BODYSTRUCTURE, body sections.
 */
import type {
  BodyStructure,
  Disposition,
  MultiPart,
  RawValue,
  SinglePart,
} from '../model/body-structure.js';
import type { Address, AddressGroup, Envelope } from '../model/envelope.js';
import type { FetchAttributes, FetchedSection } from '../model/response.js';
import { NAME_STOP, Scanner, upperText } from './scanner.js';

/** body-fld-param: `(` name value ... `)` or NIL; names lower-cased. */
function params(s: Scanner, depth: number): Map<string, string> {
  const map = new Map<string, string>();
  if (s.nil()) return map;
  s.checkDepth(depth);
  s.expect(0x28, 'a parameter list');
  s.skipSpaces();
  while (s.peek() !== 0x29) {
    if (s.atEnd()) s.fail('unterminated parameter list');
    const key = s.nstringOrAtomLower() ?? 'nil';
    s.skipSpaces();
    if (s.peek() === 0x29) break;
    const value = s.nstringMail();
    map.set(key, value ?? '');
    s.skipSpaces();
  }
  s.pos++;
  return map;
}

function disposition(s: Scanner, depth: number): Disposition | null {
  if (s.nil()) return null;
  const b = s.peek();
  if (b === 0x22 || b === 0x7b) return { type: s.string().toLowerCase(), params: new Map() };
  s.checkDepth(depth);
  s.expect(0x28, 'a disposition');
  s.skipSpaces();
  const type = s.nstringOrAtomLower() ?? '';
  s.skipSpaces();
  const p = s.peek() === 0x29 ? new Map<string, string>() : params(s, depth + 1);
  s.skipSpaces();
  s.expect(0x29, ') after the disposition');
  return { type, params: p };
}

function language(s: Scanner, depth: number): string[] | null {
  if (s.nil()) return null;
  if (s.peek() === 0x28) return s.flagList(depth);
  return [s.string()];
}

function location(s: Scanner, depth: number): string | null {
  if (s.peek() === 0x28) {
    const list = s.flagList(depth);
    return list.length > 0 ? list[0]! : null;
  }
  return s.nstring();
}

/** The extension data shared by single and multipart bodies (after md5 / params). */
function commonExtensions(s: Scanner, node: SinglePart | MultiPart, depth: number): void {
  s.skipSpaces();
  if (s.peek() === 0x29) return;
  node.disposition = disposition(s, depth);
  s.skipSpaces();
  if (s.peek() === 0x29) return;
  node.language = language(s, depth);
  s.skipSpaces();
  if (s.peek() === 0x29) return;
  node.location = location(s, depth);
  s.skipSpaces();
  if (s.peek() === 0x29) return;
  const ext: RawValue[] = [];
  while (s.peek() !== 0x29) {
    if (s.atEnd()) s.fail('unterminated body structure');
    ext.push(s.raw(depth - 1));
    s.skipSpaces();
  }
  node.extensions = ext;
}

/**
 * A BODY / BODYSTRUCTURE at pos (`(`). `single` is the section number this
 * node has if it is not multipart; `multi` the prefix of a multipart's children.
 */
export function bodyStructure(
  s: Scanner,
  depth: number,
  single: string,
  multi: string,
): BodyStructure {
  s.checkDepth(depth);
  s.expect(0x28, 'a body structure');
  s.skipSpaces();
  if (s.peek() === 0x28) {
    const childNodes: BodyStructure[] = [];
    let i = 0;
    do {
      i++;
      const part = multi === '' ? (PART_NUMBERS[i] ?? String(i)) : multi + '.' + i;
      childNodes.push(bodyStructure(s, depth + 1, part, part));
      s.skipSpaces();
    } while (s.peek() === 0x28);
    const subtype = s.peek() === 0x29 ? 'mixed' : (s.nstringOrAtomLower() ?? 'mixed');
    s.skipSpaces();
    const hasExt = s.peek() !== 0x29;
    const node: MultiPart = {
      part: multi,
      type: 'multipart',
      subtype,
      params: hasExt ? params(s, depth + 1) : new Map(),
      childNodes,
    };
    if (hasExt) commonExtensions(s, node, depth + 1);
    s.expect(0x29, ') after a multipart body');
    return node;
  }

  const type = s.nstringOrAtomLower() ?? '';
  s.skipSpaces();
  let b = s.peek();
  if (b === 0x28 || b === 0x29) {
    // A multipart with zero parts, sent as its subtype followed by extension data.
    const node: MultiPart = {
      part: multi,
      type: 'multipart',
      subtype: type,
      params: new Map(),
      childNodes: [],
    };
    if (b === 0x28) {
      node.params = params(s, depth + 1);
      commonExtensions(s, node, depth + 1);
    }
    s.expect(0x29, ') after a multipart body');
    return node;
  }
  const subtype = s.nstringOrAtomLower() ?? (type === 'text' ? 'plain' : '');
  s.skipSpaces();
  const p = params(s, depth + 1);
  s.skipSpaces();
  const id = s.nstring();
  s.skipSpaces();
  const description = s.nstringMail();
  s.skipSpaces();
  const encoding = s.nstringOrAtomLower() ?? '7bit';
  s.skipSpaces();
  // body-fld-octets is a `number` (32 bits) but a part over 4 GiB is as
  // possible as a message over 4 GiB: read up to 2^53-1 like RFC822.SIZE.
  const size = s.nil() ? 0 : s.number53();
  const node: SinglePart = {
    part: single,
    type,
    subtype,
    params: p,
    id,
    description,
    encoding,
    size,
  };
  s.skipSpaces();
  b = s.peek();
  if (type === 'message' && (subtype === 'rfc822' || subtype === 'global') && b === 0x28) {
    node.envelope = envelope(s, depth + 1);
    s.skipSpaces();
    node.body = bodyStructure(s, depth + 1, single + '.1', single);
    s.skipSpaces();
    b = s.peek();
    if (b >= 0x30 && b <= 0x39) node.lines = s.number53();
  } else if (b >= 0x30 && b <= 0x39 && (type === 'text' || type === 'message')) {
    // RFC 9051: body-fld-lines = number64 (read up to 2^53-1).
    node.lines = s.number53();
  }
  s.skipSpaces();
  if (s.peek() !== 0x29) {
    node.md5 = s.nstring();
    commonExtensions(s, node, depth + 1);
  }
  s.expect(0x29, ') after a body part');
  return node;
}

/** Addresses of the list being parsed (reused: address lists do not nest). */
const addressScratch: Address[] = [];

/** One address at pos (`(`): name, adl, mailbox, host. */
function address(s: Scanner, depth: number): Address {
  s.checkDepth(depth);
  s.expect(0x28, 'an address');
  s.skipSpaces();
  const name = s.nstringMail();
  s.skipSpaces();
  const adl = s.nstringMail();
  s.skipSpaces();
  const mailbox = s.nstringMail();
  s.skipSpaces();
  const host = s.nstringMail();
  s.skipSpaces();
  s.expect(0x29, ') after an address');
  const address = mailbox === null ? null : host === null ? mailbox : `${mailbox}@${host}`;
  return { name, adl, mailbox, host, address };
}

/**
 * An address list (NIL or `(` addresses `)`), folding RFC 5322 groups. The
 * array has exactly its items (most lists hold one address).
 */
function addressList(s: Scanner, depth: number): Array<Address | AddressGroup> | null {
  if (s.nil()) return null;
  s.checkDepth(depth);
  s.expect(0x28, 'an address list');
  const scratch = addressScratch;
  let n = 0;
  let groups = false;
  s.skipSpaces();
  while (s.peek() !== 0x29) {
    const addr = address(s, depth + 1);
    if (addr.host === null) groups = true;
    scratch[n++] = addr;
    s.skipSpaces();
  }
  s.pos++;
  if (!groups) return n === 1 ? [scratch[0]!] : scratch.slice(0, n);
  return foldGroups(scratch, n);
}

/**
 * Folds group syntax (a start `(NIL NIL "name" NIL)`, members, an end
 * `(NIL NIL NIL NIL)`) of the first `n` addresses into groups.
 */
function foldGroups(addrs: readonly Address[], n: number): Array<Address | AddressGroup> {
  const out: Array<Address | AddressGroup> = [];
  let group: AddressGroup | null = null;
  let groupStart: Address | null = null;
  for (let i = 0; i < n; i++) {
    const addr = addrs[i]!;
    if (addr.host === null) {
      if (addr.mailbox === null) {
        if (group !== null) out.push(group);
        group = null;
        groupStart = null;
      } else {
        if (group !== null) out.push(groupStart!, ...group.members);
        group = { group: addr.mailbox, members: [] };
        groupStart = addr;
      }
    } else if (group !== null) {
      group.members.push(addr);
    } else {
      out.push(addr);
    }
  }
  // A group never closed was not a group: keep what the server sent as addresses.
  if (group !== null) out.push(groupStart!, ...group.members);
  return out;
}

/**
 * True when the bytes at pos repeat [start, end) (a parenthesised list
 * without literals; end -1 when there is none); pos then moves past them.
 */
function repeats(s: Scanner, start: number, end: number): boolean {
  if (end === -1) return false;
  const p = s.pos;
  const len = end - start;
  if (p + len > s.end) return false;
  const buf = s.buf;
  for (let i = 0; i < len; i++) {
    if (buf[p + i] !== buf[start + i]) return false;
  }
  s.pos = p + len;
  return true;
}

/** An ENVELOPE at pos (`(`). */
export function envelope(s: Scanner, depth: number): Envelope {
  s.checkDepth(depth);
  s.expect(0x28, 'an envelope');
  s.skipSpaces();
  const date = s.nstringMail();
  s.skipSpaces();
  const subject = s.nstringMail();
  s.skipSpaces();
  const fromStart = s.pos;
  const litIdx = s.litIdx;
  const from = addressList(s, depth + 1);
  // Sender and Reply-To are usually From again (servers fill them in from
  // it): byte-identical lists are parsed once and share one array.
  const fromEnd = from !== null && s.litIdx === litIdx ? s.pos : -1;
  s.skipSpaces();
  const sender = repeats(s, fromStart, fromEnd) ? from : addressList(s, depth + 1);
  s.skipSpaces();
  const replyTo = repeats(s, fromStart, fromEnd) ? from : addressList(s, depth + 1);
  s.skipSpaces();
  const to = addressList(s, depth + 1);
  s.skipSpaces();
  const cc = addressList(s, depth + 1);
  s.skipSpaces();
  const bcc = addressList(s, depth + 1);
  s.skipSpaces();
  const inReplyTo = s.nstringMail();
  s.skipSpaces();
  const messageId = s.nstringMail();
  s.skipSpaces();
  s.expect(0x29, ') after the envelope');
  return { date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageId };
}

/**
 * A section spec at pos (`[`), canonical: upper-cased, single spaces, header
 * field names unquoted (`HEADER.FIELDS (SUBJECT FROM)`).
 */
export function sectionSpec(s: Scanner): string {
  const buf = s.buf;
  const start = ++s.pos;
  let p = start;
  for (;;) {
    if (p >= s.end) s.fail('unterminated section', start - 1);
    const b = buf[p]!;
    if (b === 0x5d || b === 0x28) break;
    if (b < 0x20 || b === 0x7f || b === 0x22 || b === 0x7b || b === 0x29) {
      s.fail('invalid byte in section', p);
    }
    p++;
  }
  let prefixEnd = p;
  while (prefixEnd > start && buf[prefixEnd - 1] === 0x20) prefixEnd--;
  let prefixStart = start;
  while (prefixStart < prefixEnd && buf[prefixStart] === 0x20) prefixStart++;
  const prefix = upperText(buf, prefixStart, prefixEnd);
  s.pos = p + 1;
  if (buf[p] === 0x5d) return prefix;
  const names: string[] = [];
  s.skipSpaces();
  while (s.peek() !== 0x29) {
    if (s.atEnd()) s.fail('unterminated header field list');
    names.push(s.astring().toUpperCase());
    s.skipSpaces();
  }
  s.pos++;
  s.skipSpaces();
  s.expect(0x5d, '] after the section');
  return `${prefix} (${names.join(' ')})`;
}

/** `<origin>` after a section, or null. */
function origin(s: Scanner): number | null {
  if (s.peek() !== 0x3c) return null;
  s.pos++;
  const n = s.number();
  s.expect(0x3e, '> after the origin');
  return n;
}

function addSection(attrs: FetchAttributes, key: string, section: FetchedSection): void {
  (attrs.sections ??= new Map()).set(key, section);
}

/** FETCH item names matched on bytes, returned as shared constants. */
const ITEM_TABLE: Array<Array<{ bytes: Uint8Array; name: string }> | undefined> = [];
for (const name of [
  'UID',
  'FLAGS',
  'INTERNALDATE',
  'RFC822.SIZE',
  'ENVELOPE',
  'BODY',
  'BINARY',
  'BODYSTRUCTURE',
  'BINARY.SIZE',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.TEXT',
  'MODSEQ',
  'EMAILID',
  'THREADID',
  'SAVEDATE',
  'PREVIEW',
  'X-GM-MSGID',
  'X-GM-THRID',
  'X-GM-LABELS',
]) {
  (ITEM_TABLE[name.length] ??= []).push({ bytes: Buffer.from(name, 'latin1'), name });
}

/** The upper-cased item name at [start, end), without allocating for known items. */
function itemName(s: Scanner, start: number, end: number): string {
  const cands = ITEM_TABLE[end - start];
  if (cands !== undefined) {
    const buf = s.buf;
    for (let c = 0; c < cands.length; c++) {
      const cand = cands[c]!.bytes;
      let i = 0;
      for (; i < cand.length; i++) {
        let b = buf[start + i]!;
        if (b >= 0x61 && b <= 0x7a) b -= 0x20;
        if (b !== cand[i]) break;
      }
      if (i === cand.length) return cands[c]!.name;
    }
  }
  return s.upperLeaf(start, end);
}

const PART_NUMBERS = Array.from({ length: 64 }, (_, i) => String(i));

/** The attributes of a FETCH response, pos at `(`. */
export function fetchAttributes(s: Scanner): FetchAttributes {
  s.checkDepth(1);
  s.expect(0x28, '( after FETCH');
  const attrs: FetchAttributes = {};
  s.skipSpaces();
  while (s.peek() !== 0x29) {
    if (s.atEnd()) s.fail('unterminated FETCH attribute list');
    const nameStart = s.pos;
    const nameEnd = s.atomEnd(NAME_STOP);
    if (nameEnd === nameStart) s.fail('expected a FETCH item name');
    s.pos = nameEnd;
    const name = itemName(s, nameStart, nameEnd);
    switch (name) {
      case 'UID':
        s.spaces();
        attrs.uid = s.number();
        break;
      case 'FLAGS':
        s.spaces();
        attrs.flags = s.flagList(2);
        break;
      case 'INTERNALDATE': {
        s.spaces();
        const d = s.nstring();
        if (d !== null) attrs.internalDate = d;
        break;
      }
      case 'RFC822.SIZE': {
        // RFC 9051 section 9: `"RFC822.SIZE" SP number64` (messages over 4 GiB);
        // one over 2^53-1 is kept as text in `other`, the session goes on.
        s.spaces();
        const start = s.pos;
        const n = s.size53();
        if (n >= 0) attrs.rfc822Size = n;
        else (attrs.other ??= new Map()).set(name, s.latin1(start, s.pos));
        break;
      }
      case 'ENVELOPE':
        s.spaces();
        attrs.envelope = envelope(s, 2);
        break;
      case 'BODY':
      case 'BINARY': {
        if (s.peek() !== 0x5b) {
          if (name === 'BINARY') s.fail('expected [ after BINARY');
          s.spaces();
          attrs.body = bodyStructure(s, 2, '1', '');
          break;
        }
        const section = sectionSpec(s);
        const o = origin(s);
        s.spaces();
        const data = s.nbytes(name === 'BINARY');
        // A partial range is keyed with its origin: two ranges of one section
        // in one response (`BODY[1]<0>`, `BODY[1]<3>`) are both kept.
        const key = o === null ? `${name}[${section}]` : `${name}[${section}]<${o}>`;
        addSection(attrs, key, { item: name, section, origin: o, data });
        break;
      }
      case 'BODYSTRUCTURE':
        s.spaces();
        attrs.bodyStructure = bodyStructure(s, 2, '1', '');
        break;
      case 'BINARY.SIZE': {
        if (s.peek() !== 0x5b) s.fail('expected [ after BINARY.SIZE');
        const section = sectionSpec(s);
        s.spaces();
        // RFC 9051 grammar: `number` (32 bits); read up to 2^53-1 like
        // RFC822.SIZE. A larger one (Dovecot 2.3 wraps negative sizes to 64
        // bits) is kept as text in `other` under `BINARY.SIZE[section]`.
        const start = s.pos;
        const n = s.size53();
        if (n >= 0) (attrs.binarySize ??= new Map()).set(section, n);
        else (attrs.other ??= new Map()).set(`BINARY.SIZE[${section}]`, s.latin1(start, s.pos));
        break;
      }
      case 'RFC822':
      case 'RFC822.HEADER':
      case 'RFC822.TEXT': {
        s.spaces();
        const data = s.nbytes(false);
        addSection(attrs, name, { item: name, section: '', origin: null, data });
        break;
      }
      case 'MODSEQ':
        s.spaces();
        s.checkDepth(2);
        s.expect(0x28, '( after MODSEQ');
        s.skipSpaces();
        attrs.modseq = s.number64();
        s.skipSpaces();
        s.expect(0x29, ') after the MODSEQ value');
        break;
      case 'EMAILID':
      case 'THREADID': {
        s.spaces();
        let id: string | null = null;
        if (!s.nil()) {
          s.checkDepth(2);
          s.expect(0x28, '( before the object id');
          s.skipSpaces();
          id = s.astring();
          s.skipSpaces();
          s.expect(0x29, ') after the object id');
        }
        if (name === 'THREADID') attrs.threadId = id;
        else if (id !== null) attrs.emailId = id;
        break;
      }
      case 'SAVEDATE':
        s.spaces();
        attrs.saveDate = s.nstring();
        break;
      case 'PREVIEW':
        s.spaces();
        if (s.peek() === 0x28) (attrs.other ??= new Map()).set(name, s.raw(1));
        else attrs.preview = s.nstring();
        break;
      case 'X-GM-MSGID':
        s.spaces();
        attrs.gmMsgId = s.number64();
        break;
      case 'X-GM-THRID':
        s.spaces();
        attrs.gmThrId = s.number64();
        break;
      case 'X-GM-LABELS':
        s.spaces();
        attrs.gmLabels = s.nil() ? [] : s.flagList(2);
        break;
      default: {
        let key = name;
        if (s.peek() === 0x5b) {
          const rest = s.rawAtom();
          key = name + rest.toUpperCase();
        }
        s.spaces();
        (attrs.other ??= new Map()).set(key, s.raw(1));
      }
    }
    s.skipSpaces();
  }
  s.pos++;
  return attrs;
}

/** Text of a FETCH item prefix, for the literal sink: `BODY[1.2]<0>` → `BODY[1.2]`. */
export function canonicalItem(text: Buffer): string | null {
  const s = new Scanner();
  s.reset(text, text.length, []);
  const nameEnd = s.atomEnd(NAME_STOP);
  if (nameEnd === 0) return null;
  s.pos = nameEnd;
  const name = upperText(text, 0, nameEnd);
  if (name === 'RFC822' || name === 'RFC822.HEADER' || name === 'RFC822.TEXT') {
    return nameEnd === text.length ? name : null;
  }
  if ((name !== 'BODY' && name !== 'BINARY') || s.peek() !== 0x5b) return null;
  try {
    const section = sectionSpec(s);
    origin(s);
    return s.pos === text.length ? `${name}[${section}]` : null;
  } catch {
    return null;
  }
}
