/**
 * Byte values the parser hands out (literals, quoted strings as bytes) and
 * the memory they keep alive.
 *
 * The connection reads the socket into 64 KiB slabs and pushes views of them
 * (src/connection/reader.ts). A value that stays a view into a slab keeps the
 * whole slab alive: a caller keeping 200-byte header sections of many
 * messages would keep 64 KiB each.
 *
 * What is asserted, for every Buffer value: the ArrayBuffer it references is
 * at most `max(8 × its length, Buffer.poolSize)` bytes. That is, either the
 * value is at least an eighth of the memory it keeps alive (a body of 8 KiB
 * or more may stay a zero-copy view of the slab it arrived in: the rule's
 * share, VIEW_MIN_SHARE in src/wire/scanner.ts), or it lies in Node's own
 * small-allocation pool (`Buffer.poolSize`, 8 KiB), where `Buffer.from` and
 * `Buffer.allocUnsafe` put every Buffer under 4 KiB: pool slabs are filled
 * back to back by consecutive small allocations, so this is what any small
 * Buffer in Node costs and no copy can do better. A slab's ArrayBuffer is
 * 64 KiB (allocated with `allocUnsafeSlow`, never pooled), so a small value
 * viewing it fails the bound.
 */
import { describe, expect, it } from 'vitest';
import type { RawValue } from '../../src/model/body-structure.js';
import type { Response } from '../../src/model/response.js';
import { ResponseParser } from '../../src/wire/parser.js';

const SLAB = 64 * 1024;

/** The bytes of `text`, then `n` filler bytes, then `after`. */
function withBody(before: string, n: number, after: string): Buffer {
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = 0x41 + (i % 26);
  return Buffer.concat([Buffer.from(before, 'latin1'), body, Buffer.from(after, 'latin1')]);
}

/**
 * Pushes `input` the way the connection does: copied into fresh 64 KiB
 * slabs (own ArrayBuffers), each pushed as a view of its filled part.
 * Returns the responses and the slabs' ArrayBuffers.
 */
function parseInSlabs(input: Buffer, slabFill = SLAB): { out: Response[]; slabs: ArrayBuffer[] } {
  const p = new ResponseParser();
  const out: Response[] = [];
  const slabs: ArrayBuffer[] = [];
  for (let i = 0; i < input.length; i += slabFill) {
    const slab = Buffer.allocUnsafeSlow(SLAB);
    const n = input.copy(slab, 0, i, Math.min(input.length, i + slabFill));
    slabs.push(slab.buffer as ArrayBuffer);
    out.push(...p.push(slab.subarray(0, n)));
  }
  p.end();
  return { out, slabs };
}

/** Every Buffer in a response (section data, metadata values, raw values). */
function buffersOf(r: Response): Buffer[] {
  const found: Buffer[] = [];
  const walk = (v: unknown): void => {
    if (Buffer.isBuffer(v)) found.push(v);
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v instanceof Map) for (const x of v.values()) walk(x);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(r);
  return found;
}

/** The bound stated at the top of this file. */
function expectOwnsMemory(v: Buffer): void {
  expect(v.buffer.byteLength).toBeLessThanOrEqual(Math.max(8 * v.length, Buffer.poolSize));
}

function sections(r: Response | undefined): Map<string, { data: Buffer | null | object }> {
  if (r?.kind !== 'untagged' || r.name !== 'FETCH') throw new Error('not a FETCH');
  return r.attributes.sections ?? new Map();
}

function dataOf(r: Response | undefined, key: string): Buffer {
  const d = sections(r).get(key)?.data;
  if (!Buffer.isBuffer(d)) throw new Error(`no ${key} bytes`);
  return d;
}

describe('byte values own their memory unless they are at least an eighth of it', () => {
  it('a small BODY[] literal in a slab is a copy, not a view that keeps the slab alive', () => {
    const input = withBody('* 1 FETCH (UID 5 BODY[HEADER] {200}\r\n', 200, ')\r\n');
    const { out, slabs } = parseInSlabs(input);
    const v = dataOf(out[0], 'BODY[HEADER]');
    expect(v.length).toBe(200);
    expect(v.equals(input.subarray(input.indexOf('\r\n') + 2, -3))).toBe(true);
    expect(v.buffer).not.toBe(slabs[0]);
    expectOwnsMemory(v);
  });

  it('many small responses in one slab: none of their values references it', () => {
    let text = '';
    for (let i = 1; i <= 100; i++)
      text += `* ${i} FETCH (BODY[] {30}\r\n${'x'.repeat(29)}${i % 10})\r\n`;
    const { out, slabs } = parseInSlabs(Buffer.from(text, 'latin1'));
    expect(out).toHaveLength(100);
    for (const r of out) {
      const v = dataOf(r, 'BODY[]');
      expect(v.length).toBe(30);
      expect(v.buffer).not.toBe(slabs[0]);
      expectOwnsMemory(v);
    }
  });

  it('a quoted BODY[] value, a literal8 BINARY[] and an unknown item literal are copies too', () => {
    const input = Buffer.from(
      '* 1 FETCH (BODY[1] "hello there" BINARY[2] ~{5}\r\na\x00b\x00c X-UNKNOWN {4}\r\nabcd X-LIST ("q" {2}\r\nzz))\r\n',
      'latin1',
    );
    const { out, slabs } = parseInSlabs(input);
    const r = out[0]!;
    const found = buffersOf(r);
    expect(found.map((b) => b.toString('latin1'))).toEqual([
      'hello there',
      'a\x00b\x00c',
      'abcd',
      'q',
      'zz',
    ]);
    for (const v of found) {
      expect(v.buffer).not.toBe(slabs[0]);
      expectOwnsMemory(v);
    }
    if (r.kind !== 'untagged' || r.name !== 'FETCH') throw new Error('not a FETCH');
    expect(r.attributes.other?.get('X-UNKNOWN')).toEqual(Buffer.from('abcd'));
    expect(r.attributes.other?.get('X-LIST') as RawValue).toEqual([
      Buffer.from('q'),
      Buffer.from('zz'),
    ]);
  });

  it('a METADATA value is a copy', () => {
    const input = Buffer.from(
      '* METADATA "INBOX" (/private/comment {12}\r\nsmall remark /shared/x "y")\r\n',
      'latin1',
    );
    const { out, slabs } = parseInSlabs(input);
    const r = out[0]!;
    if (r.kind !== 'untagged' || r.name !== 'METADATA') throw new Error('not METADATA');
    const v = r.entries.get('/private/comment');
    expect(v).toEqual(Buffer.from('small remark'));
    for (const b of buffersOf(r)) {
      expect(b.buffer).not.toBe(slabs[0]);
      expectOwnsMemory(b);
    }
  });

  it('at an eighth of the slab (8 KiB) a body stays a zero-copy view; below it is copied', () => {
    for (const [n, view] of [
      [8192, true],
      [8191, false],
      [5000, false],
    ] as const) {
      const input = withBody(`* 1 FETCH (BODY[] {${n}}\r\n`, n, ')\r\n');
      const { out, slabs } = parseInSlabs(input);
      const v = dataOf(out[0], 'BODY[]');
      expect(v.length).toBe(n);
      expect(v.buffer === slabs[0], `${n} bytes`).toBe(view);
      expectOwnsMemory(v);
    }
  });

  it('a body that is most of its slab stays a zero-copy view', () => {
    const input = withBody('* 1 FETCH (BODY[] {40000}\r\n', 40_000, ')\r\n');
    const { out, slabs } = parseInSlabs(input);
    const v = dataOf(out[0], 'BODY[]');
    expect(v.length).toBe(40_000);
    expect(v.buffer).toBe(slabs[0]);
    expectOwnsMemory(v);
  });

  it('across slabs: a small section is copied out of the concatenation, a large one is a view of it', () => {
    // BODY[HEADER] (300 bytes) and BODY[TEXT] (90 KB) in one response over two slabs.
    const head = withBody('* 7 FETCH (UID 70 BODY[HEADER] {300}\r\n', 300, ' ');
    const rest = withBody('BODY[TEXT] {90000}\r\n', 90_000, ')\r\n');
    const { out, slabs } = parseInSlabs(Buffer.concat([head, rest]));
    const header = dataOf(out[0], 'BODY[HEADER]');
    const text = dataOf(out[0], 'BODY[TEXT]');
    expect(header.length).toBe(300);
    expect(text.length).toBe(90_000);
    for (const v of [header, text]) {
      expect(slabs).not.toContain(v.buffer);
      expectOwnsMemory(v);
    }
    expect(header.buffer).not.toBe(text.buffer);
  });

  it('W2-like: 2-20 KB bodies back to back in 64 KiB slabs all keep the bound', () => {
    const pieces: Buffer[] = [];
    for (let i = 1; i <= 60; i++) {
      const n = 2000 + ((i * 7919) % 18_000);
      pieces.push(withBody(`* ${i} FETCH (UID ${i} BODY[] {${n}}\r\n`, n, ')\r\n'));
    }
    const { out } = parseInSlabs(Buffer.concat(pieces));
    expect(out).toHaveLength(60);
    for (const r of out) expectOwnsMemory(dataOf(r, 'BODY[]'));
  });
});
