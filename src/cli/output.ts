/**
 * Output: human text (aligned tables) or machine-readable JSON. JSON
 * values are plain: bigint as a decimal string, Set as an array, Map as an
 * object, Date as an ISO string, Buffers left out.
 */
import type { Writable } from 'node:stream';
import { write } from './io.js';

/** A JSON.stringify replacer for imapkit's values. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Set) return [...(value as Set<unknown>)];
  if (value instanceof Map) return Object.fromEntries(value as Map<string, unknown>);
  if (Buffer.isBuffer(value)) return undefined;
  if (
    value !== null &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return undefined; // a Buffer after its own toJSON()
  }
  return value;
}

/** One value as JSON text (no newline). */
export function toJson(value: unknown, pretty = false): string {
  return JSON.stringify(value, jsonReplacer, pretty ? 2 : undefined) ?? 'null';
}

/** Where a command writes its results. */
export class Output {
  readonly #stdout: Writable;
  readonly #stderr: Writable;
  /** `--json` was given. */
  readonly json: boolean;

  constructor(stdout: Writable, stderr: Writable, json: boolean) {
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.json = json;
  }

  /** The stdout stream (for raw message bytes). */
  get stdout(): Writable {
    return this.#stdout;
  }

  /** One JSON document (pretty-printed). */
  document(value: unknown): Promise<void> {
    return write(this.#stdout, toJson(value, true) + '\n');
  }

  /** One JSON Lines record. */
  record(value: unknown): Promise<void> {
    return write(this.#stdout, toJson(value) + '\n');
  }

  /** Human text on stdout (a newline is added). */
  line(text = ''): Promise<void> {
    return write(this.#stdout, text + '\n');
  }

  /** A message for the person at the terminal, on stderr (never mixed with results). */
  note(text: string): Promise<void> {
    return write(this.#stderr, text + '\n');
  }

  /** A warning on stderr. */
  warn(text: string): Promise<void> {
    return write(this.#stderr, `imapkit: warning: ${text}\n`);
  }

  /** An aligned table on stdout. */
  async table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): Promise<void> {
    await write(this.#stdout, formatTable(headers, rows));
  }
}

/** Control characters (from a server's text) shown as `?` so they cannot drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Multi-line text (a message body) with control characters other than LF and TAB shown as `?`. */
export function printableText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** Display width of a string, approximating East Asian wide characters as 2 columns. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w +=
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd)
        ? 2
        : 1;
  }
  return w;
}

/** Cuts `text` to at most `max` columns, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = displayWidth(ch);
    if (w + cw > max - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

/** A table with columns padded to their widest cell; the last column is not padded. */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const all = [headers, ...rows].map((r) => r.map(printable));
  // A loop, not Math.max(...): spreading 130,000+ rows overflows the stack.
  const widths = headers.map((_, i) => {
    let w = 0;
    for (const r of all) w = Math.max(w, displayWidth(r[i] ?? ''));
    return w;
  });
  return all
    .map((r) =>
      r
        .map((cell, i) =>
          i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - displayWidth(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .map((l) => l + '\n')
    .join('');
}

/** Bytes as `1.4 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
