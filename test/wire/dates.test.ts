import { describe, expect, it } from 'vitest';
import { ImapArgumentError, ImapParseError } from '../../src/model/errors.js';
import {
  formatImapDate,
  formatImapDateTime,
  parseImapDate,
  parseImapDateTime,
  parseImapDateTimeParts,
} from '../../src/wire/dates.js';

const feb1 = new Date(Date.UTC(1994, 1, 1, 21, 22, 23));

describe('formatImapDate', () => {
  it('writes the UTC calendar day without padding', () => {
    expect(formatImapDate(feb1)).toBe('1-Feb-1994');
    expect(formatImapDate(new Date(Date.UTC(2024, 11, 31, 23, 59, 59)))).toBe('31-Dec-2024');
  });

  it('takes an explicit calendar day', () => {
    expect(formatImapDate({ year: 2000, month: 2, day: 29 })).toBe('29-Feb-2000');
    expect(formatImapDate({ year: 99, month: 1, day: 5 })).toBe('5-Jan-0099');
  });

  it('refuses invalid dates', () => {
    expect(() => formatImapDate(new Date(NaN))).toThrow(ImapArgumentError);
    expect(() => formatImapDate({ year: 1900, month: 2, day: 29 })).toThrow(ImapArgumentError);
    expect(() => formatImapDate({ year: 2024, month: 13, day: 1 })).toThrow(ImapArgumentError);
    expect(() => formatImapDate({ year: 10000, month: 1, day: 1 })).toThrow(ImapArgumentError);
  });
});

describe('formatImapDateTime', () => {
  it('writes UTC with +0000 and a two-digit day', () => {
    expect(formatImapDateTime(feb1)).toBe('01-Feb-1994 21:22:23 +0000');
    expect(formatImapDateTime(new Date(Date.UTC(2023, 9, 15, 3, 4, 5)))).toBe(
      '15-Oct-2023 03:04:05 +0000',
    );
  });

  it('writes local time at an explicit offset', () => {
    expect(formatImapDateTime(feb1, 90)).toBe('01-Feb-1994 22:52:23 +0130');
    expect(formatImapDateTime(feb1, -480)).toBe('01-Feb-1994 13:22:23 -0800');
    expect(formatImapDateTime(feb1, 180)).toBe('02-Feb-1994 00:22:23 +0300');
  });

  it('refuses an invalid Date or offset', () => {
    expect(() => formatImapDateTime(new Date('nope'))).toThrow(ImapArgumentError);
    expect(() => formatImapDateTime(feb1, 1.5)).toThrow(ImapArgumentError);
    expect(() => formatImapDateTime(feb1, 6000)).toThrow(ImapArgumentError);
  });
});

describe('parseImapDateTime', () => {
  it('parses a leading-space day', () => {
    expect(parseImapDateTime(' 1-Feb-1994 21:22:23 +0000')).toEqual(feb1);
  });

  it('parses two-digit and one-digit days, quoted or not, any month case', () => {
    expect(parseImapDateTime('01-Feb-1994 21:22:23 +0000')).toEqual(feb1);
    expect(parseImapDateTime('"01-FEB-1994 21:22:23 +0000"')).toEqual(feb1);
    expect(parseImapDateTime('1-feb-1994 21:22:23 +0000')).toEqual(feb1);
  });

  it('applies the zone and returns the fields as written', () => {
    expect(parseImapDateTimeParts('17-Jul-1996 02:44:25 -0700')).toEqual({
      year: 1996,
      month: 7,
      day: 17,
      hour: 2,
      minute: 44,
      second: 25,
      zoneMinutes: -420,
      date: new Date(Date.UTC(1996, 6, 17, 9, 44, 25)),
    });
    expect(parseImapDateTime('01-Jan-2000 00:30:00 +0100')).toEqual(
      new Date(Date.UTC(1999, 11, 31, 23, 30, 0)),
    );
  });

  it('gives the same instant as Date.UTC for every month, leap days and zones from 1601 to 9999', () => {
    const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    const two = (n: number): string => String(n).padStart(2, '0');
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const years = [1601, 1899, 1900, 1970, 1999, 2000, 2004, 2024, 2100, 2400, 9999];
    for (let k = 0; k < 2000; k++) {
      const year = k < years.length * 12 ? years[k % years.length]! : 1601 + rand(8399);
      const month = k % 12;
      const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      const day = k % 3 === 0 ? last : 1 + rand(last);
      const [h, m, sec] = [rand(24), rand(60), rand(60)];
      const zone = (rand(2) === 0 ? -1 : 1) * (rand(15) * 60 + rand(60));
      const z = `${zone < 0 ? '-' : '+'}${two(Math.floor(Math.abs(zone) / 60))}${two(Math.abs(zone) % 60)}`;
      const text = `${two(day)}-${months[month]}-${year} ${two(h)}:${two(m)}:${two(sec)} ${z}`;
      expect(parseImapDateTime(text).getTime(), text).toBe(
        Date.UTC(year, month, day, h, m - zone, sec),
      );
    }
  });

  it('round-trips with formatImapDateTime', () => {
    const d = new Date(Date.UTC(2031, 4, 9, 13, 7, 59));
    for (const off of [0, 60, -300, 345, -720, 840]) {
      const parts = parseImapDateTimeParts(formatImapDateTime(d, off));
      expect(parts.date).toEqual(d);
      expect(parts.zoneMinutes).toBe(off);
    }
  });

  it.each([
    '',
    'garbage',
    '1-Feb-1994',
    '1-Foo-1994 21:22:23 +0000',
    '32-Jan-1994 21:22:23 +0000',
    '29-Feb-1900 00:00:00 +0000',
    '01-Feb-1994 24:00:00 +0000',
    '01-Feb-1994 21:60:00 +0000',
    '01-Feb-1994 21:22:23 0000',
    '01-Feb-1994 21:22:23 +0060',
    '01-Feb-94 21:22:23 +0000',
    '  1-Feb-1994 21:22:23 +0000',
    '01-Feb-1994  21:22:23 +0000',
    '01-Feb-1994 21:22:23 +0000 ',
    '"01-Feb-1994 21:22:23 +0000',
    '01-Feb-1994 21:22:23 +000',
    '01-Feb-1994 21:22',
    '01-\u0166eb-1994 21:22:23 +0000',
    '01-F\u0165b-1994 21:22:23 +0000',
    '01-Feb-1994 21\u003a22:23 \u012b0000',
    '01-Feb-1994 2\u01311:22:23 +0000',
  ])('throws ImapParseError on %j', (s) => {
    expect(() => parseImapDateTime(s)).toThrow(ImapParseError);
  });
});

describe('parseImapDate', () => {
  it('parses a date', () => {
    expect(parseImapDate('1-Feb-1994')).toEqual({ year: 1994, month: 2, day: 1 });
    expect(parseImapDate('"29-feb-2024"')).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it('throws ImapParseError on invalid dates', () => {
    expect(() => parseImapDate('30-Feb-2024')).toThrow(ImapParseError);
    expect(() => parseImapDate('1-Feb-1994 ')).toThrow(ImapParseError);
  });
});
