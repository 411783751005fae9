/**
 * imaplib's module functions: Internaldate2tuple, Int2AP, ParseFlags,
 * Time2Internaldate, with CPython's inputs and outputs.
 */

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
  /** 1 when daylight saving time is in effect, else 0 (Time2Internaldate uses `tm_gmtoff`, not this). */
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

/** The local-time struct of an instant (what Python's time.localtime gives). */
export function localtime(epochSeconds: number): StructTime {
  const d = new Date(epochSeconds * 1000);
  const start = new Date(d.getFullYear(), 0, 1);
  const startOfDay = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const yday = Math.round((startOfDay.getTime() - start.getTime()) / 86_400_000) + 1;
  const jan = new Date(d.getFullYear(), 0, 1).getTimezoneOffset();
  const jul = new Date(d.getFullYear(), 6, 1).getTimezoneOffset();
  const isDst = jan !== jul && d.getTimezoneOffset() === Math.min(jan, jul) ? 1 : 0;
  return {
    tm_year: d.getFullYear(),
    tm_mon: d.getMonth() + 1,
    tm_mday: d.getDate(),
    tm_hour: d.getHours(),
    tm_min: d.getMinutes(),
    tm_sec: d.getSeconds(),
    tm_wday: (d.getDay() + 6) % 7,
    tm_yday: yday,
    tm_isdst: isDst,
    tm_gmtoff: -d.getTimezoneOffset() * 60,
  };
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
    Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000 -
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
  const text = toBytes(resp).toString('latin1');
  const close = text.lastIndexOf(')');
  if (close < 7) return [];
  const start = text.lastIndexOf('FLAGS (', close - 7);
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
