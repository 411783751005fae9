import { describe, expect, it } from 'vitest';
import { decodeCharset } from '../../src/wire/charset.js';
import { decodeEncodedWords } from '../../src/wire/encoded-words.js';

describe('decodeEncodedWords (RFC 2047)', () => {
  it('returns the very same string when there is no encoded-word', () => {
    const s = 'Hello, world = ? ok';
    expect(decodeEncodedWords(s)).toBe(s);
  });

  it.each([
    // RFC 2047 section 8
    ['(=?ISO-8859-1?Q?a?=)', '(a)'],
    ['(=?ISO-8859-1?Q?a?= b)', '(a b)'],
    ['(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a_b?=)', '(a b)'],
    ['(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)', '(a b)'],
    ['=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>', 'Keith Moore <moore@cs.utk.edu>'],
    ['=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>', 'Keld Jørn Simonsen <keld@dkuug.dk>'],
    [
      '=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>',
      'André Pirard <PIRARD@vm1.ulg.ac.be>',
    ],
    [
      '=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=',
      'If you can read this you understand the example.',
    ],
    // RFC 2231 section 5: language suffix
    ['=?US-ASCII*EN?Q?Keith_Moore?=', 'Keith Moore'],
  ])('%j -> %j', (input, output) => {
    expect(decodeEncodedWords(input)).toBe(output);
  });

  it('decodes UTF-8 B and Q words, lower-case encodings too', () => {
    expect(decodeEncodedWords('=?UTF-8?B?w5xiZXJncsO2w59lbmJlc3RpbW11bmc=?=')).toBe(
      'Übergrößenbestimmung',
    );
    expect(decodeEncodedWords('=?utf-8?q?caf=C3=A9?= =?utf-8?b?8J+YgA==?=')).toBe('café😀');
  });

  it('joins a UTF-8 character split across adjacent words', () => {
    // "é" is C3 A9; split between two words.
    expect(decodeEncodedWords('=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9!?=')).toBe('café!');
  });

  it('decodes ISO-2022-JP, Shift_JIS, GB2312, KOI8-R, windows-1252', () => {
    // "日本語" in ISO-2022-JP: ESC $ B F| K\ 8l ESC ( B
    expect(decodeEncodedWords('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=')).toBe('日本語');
    expect(decodeEncodedWords('=?Shift_JIS?B?k/qWe4zq?=')).toBe('日本語');
    expect(decodeEncodedWords('=?GB2312?B?1tDOxA==?=')).toBe('中文');
    expect(decodeEncodedWords('=?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?=')).toBe('Привет');
    expect(decodeEncodedWords('=?windows-1252?Q?=80_5?=')).toBe('€ 5');
    expect(decodeEncodedWords('=?cp936?B?1tDOxA==?=')).toBe('中文');
  });

  it('reads ISO-8859-1 as windows-1252 (WHATWG), so 0x80-0x9f are the usual punctuation', () => {
    expect(decodeEncodedWords('=?iso-8859-1?Q?=93Hi=94_=96_=85?=')).toBe(
      '\u201cHi\u201d \u2013 \u2026',
    );
    expect(decodeCharset(Buffer.from([0x80, 0x81, 0x9f, 0xe9]), 'Windows-1252')).toBe(
      '\u20ac\u0081\u0178\u00e9',
    );
    expect(decodeCharset(Buffer.from([0x80]), 'iso-8859-15')).toBe('\u0080');
    expect(decodeCharset(Buffer.from([0xa4]), 'ISO-8859-15')).toBe('\u20ac');
    expect(decodeCharset(Buffer.from('x'), 'no-such-charset')).toBeNull();
  });

  it('reads MIME UTF-16 by its byte order mark, big-endian without one (RFC 2781 4.3)', () => {
    expect(decodeCharset(Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00, 0x62]), 'UTF-16')).toBe('ab');
    expect(decodeCharset(Buffer.from([0xff, 0xfe, 0x61, 0x00, 0x62, 0x00]), 'utf-16')).toBe('ab');
    expect(decodeCharset(Buffer.from([0x00, 0x61, 0x00, 0x62]), 'utf-16')).toBe('ab');
    expect(decodeCharset(Buffer.from([0x61, 0x00]), 'UTF-16LE')).toBe('a');
    expect(decodeEncodedWords('=?utf-16?B?/v8AYQBi?=')).toBe('ab');
  });

  it('merges adjacent words whose labels name the same encoding', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?caf=C3?= =?utf8?Q?=A9?=')).toBe('café');
  });

  it('keeps text around encoded words and spaces next to plain words', () => {
    expect(decodeEncodedWords('Re: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from Bob')).toBe(
      'Re: Grüße from Bob',
    );
    expect(decodeEncodedWords('x=?UTF-8?Q?y?=z')).toBe('xyz');
  });

  it.each([
    '=?UTF-8?Q?a=ZZ?=',
    '=?UTF-8?Q?a=4?=',
    '=?UTF-8?B?####?=',
    '=?UTF-8?B?QUJDR?=',
    '=?UTF-8?X?abc?=',
    '=?UTF-8?Q?no end',
    '=??Q?abc?=',
    '=?UTF-8?Q?has space?=',
    '=?x-unknown-charset?Q?abc?=',
    '=?utf-7?Q?abc?=',
  ])('leaves the malformed or unknown %j as it is', (s) => {
    expect(decodeEncodedWords(s)).toBe(s);
  });

  it('keeps the whitespace next to a word it could not decode', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?a?= =?bogus?Q?b?= =?UTF-8?Q?c?=')).toBe(
      'a =?bogus?Q?b?= c',
    );
  });

  it('does not merge words in different charsets into one decode', () => {
    expect(decodeEncodedWords('=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?=')).toBe('éé');
  });

  it('never throws on odd input', () => {
    for (const s of ['=?', '=?=?', '?=', '=?a?b?c?=', '=?utf-8?B?=?=', '=?utf-8?q??=']) {
      expect(typeof decodeEncodedWords(s)).toBe('string');
    }
    expect(decodeEncodedWords('=?utf-8?q??=')).toBe('');
  });
});
