/**
 * Modified UTF-7 for IMAP mailbox names (RFC 3501 section 5.1.3, kept by
 * RFC 9051 for servers without UTF8=ACCEPT).
 *
 * Printable US-ASCII (0x20-0x7e) stands for itself, except `&` which is
 * written `&-`. Every other run of characters is written as `&`, the run's
 * UTF-16BE code units in base64 (with `,` instead of `/`, without padding),
 * then `-`.
 */
import { ImapArgumentError, ImapParseError } from '../model/errors.js';

const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

/** Value of each modified-base64 character, -1 for others. */
const B64_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < B64_CHARS.length; i++) B64_VALUES[B64_CHARS.charCodeAt(i)] = i;

function isPrintableAscii(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

/**
 * Encodes a Unicode mailbox name as modified UTF-7. The result is printable
 * ASCII only. Throws {@link ImapArgumentError} on a lone surrogate, which no
 * server could store.
 */
export function encodeMailboxUtf7(name: string): string {
  // Fast path: printable ASCII without '&' is its own encoding.
  let i = 0;
  const len = name.length;
  for (; i < len; i++) {
    const c = name.charCodeAt(i);
    if (!isPrintableAscii(c) || c === 0x26) break;
  }
  if (i === len) return name;

  let out = name.slice(0, i);
  while (i < len) {
    const c = name.charCodeAt(i);
    if (c === 0x26) {
      out += '&-';
      i++;
      continue;
    }
    if (isPrintableAscii(c)) {
      out += name[i];
      i++;
      continue;
    }
    // A run of characters to shift: encode its UTF-16 code units.
    out += '&';
    let bits = 0;
    let nbits = 0;
    for (; i < len; i++) {
      const u = name.charCodeAt(i);
      if (isPrintableAscii(u)) break;
      if (u >= 0xd800 && u <= 0xdbff) {
        const next = i + 1 < len ? name.charCodeAt(i + 1) : 0;
        if (next < 0xdc00 || next > 0xdfff) {
          throw new ImapArgumentError(`mailbox name has a lone surrogate at index ${i}`);
        }
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        const prev = i > 0 ? name.charCodeAt(i - 1) : 0;
        if (prev < 0xd800 || prev > 0xdbff) {
          throw new ImapArgumentError(`mailbox name has a lone surrogate at index ${i}`);
        }
      }
      bits = ((bits << 16) | u) & 0x3fffff; // keep at most 22 bits pending
      nbits += 16;
      while (nbits >= 6) {
        nbits -= 6;
        out += B64_CHARS[(bits >> nbits) & 0x3f];
      }
    }
    if (nbits > 0) out += B64_CHARS[(bits << (6 - nbits)) & 0x3f];
    out += '-';
  }
  return out;
}

/**
 * Decodes a modified UTF-7 mailbox name sent by a server. Throws
 * {@link ImapParseError} (its `offset` is the index in `name`) on anything
 * RFC 3501 does not allow: a character outside printable ASCII, an
 * unterminated or invalid base64 run, non-zero padding bits, an odd number of
 * bytes, printable ASCII hidden in base64, or a lone surrogate.
 */
export function decodeMailboxUtf7(name: string): string {
  if (name.indexOf('&') === -1) {
    for (let i = 0; i < name.length; i++) {
      if (!isPrintableAscii(name.charCodeAt(i))) throw notPrintable(name, i);
    }
    return name;
  }

  let out = '';
  const len = name.length;
  let i = 0;
  while (i < len) {
    const c = name.charCodeAt(i);
    if (!isPrintableAscii(c)) throw notPrintable(name, i);
    if (c !== 0x26) {
      out += name[i];
      i++;
      continue;
    }
    const start = i;
    i++;
    if (i < len && name.charCodeAt(i) === 0x2d) {
      out += '&';
      i++;
      continue;
    }
    let bits = 0;
    let nbits = 0;
    let pendingHigh = -1;
    for (;;) {
      if (i >= len) throw fail(`unterminated base64 run in mailbox name`, name, start);
      const b = name.charCodeAt(i);
      if (b === 0x2d) break;
      const v = b < 128 ? B64_VALUES[b]! : -1;
      if (v < 0) throw fail(`invalid character in base64 run of mailbox name`, name, i);
      bits = ((bits << 6) | v) & 0xffffff;
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        const u = (bits >> nbits) & 0xffff;
        if (pendingHigh !== -1) {
          if (u < 0xdc00 || u > 0xdfff) throw fail('lone surrogate in mailbox name', name, i);
          out += String.fromCharCode(pendingHigh, u);
          pendingHigh = -1;
        } else if (u >= 0xd800 && u <= 0xdbff) {
          pendingHigh = u;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          throw fail('lone surrogate in mailbox name', name, i);
        } else if (isPrintableAscii(u) && u !== 0x26) {
          throw fail('printable ASCII encoded in base64 in mailbox name', name, i);
        } else {
          out += String.fromCharCode(u);
        }
      }
      i++;
    }
    if (nbits >= 6) {
      throw fail('base64 run of mailbox name is not a whole number of UTF-16 units', name, i);
    }
    if ((bits & ((1 << nbits) - 1)) !== 0) {
      throw fail('non-zero padding bits in base64 run of mailbox name', name, i);
    }
    if (pendingHigh !== -1) throw fail('lone surrogate in mailbox name', name, i);
    i++; // the '-'
  }
  return out;
}

/**
 * Like {@link decodeMailboxUtf7}, but returns `name` unchanged when it is not
 * valid modified UTF-7 (servers do send such names; they stay usable as is).
 */
export function decodeMailboxUtf7Lenient(name: string): string {
  try {
    return decodeMailboxUtf7(name);
  } catch (err) {
    if (err instanceof ImapParseError) return name;
    throw err;
  }
}

function fail(message: string, name: string, offset: number): ImapParseError {
  return new ImapParseError(`${message}: ${JSON.stringify(name.slice(0, 200))}`, offset);
}

function notPrintable(name: string, offset: number): ImapParseError {
  return fail('character outside printable ASCII in modified UTF-7 mailbox name', name, offset);
}
