/**
 * IMAP dates (RFC 9051 `date`, for SEARCH) and date-times (RFC 9051
 * `date-time`, for APPEND and INTERNALDATE).
 */
import { ImapArgumentError, ImapParseError } from '../model/errors.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const MONTH_INDEX = new Map<string, number>(MONTHS.map((m, i) => [m.toLowerCase(), i + 1]));

/** A calendar day without time or zone (what IMAP SEARCH dates mean). */
export interface ImapCalendarDate {
  /** Full year, 0-9999. */
  year: number;
  /** Month, 1-12. */
  month: number;
  /** Day of month, 1-31. */
  day: number;
}

/** The fields of a parsed date-time, as written (local to `zoneMinutes`), and the instant. */
export interface ImapDateTimeParts extends ImapCalendarDate {
  /** Hour, 0-23. */
  hour: number;
  /** Minute, 0-59. */
  minute: number;
  /** Second, 0-60 (60 only for a leap second, which `date` rolls into the next minute). */
  second: number;
  /** The zone offset in minutes east of UTC (`+0130` is 90, `-0800` is -480). */
  zoneMinutes: number;
  /** The instant. */
  date: Date;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

function checkDate(d: Date): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (Number.isNaN(t)) throw new ImapArgumentError('invalid Date');
  return t;
}

function checkYear(year: number): void {
  if (year < 0 || year > 9999) {
    throw new ImapArgumentError(`year ${year} cannot be written as an IMAP date (4 digits)`);
  }
}

/**
 * Formats an IMAP `date` such as `1-Feb-1994` (unquoted, for SEARCH
 * BEFORE/SINCE/ON...). IMAP dates have no time zone: a `Date` is taken as its
 * UTC calendar day; pass `{year, month, day}` to name a day explicitly.
 */
export function formatImapDate(d: Date | ImapCalendarDate): string {
  let year: number;
  let month: number;
  let day: number;
  if (d instanceof Date) {
    checkDate(d);
    year = d.getUTCFullYear();
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  } else {
    ({ year, month, day } = d);
    if (
      !Number.isInteger(year) ||
      !Number.isInteger(month) ||
      !Number.isInteger(day) ||
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth(year, month)
    ) {
      throw new ImapArgumentError(`invalid calendar date: ${year}-${month}-${day}`);
    }
  }
  checkYear(year);
  return `${day}-${MONTHS[month - 1]}-${pad4(year)}`;
}

/**
 * Formats an IMAP `date-time` such as `01-Feb-1994 21:22:23 +0000` (without
 * the surrounding quotes). By default the Date's UTC time with `+0000`; with
 * `tzOffsetMinutes` (minutes east of UTC: `60` for `+0100`, `-480` for
 * `-0800`; note `Date#getTimezoneOffset()` has the opposite sign) the local
 * time at that offset. The day is always two digits, zero-padded.
 */
export function formatImapDateTime(d: Date, tzOffsetMinutes = 0): string {
  const t = checkDate(d);
  if (!Number.isInteger(tzOffsetMinutes) || Math.abs(tzOffsetMinutes) >= 100 * 60) {
    throw new ImapArgumentError(`invalid time zone offset: ${tzOffsetMinutes} minutes`);
  }
  const local = new Date(t + tzOffsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  checkYear(year);
  const abs = Math.abs(tzOffsetMinutes);
  const zone = (tzOffsetMinutes < 0 ? '-' : '+') + pad2(Math.floor(abs / 60)) + pad2(abs % 60);
  return (
    `${pad2(local.getUTCDate())}-${MONTHS[local.getUTCMonth()]}-${pad4(year)} ` +
    `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())} ` +
    zone
  );
}

const DATE_TIME_RE =
  /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

const DATE_RE = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/;

function parseFail(what: string, s: string): ImapParseError {
  return new ImapParseError(`invalid IMAP ${what}: ${JSON.stringify(s.slice(0, 80))}`, 0);
}

function unquote(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 0x22 && s.charCodeAt(s.length - 1) === 0x22
    ? s.slice(1, -1)
    : s;
}

/**
 * Parses an IMAP `date-time` (`" 1-Feb-1994 21:22:23 +0000"`, the quotes
 * optional, the day one or two digits with or without a leading space, the
 * month case-insensitive) into its fields and the instant. Throws
 * {@link ImapParseError} on anything else, including impossible dates.
 */
export function parseImapDateTimeParts(s: string): ImapDateTimeParts {
  const m = DATE_TIME_RE.exec(unquote(s));
  if (m === null) throw parseFail('date-time', s);
  const day = Number(m[1]);
  const month = MONTH_INDEX.get(m[2]!.toLowerCase());
  const year = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const zh = Number(m[8]);
  const zm = Number(m[9]);
  if (
    month === undefined ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 60 || // a leap second rolls over to the next minute in `date`
    zm > 59
  ) {
    throw parseFail('date-time', s);
  }
  const zoneMinutes = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - zoneMinutes, second, 0);
  return { year, month, day, hour, minute, second, zoneMinutes, date };
}

/** The three letters at `i`, lower-cased, packed into one number (`jan` -> 0x6a616e). */
function monthCode(s: string, i: number): number {
  return (
    ((s.charCodeAt(i) | 0x20) << 16) |
    ((s.charCodeAt(i + 1) | 0x20) << 8) |
    (s.charCodeAt(i + 2) | 0x20)
  );
}

/** The month (1-12) named by the three letters at `i`, case-insensitive; 0 when none. */
export function monthAt(s: string, i: number): number {
  return monthByCode(monthCode(s, i));
}

/** The month (1-12) of a {@link monthCode}; 0 when none. */
function monthByCode(code: number): number {
  switch (code) {
    case 0x6a616e: // jan
      return 1;
    case 0x666562: // feb
      return 2;
    case 0x6d6172: // mar
      return 3;
    case 0x617072: // apr
      return 4;
    case 0x6d6179: // may
      return 5;
    case 0x6a756e: // jun
      return 6;
    case 0x6a756c: // jul
      return 7;
    case 0x617567: // aug
      return 8;
    case 0x736570: // sep
      return 9;
    case 0x6f6374: // oct
      return 10;
    case 0x6e6f76: // nov
      return 11;
    case 0x646563: // dec
      return 12;
    default:
      return 0;
  }
}

/** The value of the `n` ASCII digits at `i`; -1 when one is not a digit. */
export function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = s.charCodeAt(i + k) - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days in `month` (1-12) of `year`. */
export { daysInMonth };

/**
 * The usual IMAP `date-time` (`"dd-Mon-yyyy hh:mm:ss +zzzz"`, quotes and a
 * leading space optional) without regular expressions or throwaway objects:
 * milliseconds since the epoch, or NaN for anything else (then
 * {@link parseImapDateTimeParts} decides). Years below 100 are left to it.
 */
function fastImapDateTime(s: string): number {
  let i = 0;
  let end = s.length;
  if (end >= 2 && s.charCodeAt(0) === 0x22 && s.charCodeAt(end - 1) === 0x22) {
    i = 1;
    end--;
  }
  if (s.charCodeAt(i) === 0x20) i++;
  let day = digitsAt(s, i, 2);
  if (day >= 0 && s.charCodeAt(i + 2) === 0x2d) i += 3;
  else if ((day = digitsAt(s, i, 1)) >= 0 && s.charCodeAt(i + 1) === 0x2d) i += 2;
  else return NaN;
  if (end - i !== 23) return NaN; // Mon-yyyy hh:mm:ss +zzzz
  return dateTimeTail(s, i, day, 0x2d, 100);
}

/**
 * The `Mon?yyyy hh:mm:ss +zzzz` tail at `i`, shared by IMAP date-times (`-`
 * between month and year) and RFC 5322 Date: headers (a space): the instant in
 * epoch milliseconds for day `day`, or NaN when anything is off.
 * @internal
 */
export function dateTimeTail(
  s: string,
  i: number,
  day: number,
  separator: number,
  minYear: number,
): number {
  // Everything is computed for every date, without branches that only some
  // dates take: optimized code then never meets an untried path (a
  // deoptimization and a recompilation) as a mailbox's dates go by. The 23
  // characters are read once into a scratch array (one charCodeAt site, not
  // 25 inlined ones: a much smaller graph for TurboFan to compile in a fresh
  // process); past the string's end they read as 0, which no check accepts.
  const c = TAIL;
  const n = s.length - i;
  for (let k = 0; k < 23; k++) c[k] = k < n ? s.charCodeAt(i + k) : 0;
  const month = monthOf(c[0]!, c[1]!, c[2]!);
  const century = twoDigitCodes(c[4]!, c[5]!);
  const yy = twoDigitCodes(c[6]!, c[7]!);
  const hour = twoDigitCodes(c[9]!, c[10]!);
  const minute = twoDigitCodes(c[12]!, c[13]!);
  const second = twoDigitCodes(c[15]!, c[16]!);
  const sign = c[18]!;
  const zh = twoDigitCodes(c[19]!, c[20]!);
  const zm = twoDigitCodes(c[21]!, c[22]!);
  const year = century * 100 + yy;
  const leap = +(year % 4 === 0) - +(year % 100 === 0) + +(year % 400 === 0);
  const monthDays = MONTH_DAYS[month]! + +(month === 2) * leap;
  if (
    month === 0 ||
    century < 0 ||
    yy < 0 ||
    c[3] !== separator ||
    c[8] !== 0x20 ||
    c[11] !== 0x3a ||
    c[14] !== 0x3a ||
    c[17] !== 0x20 ||
    (sign !== 0x2b && sign !== 0x2d) ||
    year < minYear ||
    day < 1 ||
    day > monthDays ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 60 ||
    zh < 0 ||
    zm < 0 ||
    zm > 59
  ) {
    return NaN;
  }
  const zoneMinutes = (0x2c - sign) * (zh * 60 + zm); // `+` is 0x2b, `-` 0x2d
  // Days since 1970-01-01: whole years, their leap days, then this year's.
  const before = year - 1;
  const days =
    (year - 1970) * 365 +
    (((before / 4) | 0) - ((before / 100) | 0) + ((before / 400) | 0) - 477) + // before >= 99
    DAYS_BEFORE[month]! +
    +(month > 2) * leap +
    day -
    1;
  // Date.UTC(year, month - 1, day, hour, minute - zoneMinutes, second), in plain arithmetic.
  return (days * 86400 + hour * 3600 + (minute - zoneMinutes) * 60 + second) * 1000;
}

/** Days of each month (1-12) in a common year; [0] is 0. */
const MONTH_DAYS = Uint8Array.of(0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31);
/** Days of a common year before each month (1-12). */
const DAYS_BEFORE = Uint16Array.of(0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334);

/** The characters of the date-time tail being checked (UTF-16 code units, kept exact). */
const TAIL = new Uint16Array(23);

/** The value of two ASCII digit codes; -1 when either is not a digit. */
function twoDigitCodes(x: number, y: number): number {
  const a = x - 0x30;
  const b = y - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The month (1-12) of three character codes, any case; 0 when none. */
function monthOf(x: number, y: number, z: number): number {
  // Codes above 0xff could alias a month once shifted: rule them out.
  if ((x | y | z) > 0xff) return 0;
  return monthByCode(((x | 0x20) << 16) | ((y | 0x20) << 8) | (z | 0x20));
}

/** Parses an IMAP `date-time` into the instant it names; see {@link parseImapDateTimeParts}. */
export function parseImapDateTime(s: string): Date {
  const t = fastImapDateTime(s);
  if (t === t) return new Date(t); // not NaN
  return parseImapDateTimeParts(s).date;
}

/**
 * Parses an IMAP `date` (`1-Feb-1994`, quotes optional, month
 * case-insensitive) into a calendar day. Throws {@link ImapParseError}.
 */
export function parseImapDate(s: string): ImapCalendarDate {
  const m = DATE_RE.exec(unquote(s));
  if (m === null) throw parseFail('date', s);
  const day = Number(m[1]);
  const month = MONTH_INDEX.get(m[2]!.toLowerCase());
  const year = Number(m[3]);
  if (month === undefined || day < 1 || day > daysInMonth(year, month)) {
    throw parseFail('date', s);
  }
  return { year, month, day };
}
