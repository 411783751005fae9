/**
 * RFC 2047 encoded-words in header values (`=?charset?Q?text?=`,
 * `=?charset?B?text?=`), with RFC 2231 language suffixes (`=?utf-8*en?Q?...?=`).
 */
import { getCharsetDecoder, type CharsetDecoder } from './charset.js';

/**
 * One encoded-word: charset (language suffix allowed), encoding, encoded
 * text. Only printable ASCII without `?` or space may appear in the text.
 */
const ENCODED_WORD_RE = /=\?([!-)+->@-~]+)(?:\*[!-)+->@-~]*)?\?([BbQq])\?([!->@-~]*)\?=/g;

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes the encoded text of a Q word to bytes; null when malformed. */
function decodeQ(text: string): Buffer | null {
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) {
      out[n++] = 0x20;
    } else if (c === 0x3d) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** Decodes the encoded text of a B word to bytes; null when malformed. */
function decodeB(text: string): Buffer | null {
  if (!B64_RE.test(text)) return null;
  const body = text.replace(/=+$/, '');
  // Missing padding is tolerated; a dangling single character is not.
  if (body.length % 4 === 1) return null;
  if (text.length !== body.length && text.length % 4 !== 0) return null;
  return Buffer.from(body, 'base64');
}

interface Pending {
  decoder: CharsetDecoder;
  chunks: Buffer[];
}

function flush(p: Pending): string {
  return p.decoder.decode(p.chunks.length === 1 ? p.chunks[0]! : Buffer.concat(p.chunks));
}

/**
 * Decodes the RFC 2047 encoded-words in a header value. Linear whitespace
 * between two adjacent encoded-words is dropped; adjacent words in the same
 * encoding are decoded together (so a character split across words survives).
 * Malformed words and words in charsets this Node does not know are left as
 * they are. Never throws; returns the input itself when it has no `=?`.
 */
export function decodeEncodedWords(s: string): string {
  if (s.indexOf('=?') === -1) return s;
  let out = '';
  let last = 0; // end of the previous match (or 0)
  let pending: Pending | null = null;
  ENCODED_WORD_RE.lastIndex = 0;
  for (let m = ENCODED_WORD_RE.exec(s); m !== null; m = ENCODED_WORD_RE.exec(s)) {
    const decoder = getCharsetDecoder(m[1]!);
    const text = m[3]!;
    const bytes =
      decoder === null ? null : m[2] === 'B' || m[2] === 'b' ? decodeB(text) : decodeQ(text);
    if (decoder === null || bytes === null) continue; // left as is, with the text around it
    const gap = s.slice(last, m.index);
    if (pending !== null && /^[ \t\r\n]*$/.test(gap)) {
      if (pending.decoder.encoding === decoder.encoding) {
        pending.chunks.push(bytes);
      } else {
        out += flush(pending);
        pending = { decoder, chunks: [bytes] };
      }
    } else {
      if (pending !== null) out += flush(pending);
      out += gap;
      pending = { decoder, chunks: [bytes] };
    }
    last = m.index + m[0].length;
  }
  if (pending !== null) out += flush(pending);
  return out + s.slice(last);
}
