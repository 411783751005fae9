import { describe, expect, it } from 'vitest';
import { TakenIds } from '../../src/commands/taken-ids.js';

describe('TakenIds', () => {
  it('tells a second id from a first, in ascending runs with gaps', () => {
    const t = new TakenIds();
    for (const id of [1, 2, 3, 7, 8, 20]) expect(t.add(id)).toBe(true);
    for (const id of [1, 2, 3, 7, 8, 20]) expect(t.add(id)).toBe(false);
    for (const id of [4, 6, 9, 19, 21]) expect(t.has(id)).toBe(false);
  });

  it('keeps working when ids come out of order (a Set from there on)', () => {
    const t = new TakenIds();
    for (const id of [10, 11, 12, 30]) t.add(id);
    expect(t.add(5)).toBe(true);
    expect(t.add(5)).toBe(false);
    expect(t.add(11)).toBe(false);
    expect(t.add(31)).toBe(true);
    expect(t.has(30)).toBe(true);
    expect(t.has(13)).toBe(false);
  });

  it('descending ids', () => {
    const t = new TakenIds();
    for (let id = 100; id >= 1; id -= 3) expect(t.add(id)).toBe(true);
    for (let id = 100; id >= 1; id -= 3) expect(t.add(id)).toBe(false);
    expect(t.has(99)).toBe(false);
  });
});
