/**
 * Wire tracing and redaction for one connection: every line in both
 * directions goes to `logger.trace` as `C: ...` / `S: ...`, cut to about
 * {@link TRACE_LINE_MAX} bytes, literals shown as `{n bytes}`. Secrets never
 * reach the logger: the client side logs the encoder's redacted text, and
 * AUTHENTICATE exchanges are logged as `[redacted]` in both directions.
 * @internal
 */
import type { Logger } from './types.js';

/** Longest part of a line shown in a trace entry. */
export const TRACE_LINE_MAX = 200;

/** The text shown instead of a credential or SASL payload. */
export const REDACTED = '[redacted]';

const LITERAL_AT_END = /~?\{(\d+)\+?\}\r?\n$/;

/** Makes bytes printable for a log line: control characters escaped. */
function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f]/g,
    (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'),
  );
}

/**
 * Splits the server's bytes into logical responses for the trace log. A
 * literal (`{n}` at the end of a line) is skipped and shown as `{n bytes}`;
 * the response goes on after it until a line ends without a literal.
 */
export class ServerTrace {
  /** Shown part of the current response (at most TRACE_LINE_MAX bytes). */
  #head: Buffer[] = [];
  #headLength = 0;
  /** The last bytes of the current line, to find a literal announcement. */
  #tail: Buffer = Buffer.alloc(0);
  #truncated = false;
  #literalRemaining = 0;
  readonly #emit: (line: string) => void;
  readonly #redactContinuation: () => boolean;

  constructor(emit: (line: string) => void, redactContinuation: () => boolean) {
    this.#emit = emit;
    this.#redactContinuation = redactContinuation;
  }

  /** Feeds server bytes (after decompression, before parsing). */
  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#literalRemaining > 0) {
        const n = Math.min(this.#literalRemaining, chunk.length - i);
        this.#literalRemaining -= n;
        i += n;
        continue;
      }
      const nl = chunk.indexOf(0x0a, i);
      const end = nl === -1 ? chunk.length : nl + 1;
      const piece = chunk.subarray(i, end);
      this.#append(piece);
      i = end;
      if (nl !== -1) this.#lineEnd();
    }
  }

  #append(piece: Buffer): void {
    const room = TRACE_LINE_MAX - this.#headLength;
    if (room > 0) {
      const shown = piece.length > room ? piece.subarray(0, room) : piece;
      this.#head.push(Buffer.from(shown));
      this.#headLength += shown.length;
    }
    if (piece.length > room) this.#truncated = true;
    this.#tail =
      piece.length >= 24
        ? Buffer.from(piece.subarray(piece.length - 24))
        : Buffer.concat([this.#tail, piece]).subarray(-24);
  }

  #lineEnd(): void {
    const tail = this.#tail.toString('latin1');
    this.#tail = Buffer.alloc(0);
    const m = LITERAL_AT_END.exec(tail);
    if (m !== null) {
      const size = Number(m[1]);
      this.#literalRemaining = size;
      this.#dropLineEnding();
      const marker = Buffer.from(`<${size} bytes>`);
      this.#head.push(marker);
      this.#headLength += marker.length;
      return;
    }
    this.#dropLineEnding();
    let text = Buffer.concat(this.#head).toString('utf8');
    if (this.#redactContinuation() && text.startsWith('+')) text = `+ ${REDACTED}`;
    this.#emit('S: ' + printable(text) + (this.#truncated ? ' ...' : ''));
    this.#head = [];
    this.#headLength = 0;
    this.#truncated = false;
  }

  #dropLineEnding(): void {
    // Remove the CRLF (or LF) from the shown part, if it is there.
    const last = this.#head[this.#head.length - 1];
    if (last === undefined) return;
    let cut = 0;
    if (last.length > 0 && last[last.length - 1] === 0x0a) cut++;
    if (last.length > 1 && last[last.length - 2] === 0x0d) cut++;
    if (cut > 0) {
      this.#head[this.#head.length - 1] = last.subarray(0, last.length - cut);
      this.#headLength -= cut;
    }
  }
}

/** Cuts a client line for the trace log. */
export function clientTraceLine(text: string): string {
  const shown = text.length > TRACE_LINE_MAX ? text.slice(0, TRACE_LINE_MAX) + ' ...' : text;
  return 'C: ' + printable(shown);
}

/** Calls a logger method without letting a faulty logger break the engine. */
export function safeLog(
  logger: Logger | undefined,
  level: keyof Logger,
  obj: object,
  msg: string,
): void {
  const fn = logger?.[level];
  if (fn === undefined) return;
  try {
    fn.call(logger, obj, msg);
  } catch {
    // A logger that throws must not take the connection down.
  }
}

/** One connection's log: every entry carries its `cid`; a faulty logger never breaks the engine. */
export class ConnectionLog {
  #logger: Logger | undefined;
  readonly #context: { cid: number };

  constructor(logger: Logger | undefined, cid: number) {
    this.#logger = logger;
    this.#context = { cid };
  }

  /** Replaces the logger (a server trace made earlier keeps the old one: make a new one). */
  setLogger(logger: Logger | undefined): void {
    this.#logger = logger;
  }

  debug(msg: string): void {
    safeLog(this.#logger, 'debug', this.#context, msg);
  }

  /** An error a callback or listener threw, which the engine survived. */
  error(err: unknown, msg: string): void {
    safeLog(this.#logger, 'error', { ...this.#context, err }, msg);
  }

  /** A line the client sent (or its redacted text), as `C: ...`. */
  client(text: string): void {
    if (this.#logger?.trace === undefined) return;
    safeLog(this.#logger, 'trace', this.#context, clientTraceLine(text));
  }

  /** Raw-mode input is logged by size only: the caller may be mid-authentication. */
  serverRaw(bytes: number): void {
    if (this.#logger?.trace === undefined) return;
    safeLog(this.#logger, 'trace', this.#context, `S: [${bytes} raw bytes]`);
  }

  /** A trace of the server's bytes (redacted while `authenticating()`); null when nobody traces. */
  serverTrace(authenticating: () => boolean): ServerTrace | null {
    if (this.#logger?.trace === undefined) return null;
    return new ServerTrace(
      (line) => safeLog(this.#logger, 'trace', this.#context, line),
      authenticating,
    );
  }
}
