/** Response codes (`[...]`) and resp-text: RFC 9051 7.1, RFC 3501 7.1 and extensions. */
import { ImapParseError } from '../model/errors.js';
import type { ResponseCode, SimpleResponseCodeName } from '../model/response-code.js';
import { SequenceSet } from '../model/sequence-set.js';
import { ATOM_STOP_BRACKET, Scanner, decodeText } from './scanner.js';

const SIMPLE = new Set<string>([
  'ALERT',
  'PARSE',
  'READ-ONLY',
  'READ-WRITE',
  'TRYCREATE',
  'NOMODSEQ',
  'CLOSED',
  'UIDNOTSTICKY',
  'UNAVAILABLE',
  'AUTHENTICATIONFAILED',
  'AUTHORIZATIONFAILED',
  'EXPIRED',
  'PRIVACYREQUIRED',
  'CONTACTADMIN',
  'NOPERM',
  'INUSE',
  'EXPUNGEISSUED',
  'CORRUPTION',
  'SERVERBUG',
  'CLIENTBUG',
  'CANNOT',
  'LIMIT',
  'OVERQUOTA',
  'ALREADYEXISTS',
  'NONEXISTENT',
  'HASCHILDREN',
  'NOTSAVED',
  'UNKNOWN-CTE',
  'COMPRESSIONACTIVE',
  'USEATTR',
  'TOOBIG',
  'UIDREQUIRED',
]);

/** A sequence set atom parsed with {@link SequenceSet.parse}; a malformed one is a parse error. */
export function sequenceSet(s: Scanner, table: Uint8Array): SequenceSet {
  const start = s.pos;
  const text = s.atom(table);
  try {
    return SequenceSet.parse(text);
  } catch {
    return s.fail('invalid sequence set', start);
  }
}

/** Parses a known code's data (pos after the name); undefined for an unknown name. */
function knownCode(s: Scanner, name: string): ResponseCode | undefined {
  if (SIMPLE.has(name)) return { name: name as SimpleResponseCodeName };
  switch (name) {
    case 'CAPABILITY': {
      const capabilities: string[] = [];
      while (s.peek() === 0x20) {
        s.skipSpaces();
        if (s.peek() === 0x5d) break;
        capabilities.push(s.atom(ATOM_STOP_BRACKET));
      }
      return { name, capabilities };
    }
    case 'PERMANENTFLAGS':
      s.spaces();
      return { name, flags: s.flagList(1) };
    case 'BADCHARSET': {
      s.skipSpaces();
      if (s.peek() === 0x5d) return { name, charsets: [] };
      return { name, charsets: s.flagList(1) };
    }
    case 'UIDNEXT':
    case 'UIDVALIDITY':
    case 'UNSEEN':
      s.sp();
      return { name, value: s.number() };
    case 'HIGHESTMODSEQ':
      s.sp();
      return { name, value: s.number64() };
    case 'APPENDUID': {
      s.sp();
      const uidValidity = s.number();
      s.sp();
      return { name, uidValidity, uids: sequenceSet(s, ATOM_STOP_BRACKET) };
    }
    case 'COPYUID': {
      s.sp();
      const uidValidity = s.number();
      s.sp();
      const source = sequenceSet(s, ATOM_STOP_BRACKET);
      s.sp();
      return { name, uidValidity, source, destination: sequenceSet(s, ATOM_STOP_BRACKET) };
    }
    case 'MODIFIED':
      s.sp();
      return { name, set: sequenceSet(s, ATOM_STOP_BRACKET) };
    case 'REFERRAL':
      s.sp();
      return { name, url: s.atom(ATOM_STOP_BRACKET) };
    case 'NOUPDATE':
      // RFC 5267 5: "NOUPDATE" SP quoted
      s.sp();
      return { name, tag: s.quoted() };
    case 'METADATA': {
      s.sp();
      const kind = s.keyword(ATOM_STOP_BRACKET);
      if (kind === 'LONGENTRIES' || kind === 'MAXSIZE') {
        s.sp();
        return { name, kind, value: s.number() };
      }
      if (kind === 'TOOMANY' || kind === 'NOPRIVATE') return { name, kind, value: null };
      return s.fail('unknown METADATA response code');
    }
    case 'INPROGRESS':
      return inProgress(s);
    case 'MESSAGELIMIT': {
      // RFC 9738: "MESSAGELIMIT" SP message-limit [SP uniqueid]
      s.sp();
      const limit = s.number();
      if (limit === 0) return s.fail('MESSAGELIMIT of 0');
      s.skipSpaces();
      if (s.peek() === 0x5d) return { name, limit, lowestUid: null };
      const lowestUid = s.number();
      if (lowestUid === 0) return s.fail('MESSAGELIMIT with UID 0');
      return { name, limit, lowestUid };
    }
    default:
      return undefined;
  }
}

/** A number, or null for NIL. */
function numberOrNil(s: Scanner): number | null {
  return s.nil() ? null : s.number();
}

/**
 * `INPROGRESS [SP "(" tag SP count SP total ")"]` (RFC 9585 5), each part
 * possibly NIL; a bare `INPROGRESS` says nothing but that a command runs.
 */
function inProgress(s: Scanner): ResponseCode {
  s.skipSpaces();
  if (s.peek() === 0x5d) return { name: 'INPROGRESS', tag: null, count: null, total: null };
  s.expect(0x28, '( after INPROGRESS');
  s.skipSpaces();
  let tag: string | null = null;
  if (!s.nil()) tag = s.peek() === 0x22 ? s.quoted() : s.fail('expected a quoted tag or NIL');
  s.sp();
  const count = numberOrNil(s);
  s.sp();
  const total = numberOrNil(s);
  s.skipSpaces();
  s.expect(0x29, ') after the INPROGRESS counts');
  return { name: 'INPROGRESS', tag, count, total };
}

/**
 * A response code at pos (`[`). A code we know but cannot parse is kept as
 * `OTHER` (servers are sloppy); an unterminated `[` is an error.
 */
export function responseCode(s: Scanner): ResponseCode {
  s.pos++;
  const name = s.keyword(ATOM_STOP_BRACKET);
  const afterName = s.pos;
  const litIdx = s.litIdx;
  try {
    const code = knownCode(s, name);
    if (code !== undefined) {
      s.skipSpaces();
      if (s.peek() === 0x5d) {
        s.pos++;
        return code;
      }
    }
  } catch (err) {
    if (!(err instanceof ImapParseError)) throw err;
  }
  // Unknown or malformed: keep the bracket's text verbatim.
  s.pos = afterName;
  s.litIdx = litIdx;
  const buf = s.buf;
  let close = -1;
  for (let i = afterName; i < s.end; i++) {
    const b = buf[i]!;
    if (b === 0x5d) {
      close = i;
      break;
    }
    if (b === 0x0a || b === 0x0d || b === 0) break;
  }
  if (close === -1) return s.fail('unterminated response code', afterName);
  let textStart = afterName;
  while (textStart < close && buf[textStart] === 0x20) textStart++;
  const text = textStart === close ? null : decodeText(buf, textStart, close);
  s.pos = close + 1;
  return { name: 'OTHER', atom: name, text };
}

/** resp-text after a status word: optional SP, optional `[code]`, text (may be missing). */
export function respText(s: Scanner): { code: ResponseCode | null; text: string } {
  if (s.atEnd()) return { code: null, text: '' };
  s.sp();
  let code: ResponseCode | null = null;
  if (s.peek() === 0x5b) {
    code = responseCode(s);
    if (s.peek() === 0x20) s.pos++;
  }
  return { code, text: s.rest() };
}
