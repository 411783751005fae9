/**
 * imaplib's module functions: Internaldate2tuple, Int2AP, ParseFlags,
 * Time2Internaldate, with CPython's inputs and outputs.
 */

import { readFileSync } from 'node:fs';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Python's `time.struct_time`, as a plain object. `tm_mon` is 1-12,
 * `tm_wday` 0 (Monday) to 6, `tm_yday` 1-366, as in Python.
 */
export interface StructTime {
  /** The year, e.g. 2024. */
  tm_year: number;
  /** The month, 1-12. */
  tm_mon: number;
  /** The day of the month, 1-31. */
  tm_mday: number;
  /** The hour, 0-23. */
  tm_hour: number;
  /** The minute, 0-59. */
  tm_min: number;
  /** The second, 0-59. */
  tm_sec: number;
  /** The day of the week, 0 (Monday) to 6. */
  tm_wday: number;
  /** The day of the year, 1-366. */
  tm_yday: number;
  /** The C library's `tm_isdst`, from the zone's tzdata: 1 when its local time type is DST, else 0 (Time2Internaldate uses `tm_gmtoff`, not this). */
  tm_isdst: number;
  /** Offset from UTC in seconds, east positive (Python's tm_gmtoff). */
  tm_gmtoff: number;
}

/**
 * CPython's `InternalDate` as `re.match` uses it: anchored at the start, its
 * `.*` stops at the first LF (Python's `.`; JavaScript's also stops at CR).
 * Unanchored, the leading `.*` was tried from every position: quadratic on
 * text without a match (80 KB took 5.5 s).
 * @internal exported for the tests
 */
export const INTERNALDATE =
  /^[^\n]*INTERNALDATE "([ 0123][0-9])-([A-Z][a-z][a-z])-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([-+])([0-9]{2})([0-9]{2})"/;

function toBytes(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

/** A Date at midnight UTC of `year`-`month`-`day`, years 0-99 included (Date.UTC maps them to 1900-1999). */
function utcDate(year: number, month: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d;
}

/** The local-time struct of an instant (what Python's time.localtime gives). */
export function localtime(epochSeconds: number): StructTime {
  const d = new Date(epochSeconds * 1000);
  const year = d.getFullYear();
  const yday =
    Math.round(
      (utcDate(year, d.getMonth(), d.getDate()).getTime() - utcDate(year, 0, 1).getTime()) /
        86_400_000,
    ) + 1;
  const gmtoff = -d.getTimezoneOffset() * 60;
  return {
    tm_year: year,
    tm_mon: d.getMonth() + 1,
    tm_mday: d.getDate(),
    tm_hour: d.getHours(),
    tm_min: d.getMinutes(),
    tm_sec: d.getSeconds(),
    tm_wday: (d.getDay() + 6) % 7,
    tm_yday: yday,
    tm_isdst: isDst(d, gmtoff),
    tm_gmtoff: gmtoff,
  };
}

/** A zone's TZif data: what `tm_isdst` is read from, as the C library does. */
interface Zone {
  /** Transition instants, epoch seconds, ascending. */
  times: number[];
  /** The local time type of each transition. */
  typeOf: Uint8Array;
  /** isdst of each local time type. */
  dst: Uint8Array;
  /** The footer's rule for instants after the last transition (RFC 8536 3.3): null when absent. */
  rule: { stdOff: number; hasDst: boolean } | null;
}

const zones = new Map<string, Zone | null>();
let zoneFor: { tz: string | undefined; name: string } | null = null;

/** The zone Date uses (read again when process.env.TZ changes, as Node then switches zones). */
function zoneName(): string {
  const tz = process.env['TZ'];
  if (zoneFor === null || zoneFor.tz !== tz) {
    zoneFor = { tz, name: new Intl.DateTimeFormat().resolvedOptions().timeZone };
  }
  return zoneFor.name;
}

/** The TZif file of `name` under /usr/share/zoneinfo (or $TZDIR), parsed once; null when unreadable. */
function loadZone(name: string): Zone | null {
  if (zones.has(name)) return zones.get(name)!;
  let zone: Zone | null = null;
  try {
    if (/(^|\/)\.\.(\/|$)/.test(name)) throw new Error('bad zone name');
    const dir = process.env['TZDIR'] || '/usr/share/zoneinfo';
    zone = parseTzif(readFileSync(`${dir}/${name}`));
  } catch {
    zone = null;
  }
  zones.set(name, zone);
  return zone;
}

/** RFC 8536: the version 2+ data block (64-bit times) and footer; null for anything else. */
function parseTzif(buf: Buffer): Zone | null {
  /** A header's six counts (RFC 8536 3.1): isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt. */
  type Counts = [number, number, number, number, number, number];
  const counts = (at: number): Counts =>
    [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + 4 * i)) as Counts;
  if (buf.toString('latin1', 0, 4) !== 'TZif' || buf[4] === 0) return null;
  // Skip the version 1 block (32-bit times).
  const [isut1, isstd1, leap1, time1, type1, char1] = counts(0);
  const at = 44 + time1 * 5 + type1 * 6 + char1 + leap1 * 8 + isstd1 + isut1;
  if (buf.toString('latin1', at, at + 4) !== 'TZif') return null;
  const [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at);
  let p = at + 44;
  const times: number[] = [];
  for (let i = 0; i < timecnt; i++, p += 8) times.push(Number(buf.readBigInt64BE(p)));
  const typeOf = Uint8Array.from(buf.subarray(p, p + timecnt));
  p += timecnt;
  const dst = new Uint8Array(typecnt);
  for (let i = 0; i < typecnt; i++, p += 6) dst[i] = buf[p + 4]!;
  p += charcnt + leap * 12 + isstd + isut;
  const footer = buf.toString('latin1', p).split('\n')[1] ?? '';
  // std name (alphabetic, or quoted in <>), then its offset, hours west of UTC.
  const m = /^(?:[A-Za-z]{3,}|<[^>]+>)([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?(.*)$/.exec(
    footer,
  );
  let rule: Zone['rule'] = null;
  if (m) {
    const west = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0);
    rule = { stdOff: m[1] === '-' ? west : -west, hasDst: m[5]!.length > 0 };
  }
  return { times, typeOf, dst, rule };
}

/**
 * `tm_isdst` as the C library gives it: the isdst flag of the zone's local
 * time type in effect (from its TZif file; after the last transition, the
 * footer rule: DST when the offset is not the standard one). So Europe/Dublin
 * has isdst 1 in winter (tzdata's negative DST, as glibc reports it) and
 * Moscow's permanent +04 of 2011-2014 has 0. Without a readable zone file
 * (e.g. TZ set to a POSIX rule, or no zoneinfo), an approximation: DST when
 * the offset is the larger of January's and July's.
 */
function isDst(d: Date, gmtoff: number): number {
  const name = zoneName();
  const zone = name ? loadZone(name) : null;
  if (zone) {
    const t = Math.floor(d.getTime() / 1000);
    const { times } = zone;
    if (times.length === 0 || t < times[0]!) {
      if (times.length === 0 && zone.rule)
        return zone.rule.hasDst && gmtoff !== zone.rule.stdOff ? 1 : 0;
      return zone.dst[0] ?? 0;
    }
    if (t >= times[times.length - 1]! && zone.rule) {
      return zone.rule.hasDst && gmtoff !== zone.rule.stdOff ? 1 : 0;
    }
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return zone.dst[zone.typeOf[lo]!] ?? 0;
  }
  const year = d.getFullYear();
  const jan = new Date(d.getTime());
  jan.setFullYear(year, 0, 1);
  const jul = new Date(d.getTime());
  jul.setFullYear(year, 6, 1);
  const janOff = jan.getTimezoneOffset();
  const julOff = jul.getTimezoneOffset();
  return janOff !== julOff && d.getTimezoneOffset() === Math.min(janOff, julOff) ? 1 : 0;
}

/**
 * Parses an INTERNALDATE from a FETCH response (`... INTERNALDATE "17-Jul-1996
 * 02:44:25 -0700" ...`) into local time, or null when it has the wrong format.
 */
export function Internaldate2tuple(resp: Buffer | string): StructTime | null {
  const m = INTERNALDATE.exec(toBytes(resp).toString('latin1'));
  if (!m) return null;
  const mon = MONTHS.indexOf(m[2]!);
  if (mon < 0) return null;
  let zone = (Number(m[8]) * 60 + Number(m[9])) * 60;
  if (m[7] === '-') zone = -zone;
  const utc =
    utcDate(Number(m[3]), mon, Number(m[1])).getTime() / 1000 +
    Number(m[4]) * 3600 +
    Number(m[5]) * 60 +
    Number(m[6]) -
    zone;
  return localtime(utc);
}

/** Converts a number to imaplib's A-P string (base 16 with letters), as bytes. */
export function Int2AP(num: number): Buffer {
  const AP = 'ABCDEFGHIJKLMNOP';
  let n = Math.trunc(Math.abs(num));
  let val = '';
  while (n) {
    val = AP[n % 16]! + val;
    n = Math.floor(n / 16);
  }
  return Buffer.from(val, 'latin1');
}

/** Extracts the flags of a `FLAGS (...)` response as a list of bytes; [] when absent. */
export function ParseFlags(resp: Buffer | string): Buffer[] {
  // What CPython's `.*FLAGS \((?P<flags>[^\)]*)\)` matches (the last `FLAGS (`
  // closed by a `)`), found without a regex: that one backtracked
  // quadratically on long text without a match.
  // As `re.match` with Python's `.`, `FLAGS (` must start before the first
  // LF (the flags themselves may span lines).
  const text = toBytes(resp).toString('latin1');
  const close = text.lastIndexOf(')');
  if (close < 7) return [];
  const lf = text.indexOf('\n');
  const start = text.lastIndexOf('FLAGS (', lf === -1 ? close - 7 : Math.min(close - 7, lf));
  if (start === -1) return [];
  const inner = text.slice(start + 7, text.indexOf(')', start + 7));
  return inner
    .split(/[ \t\n\r\f\v]+/)
    .filter((s) => s.length > 0)
    .map((s) => Buffer.from(s, 'latin1'));
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function format(
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  offsetSeconds: number,
): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const zone = `${sign}${pad2(Math.floor(abs / 3600))}${pad2(Math.floor((abs % 3600) / 60))}`;
  return `"${pad2(day)}-${MONTHS[month - 1]}-${String(year).padStart(4, '0')} ${pad2(h)}:${pad2(m)}:${pad2(s)} ${zone}"`;
}

/**
 * Converts a time to INTERNALDATE form `"DD-Mmm-YYYY HH:MM:SS +HHMM"`.
 * Accepts epoch seconds (formatted in local time, like Python), a Date
 * (local time), a {@link StructTime} (its tm_gmtoff is used), or a string
 * already in double quotes (returned as is). Anything else throws a
 * TypeError, like Python's ValueError.
 */
export function Time2Internaldate(dateTime: number | Date | StructTime | string): string {
  if (typeof dateTime === 'string') {
    if (dateTime.length > 0 && dateTime.startsWith('"') && dateTime.endsWith('"')) return dateTime;
    throw new TypeError('date_time not of a known type');
  }
  if (typeof dateTime === 'number' || dateTime instanceof Date) {
    const ms = typeof dateTime === 'number' ? Math.floor(dateTime) * 1000 : dateTime.getTime();
    if (!Number.isFinite(ms)) throw new TypeError('date_time not of a known type');
    const d = new Date(ms);
    return format(
      d.getFullYear(),
      d.getMonth() + 1,
      d.getDate(),
      d.getHours(),
      d.getMinutes(),
      d.getSeconds(),
      -d.getTimezoneOffset() * 60,
    );
  }
  if (typeof dateTime === 'object' && dateTime !== null && 'tm_year' in dateTime) {
    return format(
      dateTime.tm_year,
      dateTime.tm_mon,
      dateTime.tm_mday,
      dateTime.tm_hour,
      dateTime.tm_min,
      dateTime.tm_sec,
      dateTime.tm_gmtoff,
    );
  }
  throw new TypeError('date_time not of a known type');
}
