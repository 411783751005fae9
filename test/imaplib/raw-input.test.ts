/**
 * RawInput, the bytes of the imaplib facade's raw mode (readline/read):
 * the same bytes and lines as one growing Buffer would give, at linear cost
 * when a line arrives in tiny pieces.
 */
import { describe, expect, it } from 'vitest';
import { RawInput } from '../../src/imaplib/raw-input.js';

describe('RawInput', () => {
  it('returns what a plain concatenation would, for any interleaving of appends, searches and takes', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const raw = new RawInput();
    let model = Buffer.alloc(0);
    for (let step = 0; step < 5000; step++) {
      const op = random(3);
      if (op === 0) {
        const chunk = Buffer.from(
          Array.from({ length: random(40) }, () => (random(8) === 0 ? 0x0a : 0x61 + random(26))),
        );
        raw.append(chunk);
        model = Buffer.concat([model, chunk]);
      } else if (op === 1) {
        expect(raw.indexOfLF()).toBe(model.indexOf(0x0a));
      } else {
        const n = random(60);
        expect(raw.take(n)).toEqual(model.subarray(0, n));
        model = model.subarray(Math.min(n, model.length));
      }
      expect(raw.length).toBe(model.length);
    }
  });

  it('a value taken is a copy: later appends do not change it, and the caller may change its chunk', () => {
    const raw = new RawInput();
    const chunk = Buffer.from('a line\r\nmore');
    raw.append(chunk);
    chunk.fill(0x7a);
    const line = raw.take(raw.indexOfLF() + 1);
    raw.append(Buffer.alloc(10_000, 0x62));
    expect(line.toString()).toBe('a line\r\n');
    expect(raw.take(4).toString()).toBe('more');
  });

  it('a 400 KB line in one-byte pieces, searched after each piece as readline does, is linear work', () => {
    // Concatenating everything held for each piece and searching it from the
    // start (the old way) copies ~80 GB here: far past the test's timeout.
    const raw = new RawInput();
    const piece = Buffer.from('x');
    const started = performance.now();
    let found = 0;
    for (let i = 0; i < 400_000; i++) {
      raw.append(piece);
      if (raw.indexOfLF() !== -1) found++;
    }
    expect(found).toBe(0);
    raw.append(Buffer.from('\n'));
    expect(raw.indexOfLF()).toBe(400_000);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(raw.take(400_001).length).toBe(400_001);
    expect(raw.length).toBe(0);
  });
});
