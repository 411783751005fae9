/**
 * imaplib's module helpers against CPython's: Internaldate2tuple (anchored
 * like re.match, linear on text without a match, years 0-99, tm_isdst as
 * the C library gives it) and ParseFlags (a newline before the match).
 */
import { describe, expect, it } from 'vitest';
import { INTERNALDATE } from '../../src/imaplib/helpers.js';
import { Internaldate2tuple } from '../../src/imaplib/index.js';

function fields(resp: string): number[] | null {
  const t = Internaldate2tuple(Buffer.from(resp, 'latin1'));
  return (
    t && [
      t.tm_year,
      t.tm_mon,
      t.tm_mday,
      t.tm_hour,
      t.tm_min,
      t.tm_sec,
      t.tm_wday,
      t.tm_yday,
      t.tm_isdst,
    ]
  );
}

describe('Internaldate2tuple', () => {
  it('is anchored like re.match, without the s flag: linear on a large line without a match', () => {
    // The unanchored /.*INTERNALDATE .../s tried its `.*` from every
    // position: 80 KB took 5.5 s, this 2 MB line would have taken hours.
    expect(INTERNALDATE.source.startsWith('^')).toBe(true);
    expect(INTERNALDATE.flags).not.toContain('s');
    const big = `1 (UID 5 X "${'a'.repeat(2_000_000)}")`;
    expect(Internaldate2tuple(Buffer.from(big, 'latin1'))).toBeNull();
    const late = `1 (X "${'a'.repeat(2_000_000)}" INTERNALDATE "17-Jul-1996 02:44:25 -0700")`;
    expect(Internaldate2tuple(late)?.tm_year).toBe(1996);
  });

  it('a newline before the date: null, as CPython (a CR does not stop the match)', () => {
    expect(fields('x\n1 (INTERNALDATE "17-Jul-1996 02:44:25 -0700")')).toBeNull();
    expect(fields('1 (X "a\rb") INTERNALDATE "17-Jul-1996 02:44:25 -0700")')).not.toBeNull();
  });
});
