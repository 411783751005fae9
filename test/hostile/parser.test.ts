/**
 * Hostile input for the response parser: every case ends in a typed error
 * (class, code, a message naming the problem) or a correct value — never a
 * hang, a RangeError, quadratic time or prototype pollution.
 */
import { describe, expect, it, vi } from 'vitest';
import { ImapLimitError, ImapParseError } from '../../src/model/errors.js';
import type { Response } from '../../src/model/response.js';
import { ResponseParser } from '../../src/wire/parser.js';
import type { ParserOptions } from '../../src/wire/parser-options.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

function bytes(input: string | Buffer): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
}

/** Parses a whole input in one push, then end(). */
function parse(input: string | Buffer, options: ParserOptions = {}): Response[] {
  const p = new ResponseParser(options);
  const out = p.push(bytes(input));
  p.end();
  return out;
}

/** Parses pushing `size` bytes at a time. */
function parseChunked(input: string | Buffer, size: number, options: ParserOptions = {}) {
  const p = new ResponseParser(options);
  const buf = bytes(input);
  const out: Response[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(...p.push(buf.subarray(i, i + size)));
  p.end();
  return out;
}

/** Runs `fn`, requires it to throw, and returns the error. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

function expectParseError(fn: () => unknown, message: RegExp): ImapParseError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ImapParseError);
  expect((err as ImapParseError).code).toBe('PARSE');
  expect(err.message).toMatch(message);
  return err as ImapParseError;
}

function expectLimitError(fn: () => unknown, limit: string, message: RegExp): ImapLimitError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ImapLimitError);
  expect((err as ImapLimitError).code).toBe('LIMIT');
  expect((err as ImapLimitError).limit).toBe(limit);
  expect(err.message).toMatch(message);
  return err as ImapLimitError;
}

/** The response type whose `name` may be N (distributes over the union). */
type WithName<R, N> = R extends { name: infer M } ? (N extends M ? R : never) : never;

/** Requires exactly one untagged response named `name` and returns it, typed. */
function one<N extends string>(rs: Response[], name: N): WithName<Response, N> {
  expect(rs).toHaveLength(1);
  const r = rs[0]!;
  expect(r.kind).toBe('untagged');
  expect((r as { name: string }).name).toBe(name);
  return r as WithName<Response, N>;
}

describe('framing', () => {
  it('a line longer than maxLineLength fails with ImapLimitError naming the limit', () => {
    expectLimitError(
      () => parse('* OK ' + 'a'.repeat(2000) + '\r\n', { maxLineLength: 1024 }),
      'maxLineLength',
      /line longer than 1024 bytes/,
    );
  });

  it('10 MB without CRLF fails as soon as the line limit is passed, not after buffering it all', () => {
    const p = new ResponseParser({ maxLineLength: 1024 * 1024 });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let pushed = 0;
    const err = thrown(() => {
      for (let i = 0; i < 160; i++) {
        pushed += chunk.length;
        p.push(chunk);
      }
    });
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxLineLength');
    expect(pushed).toBeLessThanOrEqual(1024 * 1024 + chunk.length);
    // The parser is unusable afterwards, and says why.
    const again = thrown(() => p.push(Buffer.from('\r\n')));
    expect(again).toBeInstanceOf(ImapParseError);
    expect(again.message).toMatch(/unusable after an earlier error: line longer/);
  });

  it('a response whose literals add up past maxResponseBytes fails with ImapLimitError', () => {
    const lit = 'x'.repeat(600);
    expectLimitError(
      () =>
        parse(`* 1 FETCH (BODY[1] {600}\r\n${lit} BODY[2] {600}\r\n${lit})\r\n`, {
          maxResponseBytes: 1000,
        }),
      'maxResponseBytes',
      /over the 1000-byte limit/,
    );
  });

  it('a bare LF ends a line (lenient, like most clients)', () => {
    const rs = parse('* OK hi\n* 2 EXISTS\n');
    expect(rs).toEqual([
      { kind: 'untagged', name: 'OK', code: null, text: 'hi' },
      { kind: 'untagged', name: 'EXISTS', number: 2 },
    ]);
  });

  it('a NUL byte in response text is a parse error that names the offset', () => {
    const err = expectParseError(() => parse('* OK hel\0lo\r\n'), /NUL byte in response text/);
    expect(err.offset).toBe(8);
  });

  it('a NUL byte in an atom is a parse error', () => {
    expectParseError(() => parse('* CAPABILITY IMAP4rev1 X\0Y\r\n'), /expected an atom/);
  });

  it('a NUL byte in a quoted string is a parse error', () => {
    expectParseError(() => parse('* LIST () "/" "a\0b"\r\n'), /invalid byte in quoted string/);
  });

  it('a literal announced over maxLiteralSize fails before its bytes arrive', () => {
    const p = new ResponseParser({ maxLiteralSize: 1000 });
    const err = thrown(() => p.push(Buffer.from('* 1 FETCH (BODY[] {1001}\r\n')));
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxLiteralSize');
    expect(err.message).toMatch(/literal of 1001 bytes over the 1000-byte limit/);
  });

  it('a literal announced over 2^53-1 bytes is a parse error', () => {
    expectParseError(
      () => parse('* 1 FETCH (BODY[] {9007199254740993}\r\n'),
      /literal size over 2\^53-1/,
    );
  });

  it('a literal size with more than 20 digits is refused unread', () => {
    expectParseError(
      () => parse('* 1 FETCH (BODY[] {' + '9'.repeat(25) + '}\r\n'),
      /literal size with more than 20 digits/,
    );
  });

  it.each([
    ['negative', '{-5}'],
    ['non-numeric', '{abc}'],
    ['empty', '{}'],
    ['LITERAL+ form from a server', '{5+}'],
    ['hex', '{0x5}'],
  ])('a %s literal length is a parse error', (_name, header) => {
    expectParseError(
      () => parse(`* 1 FETCH (BODY[] ${header}\r\nhello)\r\n`),
      /invalid literal header/,
    );
  });

  it('a literal cut off by end() is a parse error saying how many bytes are missing', () => {
    const p = new ResponseParser();
    expect(p.push(Buffer.from('* 1 FETCH (BODY[] {10}\r\nabc'))).toEqual([]);
    expect(p.idle).toBe(false);
    const err = thrown(() => p.end());
    expect(err).toBeInstanceOf(ImapParseError);
    expect(err.message).toMatch(/inside a literal \(7 bytes missing\)/);
  });

  it('a line cut off by end() is a parse error', () => {
    const p = new ResponseParser();
    p.push(Buffer.from('* 3 EXI'));
    expect(() => p.end()).toThrow(/input ended mid-response before the end of the line/);
  });

  it('{n} split across chunks at every position yields one identical response', () => {
    const input = '* 1 FETCH (UID 5 BODY[] {5}\r\nhello)\r\n';
    const whole = parse(input);
    const f = one(whole, 'FETCH');
    expect(f.attributes.uid).toBe(5);
    expect(f.attributes.sections?.get('BODY[]')?.data).toEqual(Buffer.from('hello'));
    for (let cut = 1; cut < input.length; cut++) {
      const p = new ResponseParser();
      const rs = [
        ...p.push(Buffer.from(input.slice(0, cut))),
        ...p.push(Buffer.from(input.slice(cut))),
      ];
      p.end();
      expect(rs).toEqual(whole);
    }
    expect(parseChunked(input, 1)).toEqual(whole);
  });

  it('literal8 outside a BINARY item is a parse error', () => {
    expectParseError(
      () => parse('* 1 FETCH (BODY[] ~{5}\r\nhello)\r\n'),
      /literal8 \(~\{n\}\) is only allowed in BINARY items/,
    );
  });

  it('literal8 inside a BINARY item keeps its bytes, NUL included', () => {
    const f = one(parse('* 1 FETCH (BINARY[] ~{5}\r\nhe\0lo)\r\n'), 'FETCH');
    expect(f.attributes.sections?.get('BINARY[]')?.data).toEqual(Buffer.from('he\0lo', 'latin1'));
  });

  it('literal8 as a mailbox name is a parse error', () => {
    expectParseError(() => parse('* LIST () "/" ~{3}\r\nabc\r\n'), /literal8/);
  });
});

describe('grammar', () => {
  it.each([
    ['a FETCH list left open', '* 1 FETCH (FLAGS (\\Seen)\r\n', /unterminated FETCH/],
    ['an extra ) after FETCH', '* 1 FETCH (FLAGS (\\Seen)))\r\n', /unexpected bytes after FETCH/],
    ['a LIST attribute list left open', '* LIST (\\Noselect "/" foo\r\n', /unterminated list/],
    ['an ENVELOPE left open', '* 1 FETCH (ENVELOPE (NIL NIL\r\n', /expected/],
  ])('unbalanced parentheses: %s is a parse error', (_name, input, message) => {
    expectParseError(() => parse(input), message);
  });

  it('unbalanced parentheses in an unknown response keep its text', () => {
    const r = one(parse('* XFOO (a (b)\r\n'), 'OTHER');
    expect(r).toEqual({
      kind: 'untagged',
      name: 'OTHER',
      atom: 'XFOO',
      number: null,
      data: ['(a (b)'],
    });
  });

  it('BODYSTRUCTURE nested 10,000 levels is an ImapLimitError, not a stack overflow', () => {
    const n = 10_000;
    const input =
      '* 1 FETCH (BODYSTRUCTURE ' +
      '('.repeat(n) +
      '"text" "plain" NIL NIL NIL "7bit" 1' +
      ')'.repeat(n) +
      ')\r\n';
    expectLimitError(() => parse(input), 'maxDepth', /deeper than 64/);
  });

  it.each([
    ['an unknown response', (d: string) => `* XFOO ${d}\r\n`],
    ['an unknown FETCH item', (d: string) => `* 1 FETCH (X-ITEM ${d})\r\n`],
    ['THREAD', (d: string) => `* THREAD ${d.replace('()', '(1)')}\r\n`],
    [
      'body extension data',
      (d: string) =>
        `* 1 FETCH (BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 1 1 NIL NIL NIL NIL ${d}))\r\n`,
    ],
  ])('10,000 nested parentheses in %s are an ImapLimitError', (_name, make) => {
    const d = '('.repeat(10_000) + ')'.repeat(10_000);
    expectLimitError(() => parse(make(d)), 'maxDepth', /deeper than 64/);
  });

  it('deep nesting with a very high configured maxDepth still ends in an ImapError, not a RangeError', () => {
    const n = 200_000;
    for (const input of [
      '* XFOO ' + '('.repeat(n) + ')'.repeat(n) + '\r\n',
      '* 1 FETCH (BODYSTRUCTURE ' +
        '('.repeat(n) +
        '"text" "plain" NIL NIL NIL "7bit" 1' +
        ')'.repeat(n) +
        ')\r\n',
    ]) {
      const err = thrown(() => parse(input, { maxDepth: 10_000_000 }));
      expect(err).not.toBeInstanceOf(RangeError);
      expect(err).toBeInstanceOf(ImapLimitError);
    }
  });

  it('a THREAD chain of 100,000 messages parses (iteration, not recursion)', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const r = one(parse(`* THREAD (${ids.join(' ')})\r\n`), 'THREAD');
    let node = r.threads[0]!;
    let count = 1;
    while (node.children.length > 0) {
      node = node.children[0]!;
      count++;
    }
    expect(count).toBe(100_000);
    expect(node.id).toBe(100_000);
  });

  it('NIL where a string is required is a parse error (ID field name)', () => {
    expectParseError(() => parse('* ID (NIL "x")\r\n'), /expected a string/);
  });

  it('NIL where a number is required is a parse error (UID NIL)', () => {
    expectParseError(() => parse('* 1 FETCH (UID NIL)\r\n'), /expected a number/);
  });

  it('NIL where a list is required is a parse error (FLAGS NIL)', () => {
    expectParseError(() => parse('* FLAGS NIL\r\n'), /expected \(/);
  });

  it('a string where an address list is required is a parse error', () => {
    expectParseError(
      () => parse('* 1 FETCH (ENVELOPE (NIL "s" "from" NIL NIL NIL NIL NIL NIL NIL))\r\n'),
      /expected an address list/,
    );
  });

  it('a list where a string or NIL is required is a parse error', () => {
    expectParseError(
      () => parse('* 1 FETCH (ENVELOPE (NIL (a b) NIL NIL NIL NIL NIL NIL NIL NIL))\r\n'),
      /expected a string or NIL/,
    );
  });

  it('a quoted number where a number is required is a parse error', () => {
    expectParseError(() => parse('* 1 FETCH (UID "5")\r\n'), /expected a number/);
  });

  it('an unknown response code is kept with its text, not failed', () => {
    expect(parse('* OK [XFOO bar baz] text\r\n')).toEqual([
      {
        kind: 'untagged',
        name: 'OK',
        code: { name: 'OTHER', atom: 'XFOO', text: 'bar baz' },
        text: 'text',
      },
    ]);
    expect(parse('A1 NO [X-WEIRD (1 2] oops\r\n')).toEqual([
      {
        kind: 'tagged',
        tag: 'A1',
        status: 'NO',
        code: { name: 'OTHER', atom: 'X-WEIRD', text: '(1 2' },
        text: 'oops',
      },
    ]);
  });

  it('an unknown FETCH item is kept raw beside the known ones', () => {
    const f = one(parse('* 1 FETCH (X-UNKNOWN (a "b" 3) UID 7)\r\n'), 'FETCH');
    expect(f.attributes.uid).toBe(7);
    expect(f.attributes.other?.get('X-UNKNOWN')).toEqual(['a', Buffer.from('b'), '3']);
  });

  it('an unknown untagged response is kept as OTHER with generic values', () => {
    expect(parse('* XSTUFF 1 2 (a)\r\n')).toEqual([
      { kind: 'untagged', name: 'OTHER', atom: 'XSTUFF', number: null, data: ['1', '2', ['a']] },
    ]);
  });

  it.each([
    ['EXISTS', '* 4294967296 EXISTS\r\n', /number exceeds 2\^32-1/],
    ['UID', '* 1 FETCH (UID 4294967296)\r\n', /number exceeds 2\^32-1/],
    ['MODSEQ', '* 1 FETCH (MODSEQ (9223372036854775808))\r\n', /number exceeds 2\^63-1/],
    ['SEARCH', '* SEARCH 1 4294967296\r\n', /number exceeds 2\^32-1/],
  ])('a number out of range in %s is a parse error', (_name, input, message) => {
    expectParseError(() => parse(input), message);
  });

  it.each([
    ['FETCH', '* 0 FETCH (UID 1)\r\n'],
    ['EXPUNGE', '* 0 EXPUNGE\r\n'],
  ])('message sequence number 0 in %s (nz-number) is a parse error', (_name, input) => {
    expectParseError(() => parse(input), /non-zero|nz-number|sequence number/);
  });

  it('an out-of-range UIDVALIDITY code is not taken as a number', () => {
    const [r] = parse('* OK [UIDVALIDITY 4294967296] x\r\n');
    expect(r).toMatchObject({ kind: 'untagged', name: 'OK' });
    const code = (r as { code: { name: string } }).code;
    expect(code.name).not.toBe('UIDVALIDITY');
  });

  it('garbage after a tagged response: the tagged response stands, the garbage is a parse error', () => {
    const p = new ResponseParser();
    expect(p.push(Buffer.from('A1 OK done\r\n'))).toEqual([
      { kind: 'tagged', tag: 'A1', status: 'OK', code: null, text: 'done' },
    ]);
    const err = thrown(() => p.push(Buffer.from('garbage-not-imap\r\n')));
    expect(err).toBeInstanceOf(ImapParseError);
    expect(err.message).toMatch(/expected a space/);
  });

  it('garbage after data that has a fixed form is a parse error', () => {
    expectParseError(() => parse('* 5 EXISTS garbage\r\n'), /unexpected bytes after EXISTS/);
  });

  it('a tagged response with an unknown status is a parse error', () => {
    expectParseError(() => parse('A1 MAYBE done\r\n'), /expected OK, NO or BAD after the tag/);
  });

  it('invalid UTF-8 in text and names decodes with U+FFFD instead of failing', () => {
    const rs = parse(
      Buffer.concat([
        Buffer.from('* OK caf'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('\r\n* LIST () "/" "a'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"\r\n'),
      ]),
    );
    expect(rs).toHaveLength(2);
    expect((rs[0] as { text: string }).text).toBe('caf\ufffd\ufffd');
    expect((rs[1] as { mailbox: string }).mailbox).toBe('a\ufffd(');
  });

  it('megabyte-long digit runs fail fast wherever a number is expected', () => {
    const digits = '9'.repeat(1_000_000);
    const cases: Array<[string, RegExp]> = [
      [`* ${digits} EXISTS\r\n`, /number too long/],
      [`* 1 FETCH (UID ${digits})\r\n`, /number too long/],
      [`* 1 FETCH (MODSEQ (${digits}))\r\n`, /number too long/],
      [`* SEARCH ${digits}\r\n`, /number too long/],
      [`* 1 FETCH (BINARY.SIZE[] ${digits})\r\n`, /number too long/],
      [`* STATUS INBOX (X-FOO ${digits})\r\n`, /number too long/],
      [`* ESEARCH ALL ${digits}\r\n`, /invalid sequence set/],
      [`* 1 FETCH (BODY[] {${digits}}\r\n`, /more than 20 digits/],
      [`* 1 FETCH (BODY[] {${'0'.repeat(1_000_000)}5}\r\nhello)\r\n`, /more than 20 digits/],
    ];
    for (const [input, message] of cases) {
      const t0 = performance.now();
      expectParseError(() => parse(input), message);
      expect(performance.now() - t0).toBeLessThan(500);
    }
  });

  it('a megabyte-long digit run as an unknown item value is kept as text, quickly', () => {
    const digits = '9'.repeat(1_000_000);
    const t0 = performance.now();
    const f = one(parse(`* 1 FETCH (X-FOO ${digits})\r\n`), 'FETCH');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(f.attributes.other?.get('X-FOO')).toBe(digits);
  });

  it('a 1 MB literal fed one byte per push parses in linear time', { timeout: 10_000 }, () => {
    const size = 1 << 20;
    const body = Buffer.alloc(size, 0x61);
    body[0] = 0x42;
    body[size - 1] = 0x5a;
    const msg = Buffer.concat([
      Buffer.from(`* 1 FETCH (UID 9 BODY[] {${size}}\r\n`),
      body,
      Buffer.from(')\r\n'),
    ]);
    const p = new ResponseParser();
    const out: Response[] = [];
    const t0 = performance.now();
    for (let i = 0; i < msg.length; i++) out.push(...p.push(msg.subarray(i, i + 1)));
    p.end();
    expect(performance.now() - t0).toBeLessThan(3000);
    const f = one(out, 'FETCH');
    expect(f.attributes.uid).toBe(9);
    const data = f.attributes.sections?.get('BODY[]')?.data;
    expect(Buffer.isBuffer(data) && data.equals(body)).toBe(true);
  });

  it('a 512 KB line fed one byte per push parses in linear time', { timeout: 10_000 }, () => {
    const text = 'x'.repeat(512 * 1024);
    const line = Buffer.from(`* OK ${text}\r\n`);
    const p = new ResponseParser();
    const out: Response[] = [];
    const t0 = performance.now();
    for (let i = 0; i < line.length; i++) out.push(...p.push(line.subarray(i, i + 1)));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(out).toEqual([{ kind: 'untagged', name: 'OK', code: null, text }]);
  });

  it('many small literals fed one byte per push parse in linear time', () => {
    let input = '* 1 FETCH (';
    for (let i = 0; i < 5000; i++) input += `X-A${i} {3}\r\nabc `;
    input += 'UID 1)\r\n';
    const t0 = performance.now();
    const f = one(parseChunked(input, 1), 'FETCH');
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(f.attributes.other?.size).toBe(5000);
    expect(f.attributes.other?.get('X-A4999')).toEqual(Buffer.from('abc'));
  });
});

describe('no prototype pollution from server-chosen keys', () => {
  function assertClean(): void {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  }

  it('ID field names', () => {
    const r = one(
      parse(
        '* ID ("__proto__" "x" "constructor" "y" "polluted" "z" "prototype" "w" "toString" "v")\r\n',
      ),
      'ID',
    );
    expect(r.params).toBeInstanceOf(Map);
    expect(r.params?.get('__proto__')).toBe('x');
    expect(r.params?.get('constructor')).toBe('y');
    expect(r.params?.get('polluted')).toBe('z');
    expect(r.params?.get('prototype')).toBe('w');
    expect(r.params?.get('tostring')).toBe('v');
    assertClean();
  });

  it('ACL identifiers', () => {
    const r = one(parse('* ACL INBOX __proto__ lrs constructor a polluted x\r\n'), 'ACL');
    expect(r.rights.get('__proto__')).toBe('lrs');
    expect(r.rights.get('constructor')).toBe('a');
    expect(r.rights.get('polluted')).toBe('x');
    assertClean();
  });

  it('METADATA entries', () => {
    const r = one(
      parse('* METADATA INBOX (__proto__ "v" constructor "w" /shared/polluted "x")\r\n'),
      'METADATA',
    );
    expect(r.entries.get('__proto__')).toEqual(Buffer.from('v'));
    expect(r.entries.get('constructor')).toEqual(Buffer.from('w'));
    expect(r.entries.get('/shared/polluted')).toEqual(Buffer.from('x'));
    assertClean();
    const notice = one(parse('* METADATA INBOX __proto__ constructor\r\n'), 'METADATA');
    expect([...notice.entries.keys()]).toEqual(['__proto__', 'constructor']);
    assertClean();
  });

  it('capability names', () => {
    const r = one(parse('* CAPABILITY __proto__ constructor IMAP4rev1\r\n'), 'CAPABILITY');
    expect(r.capabilities).toEqual(['__proto__', 'constructor', 'IMAP4rev1']);
    const [ok] = parse('* OK [CAPABILITY __proto__ IMAP4rev1] hi\r\n');
    expect((ok as { code: unknown }).code).toEqual({
      name: 'CAPABILITY',
      capabilities: ['__proto__', 'IMAP4rev1'],
    });
    assertClean();
  });

  it('STATUS items, unknown FETCH items, LIST extended data and NAMESPACE extensions', () => {
    const st = one(parse('* STATUS INBOX (__proto__ 5 constructor 6)\r\n'), 'STATUS');
    expect(st.items.get('__PROTO__')).toBe(5);
    expect(st.items.get('CONSTRUCTOR')).toBe(6);
    const f = one(parse('* 1 FETCH (__proto__ 1 CONSTRUCTOR (x))\r\n'), 'FETCH');
    expect(f.attributes.other?.get('__PROTO__')).toBe('1');
    expect(f.attributes.other?.get('CONSTRUCTOR')).toEqual(['x']);
    const l = one(parse('* LIST () "/" INBOX (__proto__ (a))\r\n'), 'LIST');
    expect(l.extended.get('__PROTO__')).toEqual(['a']);
    const ns = one(parse('* NAMESPACE (("" "/" "__proto__" ("x"))) NIL NIL\r\n'), 'NAMESPACE');
    expect(ns.personal?.[0]?.extensions.get('__proto__')).toEqual(['x']);
    assertClean();
  });
});

describe('huge UID sets stay compact', () => {
  it('COPYUID 1:4294967295 is one range on each side', () => {
    const [r] = parse('A1 OK [COPYUID 7 1:4294967295 1:4294967295] done\r\n');
    const code = (r as { code: { name: string } }).code;
    expect(code.name).toBe('COPYUID');
    const c = code as unknown as {
      uidValidity: number;
      source: { ranges: unknown[]; toString(): string };
      destination: { ranges: unknown[]; toString(): string };
    };
    expect(c.uidValidity).toBe(7);
    expect(c.source.ranges).toEqual([[1, 4294967295]]);
    expect(c.destination.ranges).toEqual([[1, 4294967295]]);
    expect(c.source.toString()).toBe('1:4294967295');
  });

  it('APPENDUID 1:4294967295 is one range', () => {
    const [r] = parse('A1 OK [APPENDUID 7 1:4294967295] done\r\n');
    const code = (r as unknown as { code: { name: string; uids: { ranges: unknown[] } } }).code;
    expect(code.name).toBe('APPENDUID');
    expect(code.uids.ranges).toEqual([[1, 4294967295]]);
  });

  it('VANISHED (EARLIER) 1:4294967295 is one range', () => {
    const r = one(parse('* VANISHED (EARLIER) 1:4294967295\r\n'), 'VANISHED');
    expect(r.earlier).toBe(true);
    expect(r.uids.ranges).toEqual([[1, 4294967295]]);
    expect(r.uids.size).toBe(4294967295);
  });

  it('ESEARCH ALL 1:4294967295 is one range', () => {
    const r = one(parse('* ESEARCH UID ALL 1:4294967295\r\n'), 'ESEARCH');
    expect(r.all?.ranges).toEqual([[1, 4294967295]]);
  });

  it('a UID set over 2^32-1 is a parse error', () => {
    expectParseError(() => parse('* VANISHED 1:4294967296\r\n'), /invalid sequence set/);
  });
});
