/**
 * One framed response → a typed {@link Response} (RFC 9051 7, RFC 3501 7 and
 * the extensions listed in the model), by recursive descent over bytes.
 */
import type { RawValue } from '../model/body-structure.js';
import { ImapParseError } from '../model/errors.js';
import type {
  ContextUpdate,
  NamespaceEntry,
  Response,
  ThreadNode,
  UntaggedOf,
  UntaggedResponse,
} from '../model/response.js';
import type { SequenceSet } from '../model/sequence-set.js';
import { respText, sequenceSet } from './parse-code.js';
import { fetchAttributes } from './parse-fetch.js';
import { ATOM_STOP, Scanner, decodeText } from './scanner.js';

/** A mailbox name (astring); INBOX in any case becomes `INBOX`. */
function mailbox(s: Scanner): string {
  const name = s.astring();
  if (name.length === 5 && name.toUpperCase() === 'INBOX') return 'INBOX';
  return name;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

type ListResponse = Extract<UntaggedResponse, { name: 'LIST' | 'LSUB' }>;
type SearchResponse = Extract<UntaggedResponse, { name: 'SEARCH' | 'SORT' }>;

function list(s: Scanner, name: 'LIST' | 'LSUB'): ListResponse {
  s.spaces();
  const attributes = s.flagList(1);
  s.spaces();
  let delimiter: string | null = null;
  if (!s.nil()) delimiter = s.string();
  s.spaces();
  const box = mailbox(s);
  let childInfo: string[] | null = null;
  let oldName: string | null = null;
  const extended = new Map<string, RawValue>();
  s.skipSpaces();
  if (s.peek() === 0x28) {
    s.checkDepth(1);
    s.pos++;
    s.skipSpaces();
    while (s.peek() !== 0x29) {
      if (s.atEnd()) s.fail('unterminated LIST extended data');
      const tag = s.astring().toUpperCase();
      s.spaces();
      if (tag === 'CHILDINFO' && s.peek() === 0x28) {
        childInfo = s.flagList(2);
      } else if (tag === 'OLDNAME' && s.peek() === 0x28) {
        s.checkDepth(2);
        s.pos++;
        s.skipSpaces();
        oldName = mailbox(s);
        s.skipSpaces();
        s.expect(0x29, ') after OLDNAME');
      } else {
        extended.set(tag, s.raw(1));
      }
      s.skipSpaces();
    }
    s.pos++;
  }
  return {
    kind: 'untagged',
    name,
    attributes,
    delimiter,
    mailbox: box,
    childInfo,
    oldName,
    extended,
  };
}

const STATUS_U32 = new Set(['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'RECENT', 'DELETED']);

function status(s: Scanner): UntaggedOf<'STATUS'> {
  s.spaces();
  const box = mailbox(s);
  s.skipSpaces();
  s.openList(1, '( before the STATUS items');
  const items = new Map<string, number | bigint | string | null>();
  while (s.nextInList('STATUS item list')) {
    const item = s.keyword();
    s.spaces();
    if (STATUS_U32.has(item)) {
      items.set(item, s.number());
    } else if (item === 'HIGHESTMODSEQ') {
      items.set(item, s.number64());
    } else if (item === 'MAILBOXID') {
      s.checkDepth(2);
      s.expect(0x28, '( before the MAILBOXID');
      s.skipSpaces();
      items.set(item, s.astring());
      s.skipSpaces();
      s.expect(0x29, ') after the MAILBOXID');
    } else {
      const b = s.peek();
      if (isDigit(b)) {
        const start = s.pos;
        const end = s.atomEnd(ATOM_STOP);
        if (end - start > 15) items.set(item, s.number64());
        else items.set(item, s.number53());
      } else if (s.nil()) {
        items.set(item, null);
      } else if (b === 0x28) {
        const startList = s.pos;
        s.raw(1);
        items.set(item, decodeText(s.buf, startList, s.pos));
      } else {
        items.set(item, s.astring());
      }
    }
  }
  return { kind: 'untagged', name: 'STATUS', mailbox: box, items };
}

/** SEARCH / SORT: numbers, then maybe `(MODSEQ n)`. */
function searchNumbers(s: Scanner, name: 'SEARCH' | 'SORT'): SearchResponse {
  const numbers: number[] = [];
  let modseq: bigint | null = null;
  const buf = s.buf;
  const end = s.end;
  for (;;) {
    s.skipSpaces();
    if (s.pos >= end) break;
    const b = buf[s.pos]!;
    if (b === 0x28) {
      s.pos++;
      s.skipSpaces();
      if (s.keyword() !== 'MODSEQ') s.fail('expected MODSEQ', s.pos);
      s.spaces();
      modseq = s.number64();
      s.skipSpaces();
      s.expect(0x29, ') after the MODSEQ value');
      continue;
    }
    if (modseq !== null) s.fail('unexpected bytes after the MODSEQ list');
    numbers.push(s.number());
    const n = s.peek();
    if (n !== 0x20 && n !== -1) s.fail('expected a space after a number');
  }
  return { kind: 'untagged', name, numbers, modseq };
}

function esearch(s: Scanner): UntaggedOf<'ESEARCH'> {
  const r: UntaggedOf<'ESEARCH'> = {
    kind: 'untagged',
    name: 'ESEARCH',
    tag: null,
    uid: false,
    other: new Map(),
  };
  s.skipSpaces();
  if (s.peek() === 0x28) {
    s.openList(1, '( of the search correlator');
    while (s.nextInList('search correlator')) {
      const key = s.keyword();
      s.spaces();
      const value = s.astring();
      if (key === 'TAG') r.tag = value;
    }
  }
  for (;;) {
    s.skipSpaces();
    if (s.atEnd()) break;
    const key = s.keyword();
    if (key === 'UID') {
      r.uid = true;
      continue;
    }
    s.spaces();
    switch (key) {
      case 'MIN':
        r.min = s.number();
        break;
      case 'MAX':
        r.max = s.number();
        break;
      case 'COUNT':
        r.count = s.number();
        break;
      case 'ALL':
        r.all = sequenceSet(s, ATOM_STOP);
        break;
      case 'MODSEQ':
        r.modseq = s.number64();
        break;
      case 'PARTIAL': {
        s.checkDepth(1);
        s.expect(0x28, '( after PARTIAL');
        s.skipSpaces();
        const range = s.atom();
        s.spaces();
        let set: SequenceSet | null = null;
        if (!s.nil()) set = sequenceSet(s, ATOM_STOP);
        s.skipSpaces();
        s.expect(0x29, ') after PARTIAL');
        r.partial = { range, set };
        break;
      }
      case 'ADDTO':
      case 'REMOVEFROM':
        contextUpdates(s, key, (r.updates ??= []));
        break;
      default:
        // Generic values parse into up to ~45× their size: only the numeric
        // data above may use maxSearchLineLength.
        r.other.set(key, s.boundedRaw(0, `ESEARCH return data ${key}`));
    }
  }
  return r;
}

/**
 * `ADDTO (position set *(SP position set))` or the same for REMOVEFROM
 * (RFC 5267 5), after the name and its space: the pairs appended to `out`.
 */
function contextUpdates(s: Scanner, op: 'ADDTO' | 'REMOVEFROM', out: ContextUpdate[]): void {
  s.checkDepth(1);
  s.expect(0x28, `( after ${op}`);
  do {
    s.skipSpaces();
    const position = s.number();
    s.spaces();
    out.push({ op, position, set: sequenceSet(s, ATOM_STOP) });
    s.skipSpaces();
  } while (s.peek() !== 0x29 && !s.atEnd());
  s.expect(0x29, `) after ${op}`);
}

function threadList(s: Scanner, depth: number): ThreadNode {
  s.checkDepth(depth);
  s.expect(0x28, '( in THREAD');
  s.skipSpaces();
  if (s.peek() === 0x28) {
    const children: ThreadNode[] = [];
    while (s.peek() === 0x28) {
      children.push(threadList(s, depth + 1));
      s.skipSpaces();
    }
    s.expect(0x29, ') in THREAD');
    return { id: null, children };
  }
  const root: ThreadNode = { id: s.nzNumber(), children: [] };
  let cur = root;
  for (;;) {
    s.skipSpaces();
    const b = s.peek();
    if (isDigit(b)) {
      const node: ThreadNode = { id: s.nzNumber(), children: [] };
      cur.children.push(node);
      cur = node;
    } else if (b === 0x28) {
      while (s.peek() === 0x28) {
        cur.children.push(threadList(s, depth + 1));
        s.skipSpaces();
      }
      s.expect(0x29, ') in THREAD');
      return root;
    } else {
      s.expect(0x29, ') in THREAD');
      return root;
    }
  }
}

function namespaceList(s: Scanner): NamespaceEntry[] | null {
  if (s.nil()) return null;
  s.checkDepth(1);
  s.expect(0x28, '( in NAMESPACE');
  const out: NamespaceEntry[] = [];
  s.skipSpaces();
  while (s.peek() !== 0x29) {
    s.checkDepth(2);
    s.expect(0x28, '( before a namespace');
    s.skipSpaces();
    const prefix = s.string();
    s.skipSpaces();
    const delimiter = s.nil() ? null : s.string();
    const extensions = new Map<string, string[]>();
    s.skipSpaces();
    while (s.peek() !== 0x29) {
      if (s.atEnd()) s.fail('unterminated namespace');
      const key = s.string();
      s.skipSpaces();
      extensions.set(key, s.flagList(3));
      s.skipSpaces();
    }
    s.pos++;
    out.push({ prefix, delimiter, extensions });
    s.skipSpaces();
  }
  s.pos++;
  return out;
}

function idParams(s: Scanner): Map<string, string | null> | null {
  if (s.nil()) return null;
  s.openList(1, '( in ID');
  const params = new Map<string, string | null>();
  while (s.nextInList('ID list')) {
    const key = s.string().toLowerCase();
    s.spaces();
    params.set(key, s.nstring());
  }
  return params;
}

function metadata(s: Scanner): UntaggedOf<'METADATA'> {
  s.spaces();
  const box = mailbox(s);
  s.spaces();
  const entries = new Map<string, Buffer | null | undefined>();
  if (s.peek() === 0x28) {
    s.openList(1, '( of METADATA entries');
    while (s.nextInList('METADATA list')) {
      const entry = s.astring();
      s.spaces();
      const value = s.nbytes(true);
      entries.set(entry, value !== null && !Buffer.isBuffer(value) ? Buffer.alloc(0) : value);
    }
  } else {
    while (!s.atEnd()) {
      entries.set(s.astring(), undefined);
      s.skipSpaces();
    }
  }
  return { kind: 'untagged', name: 'METADATA', mailbox: box, entries };
}

function capabilityList(s: Scanner): string[] {
  const out: string[] = [];
  for (;;) {
    s.skipSpaces();
    if (s.atEnd()) return out;
    out.push(s.atom());
  }
}

function astringsToEnd(s: Scanner): string[] {
  const out: string[] = [];
  for (;;) {
    s.skipSpaces();
    if (s.atEnd()) return out;
    out.push(s.astring());
  }
}

/** An unknown untagged response: generic values, or the text when they do not parse. */
function other(s: Scanner, atom: string, number: number | null): UntaggedResponse {
  const start = s.pos;
  const litIdx = s.litIdx;
  let data: RawValue[];
  try {
    data = s.rawRest(0);
  } catch (err) {
    if (!(err instanceof ImapParseError)) throw err;
    s.pos = start;
    s.litIdx = litIdx;
    s.skipSpaces();
    data = [s.rest()];
  }
  return { kind: 'untagged', name: 'OTHER', atom, number, data };
}

/**
 * `* uid UIDFETCH (...)` (RFC 9586, UIDONLY): FETCH data named by UID. The
 * UID goes into the attributes too; a UID item that names another message
 * is a parse error (the response would be about two messages at once).
 */
function uidFetch(s: Scanner, uid: number): UntaggedResponse {
  const at = s.pos;
  s.spaces();
  const attributes = fetchAttributes(s);
  s.finish('UIDFETCH');
  if (attributes.uid === undefined) attributes.uid = uid;
  else if (attributes.uid !== uid) {
    s.fail(`UIDFETCH of UID ${uid} carries UID ${attributes.uid}`, at);
  }
  return { kind: 'untagged', name: 'UIDFETCH', uid, attributes };
}

function untagged(s: Scanner): UntaggedResponse {
  s.pos = s.base + 1;
  s.sp();
  if (isDigit(s.peek())) {
    const n = s.number();
    s.sp();
    const name = s.keyword();
    if (n === 0 && (name === 'FETCH' || name === 'EXPUNGE' || name === 'UIDFETCH')) {
      s.fail(
        `expected a non-zero ${name === 'UIDFETCH' ? 'UID' : 'message sequence number'} before ${name}`,
        s.base + 2,
      );
    }
    switch (name) {
      case 'FETCH': {
        s.spaces();
        const attributes = fetchAttributes(s);
        s.finish('FETCH');
        return { kind: 'untagged', name, seq: n, attributes };
      }
      case 'UIDFETCH':
        return uidFetch(s, n);
      case 'EXISTS':
      case 'RECENT':
      case 'EXPUNGE':
        s.finish(name);
        return { kind: 'untagged', name, number: n };
      default:
        return other(s, name, n);
    }
  }
  const nameStart = s.pos;
  const nameEnd = s.atomEnd(ATOM_STOP);
  if (nameEnd === nameStart) s.fail('expected a response name');
  s.pos = nameEnd;
  const name = s.upperLeaf(nameStart, nameEnd);
  let r: UntaggedResponse;
  switch (name) {
    case 'OK':
    case 'NO':
    case 'BAD':
    case 'PREAUTH':
    case 'BYE': {
      const { code, text } = respText(s);
      return { kind: 'untagged', name, code, text };
    }
    case 'CAPABILITY':
    case 'ENABLED':
      return { kind: 'untagged', name, capabilities: capabilityList(s) };
    case 'LIST':
    case 'LSUB':
      r = list(s, name);
      break;
    case 'STATUS':
      r = status(s);
      break;
    case 'FLAGS':
      s.spaces();
      r = { kind: 'untagged', name, flags: s.flagList(1) };
      break;
    case 'VANISHED': {
      s.spaces();
      let earlier = false;
      if (s.peek() === 0x28) {
        s.pos++;
        s.skipSpaces();
        if (s.keyword() !== 'EARLIER') s.fail('expected EARLIER');
        s.skipSpaces();
        s.expect(0x29, ') after EARLIER');
        s.spaces();
        earlier = true;
      }
      r = { kind: 'untagged', name, earlier, uids: sequenceSet(s, ATOM_STOP) };
      break;
    }
    case 'SEARCH':
    case 'SORT':
      r = searchNumbers(s, name);
      break;
    case 'ESEARCH':
      r = esearch(s);
      break;
    case 'THREAD': {
      const threads: ThreadNode[] = [];
      s.skipSpaces();
      while (!s.atEnd()) {
        threads.push(threadList(s, 1));
        s.skipSpaces();
      }
      r = { kind: 'untagged', name, threads };
      break;
    }
    case 'NAMESPACE': {
      s.spaces();
      const personal = namespaceList(s);
      s.spaces();
      const otherUsers = namespaceList(s);
      s.spaces();
      const shared = namespaceList(s);
      r = { kind: 'untagged', name, personal, otherUsers, shared };
      break;
    }
    case 'ID':
      s.spaces();
      r = { kind: 'untagged', name, params: idParams(s) };
      break;
    case 'QUOTA': {
      s.spaces();
      const root = s.astring();
      s.skipSpaces();
      s.openList(1, '( in QUOTA');
      const resources = new Map<string, { usage: bigint; limit: bigint }>();
      while (s.nextInList('QUOTA list')) {
        const res = s.keyword();
        s.spaces();
        const usage = s.number64();
        s.spaces();
        const limit = s.number64();
        resources.set(res, { usage, limit });
      }
      r = { kind: 'untagged', name, root, resources };
      break;
    }
    case 'QUOTAROOT': {
      s.spaces();
      const box = mailbox(s);
      r = { kind: 'untagged', name, mailbox: box, roots: astringsToEnd(s) };
      break;
    }
    case 'ACL': {
      s.spaces();
      const box = mailbox(s);
      const rights = new Map<string, string>();
      for (;;) {
        s.skipSpaces();
        if (s.atEnd()) break;
        const id = s.astring();
        s.spaces();
        rights.set(id, s.astring());
      }
      r = { kind: 'untagged', name, mailbox: box, rights };
      break;
    }
    case 'LISTRIGHTS': {
      s.spaces();
      const box = mailbox(s);
      s.spaces();
      const identifier = s.astring();
      s.spaces();
      const required = s.astring();
      r = {
        kind: 'untagged',
        name,
        mailbox: box,
        identifier,
        required,
        optional: astringsToEnd(s),
      };
      break;
    }
    case 'MYRIGHTS': {
      s.spaces();
      const box = mailbox(s);
      s.spaces();
      r = { kind: 'untagged', name, mailbox: box, rights: s.astring() };
      break;
    }
    case 'METADATA':
      r = metadata(s);
      break;
    case 'JMAPACCESS':
      // RFC 9698: the URL of the JMAP session resource, a string (an atom accepted too).
      s.spaces();
      r = { kind: 'untagged', name, url: s.astring() };
      break;
    default:
      return other(s, name, null);
  }
  s.finish(name);
  return r;
}

function continuation(s: Scanner): Response {
  s.pos = s.base + 1;
  if (s.atEnd()) return { kind: 'continuation', code: null, text: '' };
  // Lenient: `+text` without the space.
  if (s.peek() !== 0x20) return { kind: 'continuation', code: null, text: s.rest() };
  if (s.end > s.base + 2 && s.buf[s.base + 2] === 0x5b) {
    try {
      const { code, text } = respText(s);
      return { kind: 'continuation', code, text };
    } catch (err) {
      // Not a response code after all (the text of a challenge): keep it all as text.
      if (!(err instanceof ImapParseError)) throw err;
      s.litIdx = 0;
    }
  }
  s.pos = s.base + 2;
  return { kind: 'continuation', code: null, text: s.rest() };
}

function tagged(s: Scanner): Response {
  const tagEnd = s.atomEnd(ATOM_STOP);
  if (tagEnd === s.base) s.fail('expected a tag, * or +');
  const tag = s.leaf(s.base, tagEnd);
  s.pos = tagEnd;
  s.sp();
  const statusStart = s.pos;
  const status = s.keyword();
  if (status !== 'OK' && status !== 'NO' && status !== 'BAD') {
    s.fail('expected OK, NO or BAD after the tag', statusStart);
  }
  const { code, text } = respText(s);
  return { kind: 'tagged', tag, status, code, text };
}

/** Parses the response framed in `s` (already reset). */
export function parseResponse(s: Scanner): Response {
  const b = s.buf[s.base];
  if (b === 0x2a) return untagged(s);
  if (b === 0x2b) return continuation(s);
  return tagged(s);
}
