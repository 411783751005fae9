/**
 * Charset decoding through Node's `TextDecoder` (WHATWG Encoding labels, with
 * full ICU: utf-8, iso-8859-*, windows-125x, iso-2022-jp, shift_jis, euc-jp,
 * euc-kr, gb2312/gbk/gb18030, big5, koi8-r/u, ...), plus a few names mail
 * software uses that WHATWG does not list.
 */
import { TextDecoder } from 'node:util';

/** Decodes bytes in one charset to text; invalid sequences become U+FFFD. */
export interface CharsetDecoder {
  /** The canonical WHATWG encoding name, e.g. `windows-1252`. */
  readonly encoding: string;
  /** Decodes a complete byte sequence (no state carried between calls). */
  decode(bytes: Uint8Array): string;
}

/** Common mail charset names that are not WHATWG labels, mapped to one that is. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['cp936', 'gbk'],
  ['ms936', 'gbk'],
  ['windows-936', 'gbk'],
  ['euc-cn', 'gb2312'],
  ['cp932', 'shift_jis'],
  ['ms932', 'shift_jis'],
  ['cp949', 'euc-kr'],
  ['ms949', 'euc-kr'],
  ['uhc', 'euc-kr'],
  ['cp950', 'big5'],
  ['ms950', 'big5'],
  ['cp65001', 'utf-8'],
  ['utf8mb4', 'utf-8'],
  ['latin-1', 'iso-8859-1'],
  ['iso-8859-8-e', 'iso-8859-8'],
  ['ucs-2', 'utf-16le'],
  ['iso-10646-ucs-2', 'utf-16be'],
]);

/** windows-1252 0x80-0x9f (WHATWG index); the other bytes are their Latin-1 code points. */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * windows-1252, which WHATWG also uses for `iso-8859-1` and `us-ascii`.
 * Node 20's `TextDecoder` decodes it as plain Latin-1 (0x80 as U+0080, not
 * `€`), so it is done here.
 */
const windows1252: CharsetDecoder = {
  encoding: 'windows-1252',
  decode(bytes: Uint8Array): string {
    const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return /[\x80-\x9f]/.test(s)
      ? s.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!)
      : s;
  },
};

const utf16be = new TextDecoder('utf-16be');
const utf16le = new TextDecoder('utf-16le');

/**
 * MIME's `UTF-16` (RFC 2781 4.3): the byte order mark decides, and without
 * one the text is big-endian. (WHATWG's `utf-16` label means little-endian.)
 */
const utf16: CharsetDecoder = {
  encoding: 'utf-16',
  decode(bytes: Uint8Array): string {
    return bytes[0] === 0xff && bytes[1] === 0xfe ? utf16le.decode(bytes) : utf16be.decode(bytes);
  },
};

const cache = new Map<string, CharsetDecoder | null>();

function create(label: string): CharsetDecoder | null {
  if (label === 'utf-16') return utf16;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(ALIASES.get(label) ?? label);
  } catch {
    return null;
  }
  if (decoder.encoding === 'windows-1252') return windows1252;
  return decoder;
}

/**
 * A (non-fatal) decoder for a MIME charset name, case-insensitive; null when
 * the charset is unknown to this Node build. Decoders are cached.
 */
export function getCharsetDecoder(charset: string): CharsetDecoder | null {
  const key = charset.trim().toLowerCase();
  let decoder = cache.get(key);
  if (decoder !== undefined) return decoder;
  decoder = create(key);
  if (cache.size < 256) cache.set(key, decoder);
  return decoder;
}

/**
 * Decodes bytes in the named charset (invalid sequences become U+FFFD);
 * null when the charset is unknown.
 */
export function decodeCharset(bytes: Uint8Array, charset: string): string | null {
  const decoder = getCharsetDecoder(charset);
  return decoder === null ? null : decoder.decode(bytes);
}
