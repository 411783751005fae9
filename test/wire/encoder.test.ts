import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImapArgumentError } from '../../src/model/errors.js';
import { Secret } from '../../src/model/secret.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import {
  astring,
  atom,
  date,
  datetime,
  flag,
  list,
  literal,
  mailbox,
  nil,
  num,
  passThroughEmpty,
  raw,
  rawBytes,
  secret,
  seq,
  str,
} from '../../src/wire/args.js';
import type { CommandArg, EncodedCommand, EncodeOptions } from '../../src/wire/command-arg.js';
import { encodeCommand } from '../../src/wire/encoder.js';

/** The parts as strings (data decoded as latin1 to keep bytes visible), `+` for continue. */
function parts(e: EncodedCommand): (string | { stream: number })[] {
  return e.parts.map((p) =>
    p.type === 'data'
      ? p.data.toString('latin1')
      : p.type === 'continue'
        ? '+'
        : { stream: p.size },
  );
}

function enc(args: CommandArg[], options?: EncodeOptions, command = 'X'): EncodedCommand {
  return encodeCommand('a1', command, args, options);
}

/** The single data part of a command that needs no continuation. */
function line(args: CommandArg[], options?: EncodeOptions, command = 'X'): string {
  const p = parts(enc(args, options, command));
  expect(p).toHaveLength(1);
  return p[0] as string;
}

describe('encodeCommand: command line', () => {
  it('LOGIN with an atom user and a quoted password escapes " and redacts it', () => {
    const e = encodeCommand('a1', 'LOGIN', [astring('alice'), secret(new Secret('p"w'))]);
    expect(e.tag).toBe('a1');
    expect(parts(e)).toEqual(['a1 LOGIN alice "p\\"w"\r\n']);
    expect(e.redacted).toBe('a1 LOGIN alice [redacted]');
  });

  it('a command without arguments is tag, name, CRLF', () => {
    expect(parts(encodeCommand('A001', 'NOOP', []))).toEqual(['A001 NOOP\r\n']);
  });

  it('a two-word command name is accepted', () => {
    expect(parts(encodeCommand('a2', 'UID FETCH', [seq('1:*'), raw('(FLAGS)')]))).toEqual([
      'a2 UID FETCH 1:* (FLAGS)\r\n',
    ]);
  });

  it('raw bytes go out unchanged (not as UTF-8 of their latin1 text); the log shows them as text', () => {
    const name = Buffer.from('Entw\u00fcrfe', 'utf8');
    const e = encodeCommand('a3', 'SELECT', [rawBytes(name)]);
    expect(e.parts).toEqual([
      { type: 'data', data: Buffer.concat([Buffer.from('a3 SELECT '), name, Buffer.from('\r\n')]) },
    ]);
    expect(e.redacted).toBe('a3 SELECT Entw\u00fcrfe');
    const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    expect(encodeCommand('a4', 'SEARCH', [raw('SUBJECT'), rawBytes(latin)]).parts).toEqual([
      {
        type: 'data',
        data: Buffer.concat([Buffer.from('a4 SEARCH SUBJECT '), latin, Buffer.from('\r\n')]),
      },
    ]);
    const forged = { type: 'rawBytes', value: Buffer.from('x\r\na5 LOGOUT') } as const;
    expect(() => encodeCommand('a5', 'NOOP', [forged])).toThrow(ImapArgumentError);
  });

  it('an empty argument goes out (as nothing after its space) only when the imaplib facade made it; raw() and rawBytes() still refuse one', () => {
    expect(parts(encodeCommand('a6', 'LIST', [passThroughEmpty(), raw('*')]))).toEqual([
      'a6 LIST  *\r\n',
    ]);
    expect(() => raw('')).toThrow(ImapArgumentError);
    expect(() => rawBytes(Buffer.alloc(0))).toThrow(ImapArgumentError);
    for (const forged of [
      { type: 'rawBytes', value: Buffer.alloc(0) },
      { type: 'raw', value: '' },
      { ...passThroughEmpty() },
    ] as CommandArg[]) {
      expect(() => encodeCommand('a7', 'LIST', [forged, raw('*')])).toThrow(ImapArgumentError);
    }
  });

  it.each(['', ' FETCH', 'UID  FETCH', 'FETCH ', 'FE(TCH', 'NOOP\r\nA2 LOGOUT', 'FÉTCH', 'X{1}'])(
    'refuses the command name %j',
    (name) => {
      expect(() => encodeCommand('a1', name, [])).toThrow(ImapArgumentError);
    },
  );

  it.each(['', 'a+1', 'a 1', 'a(1', 'a\r\n', 'a*', 'a%', 'é', 'a"b', 'a{'])(
    'refuses the tag %j',
    (tag) => {
      expect(() => encodeCommand(tag, 'NOOP', [])).toThrow(ImapArgumentError);
    },
  );

  it('accepts a tag with ] (ASTRING-CHAR)', () => {
    expect(parts(encodeCommand('a]1', 'NOOP', []))).toEqual(['a]1 NOOP\r\n']);
  });
});

describe('encodeCommand: strings', () => {
  it('a plain string is quoted, an astring is an atom', () => {
    expect(line([str('alice'), astring('alice')])).toBe('a1 X "alice" alice\r\n');
  });

  it('an astring keeps ] in atom form (ASTRING-CHAR) but quotes other specials', () => {
    expect(
      line([astring('a]b'), astring('a b'), astring('a(b'), astring('a*'), astring('a%')]),
    ).toBe('a1 X a]b "a b" "a(b" "a*" "a%"\r\n');
  });

  it('escapes " and \\ in quoted strings', () => {
    expect(line([astring('a"b\\c')])).toBe('a1 X "a\\"b\\\\c"\r\n');
  });

  it('NIL as an astring is quoted in any case, nil() is NIL, the empty string is ""', () => {
    expect(
      line([astring('NIL'), astring('nil'), astring('Nil'), nil(), astring(''), str('')]),
    ).toBe('a1 X "NIL" "nil" "Nil" NIL "" ""\r\n');
    expect(line([astring('NILS'), astring('NI')])).toBe('a1 X NILS NI\r\n');
  });

  it('8-bit text is a literal without UTF8=ACCEPT and quoted UTF-8 with it', () => {
    const plain = enc([str('Grüße')]);
    expect(parts(plain)).toEqual(['a1 X {7}\r\n', '+', 'Gr\xc3\xbc\xc3\x9fe\r\n']);
    expect(plain.redacted).toBe('a1 X {7}');
    expect(line([str('Grüße')], { utf8: true })).toBe('a1 X "Gr\xc3\xbc\xc3\x9fe"\r\n');
    expect(line([astring('Grüße')], { utf8: true })).toBe('a1 X "Gr\xc3\xbc\xc3\x9fe"\r\n');
  });

  it('an 8-bit Buffer is quoted under UTF8=ACCEPT only when it is valid UTF-8', () => {
    expect(line([str(Buffer.from('é'))], { utf8: true })).toBe('a1 X "\xc3\xa9"\r\n');
    expect(parts(enc([str(Buffer.from([0x41, 0xe9]))], { utf8: true }))).toEqual([
      'a1 X {2}\r\n',
      '+',
      'A\xe9\r\n',
    ]);
  });

  it('an ASCII Buffer astring can be an atom or quoted', () => {
    expect(line([astring(Buffer.from('abc')), astring(Buffer.from('a b'))])).toBe(
      'a1 X abc "a b"\r\n',
    );
  });

  it('a string of 1000 bytes is quoted, 1001 bytes is a literal', () => {
    const s1000 = 'x'.repeat(1000);
    expect(line([str(s1000)])).toBe(`a1 X "${s1000}"\r\n`);
    const s1001 = 'x'.repeat(1001);
    expect(parts(enc([str(s1001)]))).toEqual(['a1 X {1001}\r\n', '+', `${s1001}\r\n`]);
  });

  it('the 1000-byte limit counts UTF-8 bytes, not characters', () => {
    const e500 = 'é'.repeat(500);
    expect(line([str(e500)], { utf8: true })).toBe(
      `a1 X "${Buffer.from(e500).toString('latin1')}"\r\n`,
    );
    const e501 = 'é'.repeat(501);
    expect(parts(enc([str(e501)], { utf8: true, literalMode: 'plus' }))).toEqual([
      `a1 X {1002+}\r\n${Buffer.from(e501).toString('latin1')}\r\n`,
    ]);
  });

  it('other control characters such as TAB may be quoted (TEXT-CHAR)', () => {
    expect(line([str('a\tb')])).toBe('a1 X "a\tb"\r\n');
  });

  it('refuses NUL in any string form', () => {
    const nul = { type: 'string', value: 'a\0b' } as const;
    expect(() => enc([nul])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'astring', value: Buffer.from([0x61, 0]) }])).toThrow(/NUL/);
    expect(() => enc([{ type: 'secret', value: new Secret('a\0') }])).toThrow(ImapArgumentError);
  });

  it('refuses a lone surrogate rather than altering the text', () => {
    expect(() => enc([{ type: 'string', value: 'a\ud800' }])).toThrow(/surrogate/);
    expect(() => enc([{ type: 'astring', value: '\udc00' }], { utf8: true })).toThrow(/surrogate/);
  });
});

describe('encodeCommand: CR/LF injection', () => {
  const attack = 'INBOX\r\nA2 LOGOUT';

  it('a mailbox name with CRLF is base64 in modified UTF-7, never a second line', () => {
    const e = encodeCommand('a1', 'SELECT', [mailbox(attack)]);
    expect(parts(e)).toEqual(['a1 SELECT "INBOX&AA0ACg-A2 LOGOUT"\r\n']);
  });

  it('a mailbox name with CRLF under UTF8=ACCEPT is a literal', () => {
    const e = encodeCommand('a1', 'SELECT', [mailbox(attack)], { utf8: true });
    expect(parts(e)).toEqual(['a1 SELECT {16}\r\n', '+', 'INBOX\r\nA2 LOGOUT\r\n']);
    expect(e.redacted).toBe('a1 SELECT {16}');
  });

  it('a search string with CRLF is a literal', () => {
    const e = encodeCommand('a1', 'SEARCH', [atom('SUBJECT'), str(attack)]);
    expect(parts(e)).toEqual(['a1 SEARCH SUBJECT {16}\r\n', '+', 'INBOX\r\nA2 LOGOUT\r\n']);
  });

  it('an astring with a lone LF or CR is a literal', () => {
    expect(parts(enc([astring('a\nb')]))).toEqual(['a1 X {3}\r\n', '+', 'a\nb\r\n']);
    expect(parts(enc([astring('a\rb')]))).toEqual(['a1 X {3}\r\n', '+', 'a\rb\r\n']);
  });

  it('a password with CRLF is a literal, and the log shows only [redacted]', () => {
    const e = encodeCommand('a1', 'LOGIN', [astring('alice'), secret('pa\r\nss')]);
    expect(parts(e)).toEqual(['a1 LOGIN alice {6}\r\n', '+', 'pa\r\nss\r\n']);
    expect(e.redacted).toBe('a1 LOGIN alice [redacted]');
  });

  it('hand-built atom and raw arguments cannot carry CR, LF or spaces', () => {
    expect(() => enc([{ type: 'atom', value: 'A\r\nB' }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'atom', value: 'A B' }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'atom', value: '' }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'atom', value: 'ä' }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'raw', value: '(FLAGS)\r\nA2 LOGOUT' }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'raw', value: 'x\0' }])).toThrow(ImapArgumentError);
  });
});

describe('encodeCommand: literals', () => {
  const body = Buffer.from('Subject: hi\r\n\r\nbody\r\n');

  it('synchronizing: {n}, wait for +, bytes, rest of line', () => {
    const e = encodeCommand('a1', 'APPEND', [mailbox('INBOX'), literal(body)]);
    expect(parts(e)).toEqual(['a1 APPEND INBOX {21}\r\n', '+', `${body.toString()}\r\n`]);
    expect(e.redacted).toBe('a1 APPEND INBOX {21}');
  });

  it('LITERAL+: {n+} without waiting, one data part', () => {
    const e = encodeCommand('a1', 'APPEND', [mailbox('INBOX'), literal(body)], {
      literalMode: 'plus',
    });
    expect(parts(e)).toEqual([`a1 APPEND INBOX {21+}\r\n${body.toString()}\r\n`]);
    expect(e.redacted).toBe('a1 APPEND INBOX {21+}');
  });

  it('LITERAL-: {n+} up to 4096 bytes, synchronizing at 4097', () => {
    const b4096 = Buffer.alloc(4096, 0x61);
    expect(parts(enc([literal(b4096)], { literalMode: 'minus' }))).toEqual([
      `a1 X {4096+}\r\n${'a'.repeat(4096)}\r\n`,
    ]);
    const b4097 = Buffer.alloc(4097, 0x61);
    expect(parts(enc([literal(b4097)], { literalMode: 'minus' }))).toEqual([
      'a1 X {4097}\r\n',
      '+',
      `${'a'.repeat(4097)}\r\n`,
    ]);
  });

  it('literal8 is ~{n} and may contain NUL', () => {
    const bin = Buffer.from([0, 1, 2, 0xff]);
    expect(parts(enc([literal(bin, { binary: true })]))).toEqual([
      'a1 X ~{4}\r\n',
      '+',
      '\x00\x01\x02\xff\r\n',
    ]);
    expect(parts(enc([literal(bin, { binary: true })], { literalMode: 'plus' }))).toEqual([
      'a1 X ~{4+}\r\n\x00\x01\x02\xff\r\n',
    ]);
  });

  it('without BINARY (binaryLiteralsSync) literal8 is synchronizing even with LITERAL+ (RFC 4466 4.3)', () => {
    const bin = Buffer.from([0, 1, 2, 0xff]);
    const options = { literalMode: 'plus', binaryLiteralsSync: true } as const;
    expect(parts(enc([literal(bin, { binary: true })], options))).toEqual([
      'a1 X ~{4}\r\n',
      '+',
      '\x00\x01\x02\xff\r\n',
    ]);
    expect(parts(enc([literal('abcd')], options))).toEqual(['a1 X {4+}\r\nabcd\r\n']);
  });

  it('IMAP4rev2 alone (rev2): {n+} up to 4096 bytes, but literal8 always synchronizing ~{n}', () => {
    const bin = Buffer.from([0, 1, 2, 0xff]);
    expect(parts(enc([literal(bin, { binary: true })], { literalMode: 'rev2' }))).toEqual([
      'a1 X ~{4}\r\n',
      '+',
      '\x00\x01\x02\xff\r\n',
    ]);
    expect(parts(enc([literal('abcd')], { literalMode: 'rev2' }))).toEqual([
      'a1 X {4+}\r\nabcd\r\n',
    ]);
    expect(parts(enc([literal(Buffer.alloc(4097, 0x61))], { literalMode: 'rev2' }))[0]).toBe(
      'a1 X {4097}\r\n',
    );
    // Explicit LITERAL- (with BINARY) keeps ~{n+} for small binary literals (RFC 7888, RFC 4466 4.3).
    expect(parts(enc([literal(bin, { binary: true })], { literalMode: 'minus' }))).toEqual([
      'a1 X ~{4+}\r\n\x00\x01\x02\xff\r\n',
    ]);
  });

  it('a non-binary literal with NUL is refused', () => {
    expect(() => literal(Buffer.from([0x61, 0]))).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'literal', value: Buffer.from([0]) }])).toThrow(/NUL/);
  });

  it('an empty literal is {0}', () => {
    expect(parts(enc([literal(Buffer.alloc(0))], { literalMode: 'plus' }))).toEqual([
      'a1 X {0+}\r\n\r\n',
    ]);
    expect(parts(enc([literal('')]))).toEqual(['a1 X {0}\r\n', '+', '\r\n']);
  });

  it('a stream literal needs its size and becomes a stream part', () => {
    const stream = Readable.from([Buffer.from('hello')]);
    const e = encodeCommand('a1', 'APPEND', [mailbox('Sent'), literal(stream, { size: 5 })]);
    expect(parts(e)).toEqual(['a1 APPEND Sent {5}\r\n', '+', { stream: 5 }, '\r\n']);
    const s = e.parts[2];
    expect(s?.type === 'stream' && s.stream).toBe(stream);
    expect(e.redacted).toBe('a1 APPEND Sent {5}');
    expect(() => literal(Readable.from([]))).toThrow(/size/);
    expect(() => enc([{ type: 'literal', value: Readable.from([]) }])).toThrow(/size/);
    expect(() => enc([{ type: 'literal', value: Readable.from([]), size: -1 }])).toThrow(
      ImapArgumentError,
    );
  });

  it('a stream literal under LITERAL+ does not wait', () => {
    const stream = Readable.from([]);
    const e = enc([literal(stream, { size: 5, binary: true }), atom('Y')], { literalMode: 'plus' });
    expect(parts(e)).toEqual(['a1 X ~{5+}\r\n', { stream: 5 }, ' Y\r\n']);
  });

  it('two synchronizing literals give data, +, data, +, data', () => {
    const e = enc([str('a\r\n'), atom('MID'), str('b\nc')]);
    expect(parts(e)).toEqual(['a1 X {3}\r\n', '+', 'a\r\n MID {3}\r\n', '+', 'b\nc\r\n']);
    expect(e.redacted).toBe('a1 X {3} MID {3}');
  });

  it('a literal larger than 64 KiB is its own data part (not copied)', () => {
    const big = Buffer.alloc(70_000, 0x62);
    const e = enc([literal(big)], { literalMode: 'plus' });
    expect(e.parts).toHaveLength(3);
    expect(e.parts[1]).toEqual({ type: 'data', data: big });
    expect(e.parts[1]?.type === 'data' && e.parts[1].data).toBe(big);
    expect(
      Buffer.concat(e.parts.map((p) => (p.type === 'data' ? p.data : Buffer.alloc(0)))).length,
    ).toBe('a1 X {70000+}\r\n'.length + 70_000 + 2);
  });

  it('a Buffer literal whose declared size differs is refused', () => {
    expect(() => literal(Buffer.from('abc'), { size: 4 })).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'literal', value: Buffer.from('abc'), size: 2 }])).toThrow(
      ImapArgumentError,
    );
  });
});

describe('encodeCommand: mailbox names', () => {
  it.each([
    ['Entwürfe', 'Entw&APw-rfe'],
    ['Projects/日本語', 'Projects/&ZeVnLIqe-'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
  ])('%s is sent as modified UTF-7 %s', (name, wire) => {
    expect(line([mailbox(name)])).toBe(`a1 X ${wire}\r\n`);
  });

  it('& is &-, and names that are not atoms are quoted', () => {
    expect(line([mailbox('Tom & Jerry')])).toBe('a1 X "Tom &- Jerry"\r\n');
    expect(line([mailbox('a&b')])).toBe('a1 X a&-b\r\n');
    expect(line([mailbox('')])).toBe('a1 X ""\r\n');
    expect(line([mailbox('%')])).toBe('a1 X "%"\r\n');
    expect(line([mailbox('NIL')])).toBe('a1 X "NIL"\r\n');
  });

  it('INBOX in any case is sent as INBOX; other names keep their case', () => {
    expect(line([mailbox('inbox'), mailbox('InBoX'), mailbox('INBOX')])).toBe(
      'a1 X INBOX INBOX INBOX\r\n',
    );
    expect(line([mailbox('inbox/Sub'), mailbox('ınbox')], { utf8: true })).toBe(
      'a1 X inbox/Sub "\xc4\xb1nbox"\r\n',
    );
    expect(line([mailbox('Inbox')], { utf8: true })).toBe('a1 X INBOX\r\n');
  });

  it('under UTF8=ACCEPT names go as UTF-8', () => {
    expect(line([mailbox('Entwürfe')], { utf8: true })).toBe('a1 X "Entw\xc3\xbcrfe"\r\n');
    expect(line([mailbox('a&b')], { utf8: true })).toBe('a1 X a&b\r\n');
  });
});

describe('encodeCommand: other argument types', () => {
  it('numbers, including MODSEQ up to 2^63-1', () => {
    expect(line([num(0), num(4294967295), num(9223372036854775807n)])).toBe(
      'a1 X 0 4294967295 9223372036854775807\r\n',
    );
  });

  it('refuses numbers out of range, even hand-built', () => {
    expect(() => enc([{ type: 'number', value: -1 }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'number', value: 2 ** 32 }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'number', value: 1.5 }])).toThrow(ImapArgumentError);
    expect(() => enc([{ type: 'number', value: 2n ** 63n }])).toThrow(ImapArgumentError);
  });

  it('sequence sets, lists, nested lists, NIL', () => {
    expect(
      line([seq([1, 2, 3, 7]), list([flag('\\Seen'), flag('$Forwarded')]), list([]), nil()]),
    ).toBe('a1 X 1:3,7 (\\Seen $Forwarded) () NIL\r\n');
    expect(line([list([atom('A'), list([num(1), str('b c')])])])).toBe('a1 X (A (1 "b c"))\r\n');
    expect(line([seq(SequenceSet.saved), seq('1:*'), seq(5)])).toBe('a1 X $ 1:* 5\r\n');
  });

  it('a literal inside a list', () => {
    expect(parts(enc([list([atom('A'), str('x\ny')])]))).toEqual([
      'a1 X (A {3}\r\n',
      '+',
      'x\ny)\r\n',
    ]);
  });

  it('dates are unquoted UTC days, date-times quoted with +0000', () => {
    const d = new Date(Date.UTC(1994, 1, 1, 21, 22, 23));
    expect(line([atom('SINCE'), date(d)])).toBe('a1 X SINCE 1-Feb-1994\r\n');
    expect(line([date({ year: 2024, month: 12, day: 31 })])).toBe('a1 X 31-Dec-2024\r\n');
    expect(line([datetime(d)])).toBe('a1 X "01-Feb-1994 21:22:23 +0000"\r\n');
  });

  it('refuses an unknown argument type', () => {
    expect(() => enc([{ type: 'bogus' } as unknown as CommandArg])).toThrow(ImapArgumentError);
  });

  it('refuses a hand-built sequence that is not a SequenceSet', () => {
    const fake = { toString: () => '1\r\nA2 LOGOUT' } as unknown as SequenceSet;
    expect(() => enc([{ type: 'sequence', value: fake }])).toThrow(ImapArgumentError);
  });

  it('a FETCH builds in microseconds', () => {
    const args = [seq('1:100'), raw('(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])')];
    const n = 20_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) encodeCommand(`a${i}`, 'UID FETCH', args);
    const perCall = ((performance.now() - t0) * 1000) / n;
    expect(perCall).toBeLessThan(50);
  });
});
