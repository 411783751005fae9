/** UidRanges: the UID set an mbox export's state file records. */
import { describe, expect, it } from 'vitest';
import { UidRanges } from '../../src/cli/sinks/uid-ranges.js';

describe('UidRanges', () => {
  it('merges touching and overlapping UIDs added in any order', () => {
    const r = new UidRanges();
    for (const uid of [5, 1, 2, 3, 10, 7, 6, 12, 11, 4]) r.add(uid);
    expect(r.toString()).toBe('1:7,10:12');
    expect([0, 1, 4, 7, 8, 9, 10, 12, 13].map((u) => r.has(u))).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    r.addRange(8, 9);
    expect(r.toString()).toBe('1:12');
  });

  it('parses its text form back (any order, overlaps merged); empty is empty', () => {
    expect(UidRanges.parse('').toString()).toBe('');
    expect(UidRanges.parse('20:30,1:3,4,25:40,7').toString()).toBe('1:4,7,20:40');
    expect(UidRanges.parse('3:1').has(2)).toBe(true);
    expect(() => UidRanges.parse('1:*')).toThrow();
    expect(() => UidRanges.parse('x')).toThrow();
  });

  it('refuses what is not a plain UID set: $, *, 0, over 2^32-1, signs, spaces, empty parts', () => {
    for (const bad of [
      '$',
      '*',
      '0',
      '1:0',
      '4294967296',
      '-1',
      '+1',
      '1, 2',
      '1,,2',
      '1:',
      ':2',
      '1e3',
    ]) {
      expect(() => UidRanges.parse(bad), bad).toThrow(/not a UID set/);
    }
    expect(UidRanges.parse('4294967295').has(4294967295)).toBe(true);
  });

  it('parses a large set in reverse order in linear-ish time (a corrupt or hostile state file)', () => {
    const parts: string[] = [];
    for (let i = 200_000; i >= 1; i--) parts.push(String(i * 2));
    const started = performance.now();
    const r = UidRanges.parse(parts.join(','));
    // Sorted once: well under a second; inserting each in order was quadratic (minutes).
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.has(400_000)).toBe(true);
    expect(r.has(3)).toBe(false);
    expect(r.toString().split(',')).toHaveLength(200_000);
  });
});
