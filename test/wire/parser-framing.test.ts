import { describe, expect, it, vi } from 'vitest';
import { ImapConnectionError, ImapLimitError, ImapParseError } from '../../src/model/errors.js';
import type { Response } from '../../src/model/response.js';
import { ResponseParser } from '../../src/wire/parser.js';
import type { LiteralSink, LiteralStartInfo } from '../../src/wire/parser-options.js';
import { bytes, parse, parseAll, parseSplit } from './fixtures/parser-helpers.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

const fetchWithLiteral = bytes(
  '* 3 FETCH (UID 9 BODY[1] {12}\r\nhello\r\nworld FLAGS (\\Seen))\r\n',
);

describe('framing', () => {
  it('FETCH with a literal split across chunks yields one response, at every split point', () => {
    const whole = parseAll(fetchWithLiteral);
    expect(whole).toHaveLength(1);
    for (let i = 1; i < fetchWithLiteral.length; i++) {
      expect(parseSplit(fetchWithLiteral, [i])).toEqual(whole);
    }
  });

  it('one byte at a time, including inside {n}, its CRLF and ~{n}', () => {
    const input = bytes(
      '* 1 FETCH (BINARY[] ~{3}\r\na\x00b BODY[] {12}\r\n{2}\r\nxx{3}\r\n)\r\na1 OK done\r\n',
    );
    const cuts = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
    const r = parseSplit(input, cuts);
    expect(r).toEqual(parseAll(input));
    expect(r[0]).toMatchObject({
      attributes: {
        sections: new Map([
          ['BINARY[]', { item: 'BINARY', section: '', origin: null, data: bytes('a\x00b') }],
          ['BODY[]', { item: 'BODY', section: '', origin: null, data: bytes('{2}\r\nxx{3}\r\n') }],
        ]),
      },
    });
  });

  it('push returns the responses each chunk completes, in order', () => {
    const p = new ResponseParser();
    expect(p.push(bytes('* 1 EXISTS\r\n* 2 EXI'))).toEqual([
      { kind: 'untagged', name: 'EXISTS', number: 1 },
    ]);
    expect(p.push(bytes('STS\r\n* 3 EXISTS\r\na1 OK'))).toEqual([
      { kind: 'untagged', name: 'EXISTS', number: 2 },
      { kind: 'untagged', name: 'EXISTS', number: 3 },
    ]);
    expect(p.push(bytes('\r\n'))).toEqual([
      { kind: 'tagged', tag: 'a1', status: 'OK', code: null, text: '' },
    ]);
    p.end();
  });

  it('a response with a literal completes only with its last line', () => {
    const p = new ResponseParser();
    expect(p.push(bytes('* 1 FETCH (BODY[] {3}\r\nabc'))).toEqual([]);
    expect(p.push(bytes(')'))).toEqual([]);
    expect(p.push(bytes('\r\n'))).toHaveLength(1);
  });

  it('accepts a bare LF as a line end (lenient, documented)', () => {
    expect(parseAll('* 1 EXISTS\na1 OK done\n* 2 FETCH (BODY[] {2}\nab)\n')).toEqual([
      { kind: 'untagged', name: 'EXISTS', number: 1 },
      { kind: 'tagged', tag: 'a1', status: 'OK', code: null, text: 'done' },
      {
        kind: 'untagged',
        name: 'FETCH',
        seq: 2,
        attributes: {
          sections: new Map([
            ['BODY[]', { item: 'BODY', section: '', origin: null, data: bytes('ab') }],
          ]),
        },
      },
    ]);
  });

  it('skips blank lines between responses', () => {
    expect(parseAll('\r\n* 1 EXISTS\r\n\r\n\n')).toEqual([
      { kind: 'untagged', name: 'EXISTS', number: 1 },
    ]);
  });

  it('accepts Uint8Array input', () => {
    const p = new ResponseParser();
    expect(p.push(new Uint8Array(bytes('* 4 EXISTS\r\n')))).toEqual([
      { kind: 'untagged', name: 'EXISTS', number: 4 },
    ]);
  });

  it('literal values are views of the received bytes, not copies', () => {
    const input = bytes('* 1 FETCH (BODY[] {5}\r\nhello)\r\n');
    const r = parse(input);
    const data =
      r.kind === 'untagged' && r.name === 'FETCH'
        ? r.attributes.sections?.get('BODY[]')?.data
        : null;
    expect(Buffer.isBuffer(data) && data.buffer === input.buffer).toBe(true);
  });
});

describe('end()', () => {
  it('is silent between responses', () => {
    const p = new ResponseParser();
    p.push(bytes('* 1 EXISTS\r\n'));
    expect(() => p.end()).not.toThrow();
  });

  it('input that stops mid-line throws a typed ImapParseError', () => {
    const p = new ResponseParser();
    p.push(bytes('* 1 EXIS'));
    const err = thrown(() => p.end());
    expect(err).toBeInstanceOf(ImapParseError);
    expect(err.message).toMatch(/input ended mid-response before the end of the line.*\* 1 EXIS/);
  });

  it('input that stops inside a literal says how much is missing', () => {
    const p = new ResponseParser();
    p.push(bytes('* 1 FETCH (BODY[] {10}\r\nabc'));
    expect(() => p.end()).toThrow(/inside a literal \(7 bytes missing\)/);
  });

  it('push after end throws', () => {
    const p = new ResponseParser();
    p.end();
    expect(() => p.push(bytes('* 1 EXISTS\r\n'))).toThrow(ImapConnectionError);
  });
});

describe('streaming large literals', () => {
  interface Recorded {
    infos: LiteralStartInfo[];
    writes: Buffer[];
    ended: number;
  }
  function recorder(): Recorded & { factory: (info: LiteralStartInfo) => LiteralSink | null } {
    const rec: Recorded = { infos: [], writes: [], ended: 0 };
    return {
      ...rec,
      factory: (info) => {
        rec.infos.push(info);
        return { write: (c) => rec.writes.push(c), end: () => rec.ended++ };
      },
      get infos() {
        return rec.infos;
      },
      get writes() {
        return rec.writes;
      },
      get ended() {
        return rec.ended;
      },
    };
  }

  it('writes the literal to the sink as chunks arrive, without copies', () => {
    const rec = recorder();
    const p = new ResponseParser({ streamThreshold: 4, literalSink: rec.factory });
    const c1 = bytes('* 7 FETCH (UID 1 BODY[1.2]<0> {10}\r\nabc');
    expect(p.push(c1)).toEqual([]);
    expect(rec.infos).toEqual([
      {
        size: 10,
        seq: 7,
        name: 'FETCH',
        item: 'BODY[1.2]',
        prefix: bytes('* 7 FETCH (UID 1 BODY[1.2]<0> {10}'),
      },
    ]);
    expect(rec.writes).toEqual([bytes('abc')]);
    expect(rec.writes[0]!.buffer).toBe(c1.buffer);
    const c2 = bytes('defghij FLAGS ())\r\n');
    const out = p.push(c2);
    expect(rec.writes.map((w) => w.toString())).toEqual(['abc', 'defghij']);
    expect(rec.ended).toBe(1);
    expect(out).toEqual([
      {
        kind: 'untagged',
        name: 'FETCH',
        seq: 7,
        attributes: {
          uid: 1,
          sections: new Map([
            [
              'BODY[1.2]<0>',
              { item: 'BODY', section: '1.2', origin: 0, data: { streamed: true, size: 10 } },
            ],
          ]),
          flags: [],
        },
      },
    ]);
  });

  it('byte-at-a-time input streams the same bytes with the same start info', () => {
    const rec = recorder();
    const input = bytes('* 9 FETCH (UID 3 BODY[TEXT] {6}\r\nabcdef BINARY[2] ~{5}\r\n12345)\r\n');
    const p = new ResponseParser({ streamThreshold: 4, literalSink: rec.factory });
    const out: Response[] = [];
    for (let i = 0; i < input.length; i++) out.push(...p.push(input.subarray(i, i + 1)));
    p.end();
    expect(rec.infos.map((i) => [i.item, i.prefix.toString()])).toEqual([
      ['BODY[TEXT]', '* 9 FETCH (UID 3 BODY[TEXT] {6}'],
      // The framed bytes so far: the streamed literal's bytes are not in it.
      ['BINARY[2]', '* 9 FETCH (UID 3 BODY[TEXT] {6}\r\n BINARY[2] ~{5}'],
    ]);
    expect(Buffer.concat(rec.writes).toString()).toBe('abcdef12345');
    expect(rec.ended).toBe(2);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      attributes: {
        uid: 3,
        sections: new Map([
          [
            'BODY[TEXT]',
            { item: 'BODY', section: 'TEXT', origin: null, data: { streamed: true, size: 6 } },
          ],
          [
            'BINARY[2]',
            { item: 'BINARY', section: '2', origin: null, data: { streamed: true, size: 5 } },
          ],
        ]),
      },
    });
  });

  it('the sink info names BINARY, HEADER.FIELDS and RFC822 items canonically', () => {
    const rec = recorder();
    parseAll(
      '* 2 FETCH (BINARY[3] ~{5}\r\nabcde BODY[header.fields (From)] {5}\r\nabcde RFC822 {5}\r\nabcde)\r\n',
      {
        streamThreshold: 1,
        literalSink: rec.factory,
      },
    );
    expect(rec.infos.map((i) => [i.seq, i.name, i.item])).toEqual([
      [2, 'FETCH', 'BINARY[3]'],
      [2, 'FETCH', 'BODY[HEADER.FIELDS (FROM)]'],
      [2, 'FETCH', 'RFC822'],
    ]);
  });

  it('a literal outside FETCH has no item; a sink that returns null buffers it', () => {
    const infos: LiteralStartInfo[] = [];
    const r = parse('* METADATA "" (/shared/x {5}\r\nabcde)\r\n', {
      streamThreshold: 1,
      literalSink: (info) => {
        infos.push(info);
        return null;
      },
    });
    expect(infos.map((i) => [i.seq, i.name, i.item, i.size])).toEqual([
      [null, 'METADATA', null, 5],
    ]);
    expect(r).toMatchObject({ entries: new Map([['/shared/x', bytes('abcde')]]) });
  });

  it('a streamed literal where a string is expected reads as an empty string', () => {
    const rec = recorder();
    const r = parse(
      '* 1 FETCH (ENVELOPE (NIL {8}\r\nsubject! NIL NIL NIL NIL NIL NIL NIL NIL))\r\n',
      {
        streamThreshold: 4,
        literalSink: rec.factory,
      },
    );
    expect(r).toMatchObject({ attributes: { envelope: { subject: '' } } });
    expect(rec.infos.map((i) => i.item)).toEqual([null]);
    expect(rec.writes.map((w) => w.toString())).toEqual(['subject!']);
  });

  it('a streamed literal may exceed maxLiteralSize; a buffered one may not', () => {
    const rec = recorder();
    const input = `* 1 FETCH (BODY[] {100}\r\n${'x'.repeat(100)})\r\n`;
    expect(
      parse(input, { maxLiteralSize: 50, streamThreshold: 10, literalSink: rec.factory }),
    ).toMatchObject({
      attributes: {
        sections: new Map([
          [
            'BODY[]',
            { item: 'BODY', section: '', origin: null, data: { streamed: true, size: 100 } },
          ],
        ]),
      },
    });
    expect(() => parse(input, { maxLiteralSize: 50 })).toThrow(ImapLimitError);
  });
});

describe('keepRaw', () => {
  it('keeps text and literal pieces, text without line ends', () => {
    const r = parse('* 1 FETCH (BODY[] {3}\r\nabc BODY[1] {0}\r\n)\r\n', { keepRaw: true });
    expect(r.raw?.pieces.map((p) => p.toString('latin1'))).toEqual([
      '* 1 FETCH (BODY[] {3}',
      'abc',
      ' BODY[1] {0}',
      '',
      ')',
    ]);
    expect(parse('a1 OK done\r\n', { keepRaw: true }).raw).toEqual({
      pieces: [bytes('a1 OK done')],
    });
    expect(parse('a1 OK done\r\n').raw).toBeUndefined();
  });

  it('streamed literals are empty pieces', () => {
    const r = parse('* 1 FETCH (BODY[] {3}\r\nabc)\r\n', {
      keepRaw: true,
      streamThreshold: 1,
      literalSink: () => ({ write: () => {}, end: () => {} }),
    });
    expect(r.raw?.pieces.map((p) => p.toString())).toEqual(['* 1 FETCH (BODY[] {3}', '', ')']);
  });
});

describe('limits', () => {
  it('maxLineLength: a line with no CRLF fails as soon as it exceeds the limit', () => {
    const p = new ResponseParser({ maxLineLength: 1000 });
    p.push(bytes('* OK ' + 'x'.repeat(990)));
    const err = thrown(() => p.push(bytes('x'.repeat(10))));
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).code).toBe('LIMIT');
    expect((err as ImapLimitError).limit).toBe('maxLineLength');
    expect(err.message).toMatch(/line longer than 1000 bytes at offset 0 \(starts "\* OK xxx/);
  });

  it('the default line limit is 8 MiB', () => {
    const p = new ResponseParser();
    const chunk = Buffer.alloc(1024 * 1024, 0x78);
    let err: Error | null = null;
    let pushed = 0;
    while (!err && pushed < 80 * 1024 * 1024) {
      try {
        p.push(chunk);
        pushed += chunk.length;
      } catch (e) {
        err = e as Error;
      }
    }
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxLineLength');
    expect(pushed).toBe(8 * 1024 * 1024);
  });

  it('a SEARCH, SORT, ESEARCH or VANISHED line may be longer than maxLineLength, up to maxSearchLineLength', () => {
    const uids = Array.from({ length: 3000 }, (_, i) => 100_000 + i);
    for (const name of ['SEARCH', 'sort']) {
      const line = `* ${name} ${uids.join(' ')}\r\n`;
      const p = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 30_000 });
      const out: Response[] = [];
      for (let at = 0; at < line.length; at += 700)
        out.push(...p.push(bytes(line.slice(at, at + 700))));
      expect(out).toHaveLength(1);
      const r = out[0]!;
      expect(
        r.kind === 'untagged' && (r.name === 'SEARCH' || r.name === 'SORT') ? r.numbers : null,
      ).toEqual(uids);
    }
    const sparse = uids.filter((u) => u % 2 === 0).join(',');
    for (const line of [
      `* ESEARCH (TAG "A1") UID ALL ${sparse}\r\n`,
      `* VANISHED (EARLIER) ${sparse}\r\n`,
    ]) {
      expect(line.length).toBeGreaterThan(10_000);
      const p = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 30_000 });
      expect(p.push(bytes(line))).toHaveLength(1);
    }
    const thread = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 30_000 });
    const err4 = thrown(() =>
      thread.push(bytes(`* THREAD ${uids.map((u) => `(${u})`).join('')}\r\n`)),
    );
    expect((err4 as ImapLimitError).limit).toBe('maxLineLength');
    const tooLong = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 10_000 });
    const err = thrown(() => tooLong.push(bytes(`* SEARCH ${uids.join(' ')}\r\n`)));
    expect((err as ImapLimitError).limit).toBe('maxLineLength');
    const other = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 30_000 });
    const err2 = thrown(() => other.push(bytes(`* SEARCHX ${uids.join(' ')}\r\n`)));
    expect((err2 as ImapLimitError).limit).toBe('maxLineLength');
    const lower = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 30_000 });
    const err3 = thrown(() => lower.push(bytes(`* 1 FETCH (FLAGS (${uids.join(' ')}))\r\n`)));
    expect((err3 as ImapLimitError).limit).toBe('maxLineLength');
  });

  it('a SEARCH result of 1,200,000 UIDs (9.6 MB on one line, in 64 KiB reads) parses under the default limits', () => {
    const uids = Array.from({ length: 1_200_000 }, (_, i) => 1_000_000 + i);
    const line = Buffer.from(`* SEARCH ${uids.join(' ')}\r\n`, 'latin1');
    expect(line.length).toBeGreaterThan(9 * 1024 * 1024);
    const p = new ResponseParser();
    const out: Response[] = [];
    for (let at = 0; at < line.length; at += 64 * 1024) {
      out.push(...p.push(line.subarray(at, at + 64 * 1024)));
    }
    expect(out).toHaveLength(1);
    const r = out[0]!;
    expect(r.kind === 'untagged' && r.name === 'SEARCH' ? r.numbers : null).toEqual(uids);
  });

  it('a SEARCH line past maxLineLength in many small chunks: its name is read once, not on every chunk (quadratic before)', () => {
    const p = new ResponseParser({ maxLineLength: 1000, maxSearchLineLength: 4_000_000 });
    // byteAt reads one byte of the buffered parts, walking them: the name was re-read with it per chunk.
    const byteAt = vi.spyOn(
      ResponseParser.prototype as unknown as { byteAt: () => number },
      'byteAt',
    );
    p.push(bytes('* SEARCH'));
    const chunk = bytes(' 1234567'.repeat(12));
    for (let i = 0; i < 20_000; i++) p.push(chunk);
    const out = p.push(bytes('\r\n'));
    expect(byteAt.mock.calls.length).toBeLessThan(50);
    byteAt.mockRestore();
    const r = out[0]!;
    expect(r.kind === 'untagged' && r.name === 'SEARCH' ? r.numbers.length : 0).toBe(240_000);
  });

  it('maxLineLength bounds the text of a whole response: short lines joined by {0} literals fail once they add up past it', () => {
    // Each line is under the limit; parsed, the response would take ~45x its text in memory.
    const line = '(()) '.repeat(150) + '{0}\r\n';
    const input = bytes('* 1 FETCH (X-FOO (' + line.repeat(20) + '))\r\n');
    for (const size of [input.length, 512]) {
      const p = new ResponseParser({ maxLineLength: 1000 });
      let pushed = 0;
      const err = thrown(() => {
        for (; pushed < input.length; pushed += size) p.push(input.subarray(pushed, pushed + size));
      });
      expect(err).toBeInstanceOf(ImapLimitError);
      expect((err as ImapLimitError).limit).toBe('maxLineLength');
      expect(err.message).toMatch(
        /response text outside literals longer than 1000 bytes, its lines together, in the line at offset \d+ \(response starts "\* 1 FETCH \(X-FOO/,
      );
      // Refused as the text passes the limit, not after buffering the response.
      if (size === 512) expect(pushed).toBeLessThan(1600);
    }
  });

  it('literal bytes do not count against maxLineLength, buffered or streamed: a FETCH of many large literals parses', () => {
    const body = 'x'.repeat(5000);
    const items = Array.from({ length: 20 }, (_, i) => `BODY[${i + 1}] {5000}\r\n${body}`);
    const input = bytes(`* 1 FETCH (UID 7 ${items.join(' ')})\r\n`);
    expect(input.length).toBeGreaterThan(100_000);
    for (const size of [input.length, 700]) {
      const out = parseSplit(
        input,
        Array.from({ length: Math.floor(input.length / size) }, (_, i) => (i + 1) * size),
        { maxLineLength: 1000 },
      );
      expect(out).toHaveLength(1);
      const r = out[0]!;
      expect(r.kind === 'untagged' && r.name === 'FETCH' ? r.attributes.sections?.size : 0).toBe(
        20,
      );
    }
    const sunk: number[] = [];
    const streamed = new ResponseParser({
      maxLineLength: 1000,
      streamThreshold: 100,
      literalSink: () => ({ write: (b) => void sunk.push(b.length), end: () => {} }),
    });
    expect(streamed.push(input)).toHaveLength(1);
    expect(sunk.reduce((a, b) => a + b, 0)).toBe(100_000);
  });

  it('ESEARCH: only numeric return data may use maxSearchLineLength; unknown (generic) data past maxLineLength is refused as it is read', () => {
    const limits = { maxLineLength: 1000, maxSearchLineLength: 100_000 };
    const sparse = Array.from({ length: 3000 }, (_, i) => 100_000 + 2 * i).join(',');
    // A literal tag, a small unknown item, then a long ALL: accepted.
    const ok = parse(`* ESEARCH (TAG {2}\r\nA1) UID XFOO (1 2) ALL ${sparse}\r\n`, limits);
    expect(ok).toMatchObject({ name: 'ESEARCH', tag: 'A1', uid: true });
    expect(ok.kind === 'untagged' && ok.name === 'ESEARCH' ? ok.other.get('XFOO') : null).toEqual([
      '1',
      '2',
    ]);
    for (const value of ['(' + '()'.repeat(5000) + ')', '(' + '(()) '.repeat(2000) + ')']) {
      const err = thrown(() => parse(`* ESEARCH (TAG "A1") XFOO ${value} ALL 1:5\r\n`, limits));
      expect(err).toBeInstanceOf(ImapLimitError);
      expect((err as ImapLimitError).limit).toBe('maxLineLength');
      expect(err.message).toMatch(
        /ESEARCH return data XFOO longer than 1000 bytes \(maxLineLength\) at offset 26/,
      );
    }
    // A long atom or string is refused too, after it is read.
    expect(() => parse(`* ESEARCH XFOO ${'a'.repeat(2000)}\r\n`, limits)).toThrow(ImapLimitError);
  });

  it('maxLiteralSize fails when the {n} header is read, before any literal byte', () => {
    const p = new ResponseParser({ maxLiteralSize: 1000 });
    const err = thrown(() => p.push(bytes('* 1 FETCH (BODY[] {1001}\r\n')));
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxLiteralSize');
    expect(err.message).toMatch(/literal of 1001 bytes.*\{1001\}/);
  });

  it('the default maxLiteralSize is 64 MiB', () => {
    expect(() => parse(`* 1 FETCH (BODY[] {${64 * 1024 * 1024 + 1}}\r\n`)).toThrow(
      /maxLiteralSize|over the 67108864-byte limit/,
    );
  });

  it('maxResponseBytes counts text and literals of one response', () => {
    const err = thrown(() => parse('* 1 FETCH (BODY[] {60}\r\n', { maxResponseBytes: 64 }));
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxResponseBytes');
    expect(parseAll('* 1 EXISTS\r\n'.repeat(20), { maxResponseBytes: 64 })).toHaveLength(20);
  });

  it('maxResponseBytes bounds a SEARCH line past maxLineLength too, in one chunk or many', () => {
    const line = bytes('* SEARCH ' + '1 '.repeat(50_000) + '\r\n');
    const limits = {
      maxLineLength: 1000,
      maxSearchLineLength: 1_000_000,
      maxResponseBytes: 10_000,
    };
    for (const size of [line.length, 4096]) {
      const p = new ResponseParser(limits);
      const err = thrown(() => {
        for (let at = 0; at < line.length; at += size) p.push(line.subarray(at, at + size));
      });
      expect(err).toBeInstanceOf(ImapLimitError);
      expect((err as ImapLimitError).limit).toBe('maxResponseBytes');
      expect(err.message).toMatch(
        /response longer than 10000 bytes at offset 0 \(starts "\* SEARCH 1 1/,
      );
    }
  });

  it('maxDepth: a BODYSTRUCTURE nested 10,000 levels is a limit error, not a stack overflow', () => {
    const input = `* 1 FETCH (BODYSTRUCTURE ${'('.repeat(10_000)}${')'.repeat(10_000)})\r\n`;
    const err = thrown(() => parse(input));
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapLimitError).limit).toBe('maxDepth');
    expect(err.message).toMatch(/deeper than 64/);
  });

  it('maxDepth applies to generic values, THREAD and lists', () => {
    for (const input of [
      `* XFOO ${'('.repeat(100)}${')'.repeat(100)}\r\n`,
      `* THREAD ${'(1 '.repeat(100)}${')'.repeat(100)}\r\n`,
      `* 1 FETCH (X-FOO ${'('.repeat(100)}${')'.repeat(100)})\r\n`,
    ]) {
      expect(() => parse(input)).toThrow(ImapLimitError);
    }
    expect(parse(`* XFOO ${'('.repeat(10)}${')'.repeat(10)}\r\n`, { maxDepth: 20 })).toMatchObject({
      name: 'OTHER',
    });
  });

  it('with maxDepth set absurdly high, deep nesting is still a limit error, not a RangeError', () => {
    const input = `* XFOO ${'('.repeat(200_000)}${')'.repeat(200_000)}\r\n`;
    const err = thrown(() => parse(input, { maxDepth: 1e9 }));
    expect(err).toBeInstanceOf(ImapLimitError);
  });

  it('many small chunks of a big literal and of a long line are linear', () => {
    const size = 2 * 1024 * 1024;
    const p = new ResponseParser();
    const t = Date.now();
    p.push(bytes(`* 1 FETCH (BODY[] {${size}}\r\n`));
    const piece = Buffer.alloc(16, 0x61);
    for (let i = 0; i < size / 16; i++) p.push(piece);
    const out = p.push(bytes(')\r\n'));
    expect(out).toHaveLength(1);
    const p2 = new ResponseParser();
    const one = Buffer.from('x');
    p2.push(bytes('* OK '));
    for (let i = 0; i < 500_000; i++) p2.push(one);
    expect(p2.push(bytes('\r\n'))).toHaveLength(1);
    expect(Date.now() - t).toBeLessThan(5000);
  });
});

describe('malformed input', () => {
  const parseError = (input: string | Buffer) => {
    const err = thrown(() => parse(input));
    expect(err).toBeInstanceOf(ImapParseError);
    expect((err as ImapParseError).code).toBe('PARSE');
    return err as ImapParseError;
  };

  it('literal sizes: negative, non-numeric, over 2^53, absurdly long', () => {
    expect(parseError('* 1 FETCH (BODY[] {-5}\r\n').message).toMatch(
      /invalid literal header at offset 18 \(found "\{-5\}"\)/,
    );
    expect(parseError('* 1 FETCH (BODY[] {abc}\r\n').message).toMatch(
      /invalid literal header.*\{abc\}/,
    );
    expect(parseError('* 1 FETCH (BODY[] {99999999999999999}\r\n').message).toMatch(/over 2\^53-1/);
    expect(parseError(`* 1 FETCH (BODY[] {${'0'.repeat(1_000_000)}1}\r\n`).message).toMatch(
      /more than 20 digits/,
    );
  });

  it('literal8 outside BINARY is a parse error', () => {
    expect(parseError('* 1 FETCH (BODY[] ~{3}\r\nabc)\r\n').message).toMatch(
      /literal8 .* only allowed in BINARY/,
    );
    expect(parseError('* LIST () "/" ~{3}\r\nabc\r\n').message).toMatch(
      /literal8 .* only allowed in BINARY/,
    );
  });

  it('a literal header in the middle of a line is a parse error', () => {
    expect(parseError('* 1 FETCH (BODY[] {3} abc)\r\n').message).toMatch(
      /literal header not at the end of a line/,
    );
  });

  it('NUL bytes and bare CR in a line', () => {
    expect(parseError('* OK hello\x00world\r\n').message).toMatch(/NUL byte.*offset 10.*\\x00/);
    expect(parseError('* 1 FETCH (FLAGS (\\Seen\x00))\r\n').message).toMatch(/\\x00/);
    expect(parseError('* 1 FETCH (PREVIEW "a\x00b")\r\n').message).toMatch(
      /invalid byte in quoted string/,
    );
    expect(parseError('* OK a\rb\r\n').message).toMatch(/CR byte/);
  });

  it('unbalanced parentheses name the bytes and the offset', () => {
    const e1 = parseError('* 1 FETCH (FLAGS (\\Seen)\r\n');
    expect(e1.message).toMatch(/unterminated FETCH attribute list at offset 24/);
    expect(e1.offset).toBe(24);
    expect(parseError('* 1 FETCH (UID 5))\r\n').message).toMatch(
      /unexpected bytes after FETCH at offset 17 \(found "\)"\)/,
    );
    expect(
      parseError('* 1 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)\r\n').message,
    ).toMatch(/unterminated/);
  });

  it('NIL where a string is required', () => {
    expect(parseError('* NAMESPACE ((NIL "/")) NIL NIL\r\n').message).toMatch(
      /expected a string at offset 14 \(found "NIL/,
    );
    expect(
      parseError('* 1 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" abc 1))\r\n').message,
    ).toMatch(/expected a number/);
  });

  it('responses parsed in place in one chunk: values and error offsets count from each response', () => {
    const parser = new ResponseParser();
    const good = parser.push(
      bytes('* 1 FETCH (UID 7 FLAGS (\\Seen))\r\nA1 OK done\r\n+ go on\r\n* 2 EXISTS\r\n'),
    );
    expect(good).toEqual([
      { kind: 'untagged', name: 'FETCH', seq: 1, attributes: { uid: 7, flags: ['\\Seen'] } },
      { kind: 'tagged', tag: 'A1', status: 'OK', code: null, text: 'done' },
      { kind: 'continuation', code: null, text: 'go on' },
      { kind: 'untagged', name: 'EXISTS', number: 2 },
    ]);
    const err = thrown(() =>
      new ResponseParser().push(bytes('* 1 EXISTS\r\n* 2 FETCH (UID 5))\r\n')),
    ) as ImapParseError;
    expect(err.message).toMatch(/unexpected bytes after FETCH at offset 17 \(found "\)"\)/);
    expect(err.offset).toBe(17);
    const deep = thrown(() =>
      new ResponseParser({ maxDepth: 2 }).push(bytes('* 1 EXISTS\r\n* 2 FETCH (X ((1)))\r\n')),
    );
    expect(deep.message).toMatch(/deeper than 2 at offset 14/);
  });

  it('responses split across chunks keep their bytes when later split responses arrive', () => {
    const parser = new ResponseParser();
    const text =
      '* 1 FETCH (BODY[1] "hello" UID 1)\r\n* 2 XFOO "abc" ("def")\r\n* 3 FETCH (BODY[1] "world" UID 3)\r\n';
    const got: Response[] = [];
    // Every response straddles a chunk boundary.
    for (let i = 0; i < text.length; i += 7) got.push(...parser.push(bytes(text.slice(i, i + 7))));
    expect(got).toHaveLength(3);
    const body = (r: Response): unknown =>
      r.kind === 'untagged' && r.name === 'FETCH'
        ? r.attributes.sections?.get('BODY[1]')?.data
        : null;
    expect(body(got[0]!)).toEqual(Buffer.from('hello'));
    expect(body(got[2]!)).toEqual(Buffer.from('world'));
    expect(got[1]).toEqual({
      kind: 'untagged',
      name: 'OTHER',
      atom: 'XFOO',
      number: 2,
      data: [Buffer.from('abc'), [Buffer.from('def')]],
    });
  });

  it('non-ASCII text in a chunk with other responses is decoded as UTF-8', () => {
    const [a, b] = new ResponseParser().push(
      Buffer.from('* 1 FETCH (UID 1)\r\n* 2 FETCH (PREVIEW "Grüße" UID 2)\r\n', 'utf8'),
    );
    expect(a).toEqual({ kind: 'untagged', name: 'FETCH', seq: 1, attributes: { uid: 1 } });
    expect(b).toEqual({
      kind: 'untagged',
      name: 'FETCH',
      seq: 2,
      attributes: { preview: 'Grüße', uid: 2 },
    });
  });

  it('garbage after a response', () => {
    expect(parseError('* 1 EXISTS garbage\r\n').message).toMatch(
      /unexpected bytes after EXISTS at offset 11 \(found "garbage"\)/,
    );
    expect(parseError('a1 FOO bar\r\n').message).toMatch(
      /expected OK, NO or BAD after the tag at offset 3/,
    );
    expect(parseError('* FLAGS (\\Seen) x\r\n').message).toMatch(/unexpected bytes after FLAGS/);
  });

  it('after an error the parser is unusable', () => {
    const p = new ResponseParser();
    expect(() => p.push(bytes('* 1 EXISTS x\r\n'))).toThrow(ImapParseError);
    const err = thrown(() => p.push(bytes('* 1 EXISTS\r\n')));
    expect(err).toBeInstanceOf(ImapParseError);
    expect(err.message).toMatch(/unusable after an earlier error: unexpected bytes after EXISTS/);
    const q = new ResponseParser({ maxLineLength: 10 });
    expect(() => q.push(bytes('* OK 12345678901'))).toThrow(ImapLimitError);
    expect(() => q.push(bytes('\r\n'))).toThrow(/unusable/);
  });

  it('responses are typed Response values', () => {
    const r: Response[] = parseAll('* 1 EXISTS\r\n');
    expect(r[0]?.kind).toBe('untagged');
  });
});

describe('responseBytes', () => {
  it('is the framed size of the response being delivered: in place, split across chunks, with a buffered literal; a streamed literal is not counted', () => {
    const sizes: number[] = [];
    const parser = new ResponseParser({
      streamThreshold: 10,
      literalSink: (info) => (info.size > 10 ? { write() {}, end() {} } : null),
      onResponse: () => sizes.push(parser.responseBytes),
    });
    const a = '* 3 EXISTS\r\n'; // 12, in place
    const b = '* SEARCH 1 2 3\r\n'; // 16, split across two chunks
    const c = '* 1 FETCH (BODY[] {5}\r\nhello)\r\n'; // 32 with its literal
    const d = '* 2 FETCH (BODY[] {20}\r\n01234567890123456789)\r\n'; // 45 - 20 streamed
    parser.push(Buffer.from(a + b.slice(0, 5)));
    parser.push(Buffer.from(b.slice(5) + c + d));
    expect(sizes).toEqual([a.length, b.length, c.length, d.length - 20]);
  });
});
