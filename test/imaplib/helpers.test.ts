/**
 * imaplib's module helpers against CPython's: Internaldate2tuple (anchored
 * like re.match, linear on text without a match, years 0-99, tm_isdst as
 * the C library gives it) and ParseFlags (a newline before the match).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERNALDATE } from '../../src/imaplib/helpers.js';
import { Internaldate2tuple, ParseFlags } from '../../src/imaplib/index.js';

const savedTz = process.env['TZ'];
afterEach(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

const DATES = [
  '1 (INTERNALDATE "17-Jul-1996 02:44:25 -0700")',
  '1 (INTERNALDATE "15-Jan-2024 12:00:00 +0000")',
  '1 (INTERNALDATE "15-Jul-2024 12:00:00 +0000")',
  '1 (INTERNALDATE "31-Mar-2024 00:59:59 +0000")',
  '1 (INTERNALDATE "31-Mar-2024 01:00:00 +0000")',
  '1 (INTERNALDATE "15-Jan-2011 12:00:00 +0000")',
  '1 (INTERNALDATE "15-Jul-2011 12:00:00 +0000")',
  '1 (INTERNALDATE "15-Jul-2015 12:00:00 +0000")',
  '1 (INTERNALDATE "01-Jan-0099 00:00:00 +0000")',
  '1 (INTERNALDATE "01-Jan-0050 12:00:00 +0000")',
  '1 (INTERNALDATE "29-Feb-0004 12:00:00 +0000")',
  '1 (INTERNALDATE "15-Jul-2060 12:00:00 +0000")',
  '1 (INTERNALDATE "31-Dec-1969 23:59:59 +0000")',
  'x\n1 (INTERNALDATE "17-Jul-1996 02:44:25 -0700")',
  '1 (X "a\rb") INTERNALDATE "17-Jul-1996 02:44:25 -0700")',
];
const FLAGS = [
  '1 (FLAGS (\\Seen))',
  'x\n1 (FLAGS (\\Seen))',
  '1 (FLAGS (\\Seen\n\\Answered))',
  'FLAGS (a) FLAGS (b',
  '1 (UID 4 FLAGS (a)\nFLAGS (b))',
  '1 (FLAGS (\\Seen \x1c x))',
];

/** CPython's results for DATES (the first 9 fields, or null) and FLAGS, in zone `tz`. */
function python(tz: string): { dates: Array<number[] | null>; flags: string[][] } {
  const code = [
    'import imaplib, json, sys',
    'inp = json.load(sys.stdin)',
    "dates = [(lambda t: t and list(t[:9]))(imaplib.Internaldate2tuple(s.encode('latin1'))) for s in inp['dates']]",
    "flags = [[f.decode('latin1') for f in imaplib.ParseFlags(s.encode('latin1'))] for s in inp['flags']]",
    "print(json.dumps({'dates': dates, 'flags': flags}))",
  ].join('\n');
  const out = spawnSync('python3', ['-c', code], {
    input: JSON.stringify({ dates: DATES, flags: FLAGS }),
    env: { ...process.env, TZ: tz },
    encoding: 'utf8',
  });
  expect(out.stderr).toBe('');
  return JSON.parse(out.stdout) as { dates: Array<number[] | null>; flags: string[][] };
}

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

  it('years 0-99 are kept (not mapped to 1900-1999)', () => {
    process.env['TZ'] = 'UTC';
    expect(fields('1 (INTERNALDATE "01-Jan-0050 12:00:00 +0000")')).toEqual([
      50, 1, 1, 12, 0, 0, 5, 1, 0,
    ]);
    expect(fields('1 (INTERNALDATE "31-Dec-0099 23:59:59 +0000")')).toEqual([
      99, 12, 31, 23, 59, 59, 3, 365, 0,
    ]);
  });

  it('a newline before the date: null, as CPython (a CR does not stop the match)', () => {
    expect(fields('x\n1 (INTERNALDATE "17-Jul-1996 02:44:25 -0700")')).toBeNull();
    expect(fields('1 (X "a\rb") INTERNALDATE "17-Jul-1996 02:44:25 -0700")')).not.toBeNull();
  });

  it("tm_isdst is the C library's: Moscow's permanent +04 of 2011 is standard time", () => {
    process.env['TZ'] = 'Europe/Moscow';
    expect(fields('1 (INTERNALDATE "15-Jul-2011 12:00:00 +0000")')).toEqual([
      2011, 7, 15, 16, 0, 0, 4, 196, 0,
    ]);
    process.env['TZ'] = 'America/New_York';
    expect(fields('1 (INTERNALDATE "15-Jul-2024 12:00:00 +0000")')?.[8]).toBe(1);
    expect(fields('1 (INTERNALDATE "15-Jan-2024 12:00:00 +0000")')?.[8]).toBe(0);
  });

  it.each([
    'UTC',
    'America/New_York',
    'Europe/Dublin',
    'Europe/Moscow',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
  ])(
    "gives what CPython gives in %s (Europe/Dublin: isdst 1 in winter, tzdata's negative DST)",
    (tz) => {
      const expected = python(tz);
      process.env['TZ'] = tz;
      expect(DATES.map(fields)).toEqual(expected.dates);
    },
  );
});

describe('ParseFlags', () => {
  it('gives what CPython gives: nothing when a newline precedes FLAGS (, flags spanning lines', () => {
    expect(
      FLAGS.map((s) => ParseFlags(Buffer.from(s, 'latin1')).map((f) => f.toString('latin1'))),
    ).toEqual(python('UTC').flags);
    expect(ParseFlags('x\n1 (FLAGS (\\Seen))')).toEqual([]);
    expect(ParseFlags('1 (FLAGS (\\Seen\n\\Answered))').map(String)).toEqual([
      '\\Seen',
      '\\Answered',
    ]);
  });
});
