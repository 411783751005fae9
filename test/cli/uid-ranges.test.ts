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
});
