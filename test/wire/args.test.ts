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
  raw,
  rawBytes,
  secret,
  seq,
  str,
} from '../../src/wire/args.js';

describe('atom()', () => {
  it('accepts atom characters', () => {
    expect(atom('FLAGS')).toEqual({ type: 'atom', value: 'FLAGS' });
    expect(atom("a!#$&'+,-./:;<=>?@[^_`|}~z")).toEqual({
      type: 'atom',
      value: "a!#$&'+,-./:;<=>?@[^_`|}~z",
    });
  });

  it.each([
    ['', /empty/],
    ['a b', /a space at index 1/],
    ['a\r', /a CR/],
    ['a\n', /an LF/],
    ['a\0', /a NUL/],
    ['a\x7f', /control character \(0x7f\)/],
    ['(a', /"\(" at index 0/],
    ['a)', /"\)"/],
    ['a{', /"\{"/],
    ['a%', /"%"/],
    ['a*', /"\*"/],
    ['a"', /a double quote at index 1/],
    ['a\\', /a backslash/],
    ['a]', /"\]"/],
    ['é', /non-ASCII/],
  ])('refuses %j naming the problem', (s, message) => {
    expect(() => atom(s)).toThrow(ImapArgumentError);
    expect(() => atom(s)).toThrow(message);
  });

  it('allows ] and list wildcards when asked', () => {
    expect(atom('a]', { allowBracket: true }).type).toBe('atom');
    expect(atom('%', { allowWildcards: true })).toEqual({ type: 'atom', value: '%' });
    expect(atom('INBOX.*', { allowWildcards: true }).type).toBe('atom');
    expect(() => atom('a]', { allowWildcards: true })).toThrow(ImapArgumentError);
    expect(() => atom('a b', { allowWildcards: true, allowBracket: true })).toThrow(
      ImapArgumentError,
    );
  });

  it('has error code ARGUMENT', () => {
    try {
      atom('a b');
      expect.unreachable();
    } catch (err) {
      expect((err as ImapArgumentError).code).toBe('ARGUMENT');
    }
  });
});

describe('flag()', () => {
  it.each(['\\Seen', '\\Answered', '\\*', '$Forwarded', 'Junk', '\\X-Custom'])(
    'accepts %j',
    (f) => {
      expect(flag(f)).toEqual({ type: 'atom', value: f });
    },
  );

  it.each(['', '\\', '\\\\Seen', 'a b', '\\Se en', '\\Seen\r\n', '(\\Seen)', '\\**', 'é'])(
    'refuses %j',
    (f) => {
      expect(() => flag(f)).toThrow(ImapArgumentError);
    },
  );
});

describe('raw()', () => {
  it('accepts pre-formatted text', () => {
    expect(raw('BODY.PEEK[HEADER]')).toEqual({ type: 'raw', value: 'BODY.PEEK[HEADER]' });
  });

  it.each(['', 'a\r', 'a\nb', 'a\0'])('refuses %j', (s) => {
    expect(() => raw(s)).toThrow(ImapArgumentError);
  });
});

describe('rawBytes()', () => {
  it('keeps the bytes (8-bit too) in a copy of the Buffer', () => {
    const b = Buffer.from('caf\u00e9', 'utf8');
    const arg = rawBytes(b);
    expect(arg).toEqual({ type: 'rawBytes', value: b });
    b[0] = 0x78;
    expect(arg).toEqual({ type: 'rawBytes', value: Buffer.from('caf\u00e9', 'utf8') });
  });

  it.each(['', 'a\r', 'a\nb', 'a\0'])('refuses %j', (s) => {
    expect(() => rawBytes(Buffer.from(s, 'latin1'))).toThrow(ImapArgumentError);
  });
});

describe('num()', () => {
  it('accepts 32-bit numbers and 63-bit bigints', () => {
    expect(num(0)).toEqual({ type: 'number', value: 0 });
    expect(num(4294967295)).toEqual({ type: 'number', value: 4294967295 });
    expect(num(9223372036854775807n)).toEqual({ type: 'number', value: 9223372036854775807n });
  });

  it.each([-1, 1.5, 4294967296, NaN, Infinity])('refuses the number %s', (n) => {
    expect(() => num(n)).toThrow(ImapArgumentError);
  });

  it('refuses 2^63 and negative bigints', () => {
    expect(() => num(2n ** 63n)).toThrow(/2\^63-1/);
    expect(() => num(-1n)).toThrow(ImapArgumentError);
  });

  it('suggests a bigint for numbers above 2^32-1', () => {
    expect(() => num(2 ** 40)).toThrow(/bigint/);
  });
});

describe('string builders', () => {
  it('str and astring keep the value', () => {
    expect(str('a b')).toEqual({ type: 'string', value: 'a b' });
    expect(astring(Buffer.from('x'))).toEqual({ type: 'astring', value: Buffer.from('x') });
  });

  it('refuse NUL and lone surrogates', () => {
    expect(() => str('a\0')).toThrow(/NUL/);
    expect(() => astring(Buffer.from([0]))).toThrow(/NUL/);
    expect(() => str('\ud83d')).toThrow(/surrogate/);
    expect(() => mailbox('a\udc00')).toThrow(/surrogate/);
    expect(() => str('😀')).not.toThrow();
  });

  it('secret wraps plain text; its value is never printed by the error', () => {
    const s = secret('hunter2');
    expect(s.type).toBe('secret');
    expect(s.type === 'secret' && s.value.reveal()).toBe('hunter2');
    expect(String(s.type === 'secret' && s.value)).toBe('[redacted]');
    const w = new Secret('x');
    expect(secret(w)).toEqual({ type: 'secret', value: w });
    expect(() => secret('top\0secret')).toThrow(/^(?!.*top).*NUL/);
  });
});

describe('literal()', () => {
  it('turns a string into its UTF-8 bytes', () => {
    expect(literal('é')).toEqual({ type: 'literal', value: Buffer.from([0xc3, 0xa9]) });
  });

  it('marks binary literals', () => {
    expect(literal(Buffer.from([0]), { binary: true })).toEqual({
      type: 'literal',
      value: Buffer.from([0]),
      binary: true,
    });
  });

  it('requires a valid size for streams', () => {
    const s = Readable.from([]);
    expect(literal(s, { size: 3 })).toEqual({ type: 'literal', value: s, size: 3, binary: false });
    expect(() => literal(s)).toThrow(/size/);
    expect(() => literal(s, { size: 1.5 })).toThrow(ImapArgumentError);
    expect(() => literal(s, { size: 2 ** 32 })).toThrow(ImapArgumentError);
  });
});

describe('other builders', () => {
  it('seq accepts sets, text, a number and numbers', () => {
    expect(seq('1:*')).toEqual({ type: 'sequence', value: SequenceSet.parse('1:*') });
    const s = seq([3, 1, 2, 7]);
    expect(s.type === 'sequence' && s.value.toString()).toBe('1:3,7');
    expect(seq(SequenceSet.saved)).toEqual({ type: 'sequence', value: SequenceSet.saved });
    expect(() => seq('1:x')).toThrow(ImapArgumentError);
    expect(() => seq([])).toThrow(ImapArgumentError);
    expect(() => seq(0)).toThrow(ImapArgumentError);
  });

  it('list copies its items; nil is NIL', () => {
    const items = [nil()];
    const l = list(items);
    items.push(nil());
    expect(l).toEqual({ type: 'list', items: [{ type: 'nil' }] });
  });

  it('date accepts a Date or a calendar day, refuses invalid ones', () => {
    const d = new Date(Date.UTC(1994, 1, 1));
    expect(date(d)).toEqual({ type: 'date', value: d });
    expect(date({ year: 1994, month: 2, day: 1 })).toEqual({ type: 'date', value: d });
    expect(() => date({ year: 1994, month: 2, day: 29 })).toThrow(ImapArgumentError);
    expect(() => date(new Date(NaN))).toThrow(ImapArgumentError);
    expect(() => datetime(new Date('x'))).toThrow(ImapArgumentError);
  });
});

describe('SequenceSet.has', () => {
  it('agrees with a plain scan for sets of many ranges, in any order, with * and reversed ranges', () => {
    const wire = '900:*,5,17:9,3,40:41,100,200:150,7,60,61,62,63,1000,20:30';
    const set = SequenceSet.parse(wire);
    const inRange = (n: number): boolean =>
      n === 5 ||
      n === 3 ||
      n === 7 ||
      n === 100 ||
      n === 1000 ||
      n >= 900 ||
      (n >= 9 && n <= 17) ||
      (n >= 40 && n <= 41) ||
      (n >= 150 && n <= 200) ||
      (n >= 60 && n <= 63) ||
      (n >= 20 && n <= 30);
    for (let n = 1; n < 1200; n++) expect(set.has(n), String(n)).toBe(inRange(n));
    expect(set.has(2 ** 32 - 1)).toBe(true);
    expect(SequenceSet.parse('1:3,5,7,9,11,13,15,17,19').has(18)).toBe(false);
  });

  it('mayContain: as has(), but $ and a bare * may be any number', () => {
    expect(SequenceSet.parse('*').has(42)).toBe(false);
    expect(SequenceSet.parse('*').mayContain(42)).toBe(true);
    expect(SequenceSet.parse('3,*').mayContain(1)).toBe(true);
    expect(SequenceSet.saved.mayContain(7)).toBe(true);
    expect(SequenceSet.parse('5:*').mayContain(4)).toBe(false);
    expect(SequenceSet.parse('5:*').mayContain(6)).toBe(true);
    expect(SequenceSet.parse('1:3').mayContain(4)).toBe(false);
  });
});

describe('SequenceSet.union', () => {
  it('puts the ranges of every set side by side without expanding them; nulls are skipped', () => {
    const a = SequenceSet.parse('1:4294967295');
    const b = SequenceSet.parse('7,9:10');
    expect(SequenceSet.union([a, null, b])?.toString()).toBe('1:4294967295,7,9:10');
    expect(SequenceSet.union([null, b])).toBe(b);
    expect(SequenceSet.union([])).toBeNull();
    expect(SequenceSet.union([null])).toBeNull();
  });
});
