/**
 * mboxrd (the `From `-quoting mbox variant): each message starts with a
 * `From sender asctime-date` line and ends with an empty line; lines of the
 * message matching `>*From ` get one more `>` on writing and lose one on
 * reading, so the round trip is exact. Files use LF line ends; messages go
 * to and come from IMAP with CRLF. On reading, flags stated by `Status:`,
 * `X-Status:` and `X-Keywords:` headers (as mutt and Thunderbird write
 * them) are picked up; the headers stay in the message.
 */
import { createReadStream } from 'node:fs';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { LineSplitter, LineTransform, withoutCr } from './lines.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A date in C's asctime() form, in UTC: `Mon Jan  1 08:01:37 2024`. */
export function asctime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${date.getUTCFullYear()}`
  );
}

/**
 * Whether `sender` may stand in a `From ` line as it is: non-empty printable
 * ASCII without spaces (RFC 4155: an addr-spec without blanks). Anything
 * else (a control character, a space, DEL, any non-ASCII character) could
 * break the line or, written as bytes, be taken for a line end.
 */
export function isSafeSender(sender: string): boolean {
  if (sender === '') return false;
  for (const byte of Buffer.from(sender, 'utf8')) if (byte <= 0x20 || byte >= 0x7f) return false;
  return true;
}

/**
 * The `From ` line starting a message (with its LF), ASCII only. The sender
 * (from the message's own From: header, so chosen by whoever wrote it) is
 * used only when {@link isSafeSender}, else `MAILER-DAEMON`.
 */
export function fromLine(sender: string | null, date: Date): string {
  const who = sender !== null && isSafeSender(sender) ? sender : 'MAILER-DAEMON';
  return `From ${who} ${asctime(date)}\n`;
}

const FROM_LINE =
  /^From (\S*)\s+(?:[A-Z][a-z]{2}\s+)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([A-Z]{3,4}|[+-]\d{4})\s+)?(\d{4})(?:\s+([+-]\d{4}))?\s*$/;

/** The sender and date of a `From ` line (date null when it does not parse; taken as UTC). */
export function parseFromLine(line: string): { sender: string; date: Date | null } {
  const m = FROM_LINE.exec(line.replace(/\r?\n$/, ''));
  if (m === null) return { sender: /^From (\S*)/.exec(line)?.[1] ?? '', date: null };
  const month = MONTHS.indexOf(m[2]!);
  const zone = m[9] ?? (m[7] !== undefined && /^[+-]/.test(m[7]) ? m[7] : '+0000');
  const sign = zone[0] === '-' ? -1 : 1;
  const offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const [day, hour, minute, second] = [Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  const t = Date.UTC(Number(m[8]), month, day, hour, minute - offset, second);
  const valid = month >= 0 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second < 61;
  return { sender: m[1]!, date: valid && Number.isFinite(t) ? new Date(t) : null };
}

const FROM = Buffer.from('From ');
const GT = Buffer.from('>');
const LF = Buffer.from('\n');
const CRLF = Buffer.from('\r\n');

/** Whether `line` starts with `>*From ` (`quoted`: at least one `>`). */
export function isQuotedFrom(line: Buffer, quoted: boolean): boolean {
  let i = 0;
  while (i < line.length && line[i] === 0x3e) i++;
  if (quoted && i === 0) return false;
  return line.length - i >= FROM.length && line.subarray(i, i + FROM.length).equals(FROM);
}

/** Whether `line` is a message separator (`From ` at the start). */
export function isFromLine(line: Buffer): boolean {
  return line.length >= FROM.length && line.subarray(0, FROM.length).equals(FROM);
}

/** A flag-state header line: `Status:`, `X-Status:` or `X-Keywords:` (any case). */
const STATUS_HEADER = /^(?:Status|X-Status|X-Keywords)[ \t]*:/i;

/**
 * A message (CRLF) → mboxrd body lines (LF, `>*From ` quoted).
 * `endsWithLf()` tells whether it ended a line. With `status`, the header
 * section's `Status:`, `X-Status:` and `X-Keywords:` lines (folded ones
 * too) are replaced by {@link statusHeaders}, written before its end (or,
 * for a message that is all header, after its last line, with a line end
 * first when that line had none).
 */
export function mboxrdEscape(status: Buffer | null = null): Transform & { endsWithLf(): boolean } {
  let last = true;
  let inHeader = status !== null;
  let dropping = false;
  const t = new LineTransform(
    (line, hasLf, continued) => {
      const out: Buffer[] = [];
      const body = hasLf ? withoutCr(line) : line;
      if (inHeader && !continued) {
        if (body.length === 0 && hasLf) {
          inHeader = false;
          out.push(status!);
        } else {
          const folded = body[0] === 0x20 || body[0] === 0x09;
          dropping = folded ? dropping : STATUS_HEADER.test(body.toString('latin1'));
          if (dropping) return out;
        }
      } else if (inHeader && dropping) {
        return out; // the rest of a long dropped line
      }
      if (!continued && isQuotedFrom(body, false)) out.push(GT);
      out.push(body);
      if (hasLf) out.push(LF);
      if (hasLf || body.length > 0) last = hasLf;
      return out;
    },
    () => {
      if (!inHeader) return [];
      // No empty line ended the header section: the status lines go at its end.
      inHeader = false;
      const out = last ? [status!] : [LF, status!];
      last = true;
      return out;
    },
  );
  return Object.assign(t, { endsWithLf: () => last });
}

/**
 * The header lines stating `flags` as mutt and Thunderbird read them (and
 * `imapkit import` does): `Status: RO` (read) or `O`, `X-Status:` with
 * A F T D for answered, flagged, draft, deleted, `X-Keywords:` with the
 * keywords. LF line ends.
 */
export function statusHeaders(flags: readonly string[]): Buffer {
  const has = (flag: string): boolean => flags.some((f) => f.toLowerCase() === flag.toLowerCase());
  let text = `Status: ${has('\\Seen') ? 'RO' : 'O'}\n`;
  let x = '';
  for (const [letter, flag] of Object.entries(X_STATUS_FLAGS)) if (has(flag)) x += letter;
  if (x !== '') text += `X-Status: ${x}\n`;
  const keywords = flags.filter((f) => !f.startsWith('\\'));
  if (keywords.length > 0) text += `X-Keywords: ${keywords.join(' ')}\n`;
  return Buffer.from(text, 'latin1');
}

/** mboxrd body lines → the message as IMAP wants it (CRLF, one `>` removed from `>+From `). */
export function mboxrdUnescape(): Transform {
  return new LineTransform((line, hasLf, continued) => {
    let body = hasLf ? withoutCr(line) : line;
    if (!continued && isQuotedFrom(body, true)) body = body.subarray(1);
    return hasLf ? [body, CRLF] : [body];
  });
}

/** The size {@link mboxrdUnescape} makes of one line. */
function unescapedSize(line: Buffer, hasLf: boolean, continued: boolean): number {
  const body = hasLf ? withoutCr(line) : line;
  const quoted = !continued && isQuotedFrom(body, true) ? 1 : 0;
  return body.length - quoted + (hasLf ? 2 : 0);
}

/** One message found in an mbox file. */
export interface MboxEntry {
  /** Byte offset of the message's first line (after the `From ` line). */
  start: number;
  /** Byte offset just past its last line (the separating empty line excluded). */
  end: number;
  /** Its size once unescaped with CRLF line ends (the APPEND literal's size). */
  size: number;
  /** The date of its `From ` line, null when absent or unparsable. */
  date: Date | null;
  /** The sender of its `From ` line. */
  sender: string;
  /** Flags from `Status:`, `X-Status:` and `X-Keywords:` headers (mutt, Thunderbird), if any. */
  flags: string[];
}

/** `Status:` letters: R = read. */
const STATUS_FLAGS: Readonly<Record<string, string>> = { R: '\\Seen' };
/** `X-Status:` letters (mutt): A answered, F flagged, T draft, D deleted. */
const X_STATUS_FLAGS: Readonly<Record<string, string>> = {
  A: '\\Answered',
  F: '\\Flagged',
  T: '\\Draft',
  D: '\\Deleted',
};

/** Adds the flags a header line of an mbox message states (Status, X-Status, X-Keywords). */
export function flagsFromHeader(line: string, flags: string[]): void {
  const m = /^(Status|X-Status|X-Keywords):[ \t]*(.*)$/i.exec(line);
  if (m === null) return;
  const name = m[1]!.toLowerCase();
  const value = m[2]!.trim();
  const add = (f: string): void => {
    if (!flags.includes(f)) flags.push(f);
  };
  if (name === 'x-keywords') {
    for (const k of value.split(/[\s,]+/)) if (/^[^\s()\\{%*"\]]+$/.test(k)) add(k);
    return;
  }
  const table = name === 'status' ? STATUS_FLAGS : X_STATUS_FLAGS;
  for (const ch of value) if (table[ch] !== undefined) add(table[ch]);
}

/**
 * Finds the messages of an mbox file in one streaming pass. A `From ` line
 * separates messages when it is the first line or follows an empty line.
 * Throws when the file does not start with a `From ` line.
 */
export async function* scanMbox(path: string): AsyncGenerator<MboxEntry> {
  let offset = 0;
  let current: MboxEntry | null = null;
  let prevBlank = false;
  let prevBlankStart = 0;
  let first = true;
  let inHeader = false;
  const done: MboxEntry[] = [];
  let fromText = '';
  const splitter = new LineSplitter((line, hasLf, continued) => {
    const lineStart = offset;
    offset += line.length + (hasLf ? 1 : 0);
    const body = withoutCr(line);
    if (!continued && isFromLine(body) && (first || prevBlank)) {
      if (current !== null) {
        if (prevBlank) {
          current.end = prevBlankStart;
          current.size -= 2; // the separating empty line is not part of the message
        } else {
          current.end = lineStart;
        }
        done.push(current);
      }
      fromText = body.toString('latin1');
      const { sender, date } = parseFromLine(fromText);
      current = { start: offset, end: offset, size: 0, date, sender, flags: [] };
      first = false;
      prevBlank = false;
      inHeader = true;
      return;
    }
    if (first) {
      throw new Error('not an mbox file: it does not start with a "From " line');
    }
    current!.size += unescapedSize(line, hasLf, continued);
    current!.end = offset;
    const blank = !continued && hasLf && body.length === 0;
    if (blank) inHeader = false;
    else if (inHeader && !continued && body.length < 1000) {
      flagsFromHeader(body.toString('latin1'), current!.flags);
    }
    prevBlank = blank;
    if (blank) prevBlankStart = lineStart;
  });
  const input = createReadStream(path);
  for await (const chunk of input as AsyncIterable<Buffer>) {
    splitter.push(chunk);
    yield* done.splice(0);
  }
  splitter.end();
  yield* done.splice(0);
  const last = current as MboxEntry | null;
  if (last !== null) {
    if (prevBlank) {
      last.end = prevBlankStart;
      last.size -= 2;
    }
    yield last;
  }
}

/** The bytes of one message of an mbox file, unescaped, with CRLF line ends. */
export function mboxMessageStream(path: string, entry: MboxEntry): Readable {
  if (entry.end <= entry.start) {
    const empty = mboxrdUnescape();
    empty.end();
    return empty;
  }
  const file = createReadStream(path, { start: entry.start, end: entry.end - 1 });
  return pipeline(file, mboxrdUnescape(), () => undefined);
}
