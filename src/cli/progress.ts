/**
 * A progress bar on stderr for export and import, drawn only when stderr is
 * a terminal (never in pipes, logs or tests), redrawn at most every 100 ms.
 */
import type { Writable } from 'node:stream';
import { formatBytes } from './output.js';

/** Progress of a run over messages and bytes. */
export interface Progress {
  /** `bytes` more have been transferred. */
  addBytes(bytes: number): void;
  /** One more message is done. */
  addMessage(): void;
  /** Clears the bar (call before printing anything else on stderr). */
  finish(): void;
}

const WIDTH = 24;
const REDRAW_MS = 100;

class TerminalProgress implements Progress {
  #messages = 0;
  #bytes = 0;
  #lastDraw = 0;
  #drawn = false;

  constructor(
    readonly stream: Writable,
    readonly label: string,
    readonly totalMessages: number,
    readonly totalBytes: number | null,
  ) {}

  addBytes(bytes: number): void {
    this.#bytes += bytes;
    this.#maybeDraw();
  }

  addMessage(): void {
    this.#messages++;
    this.#maybeDraw(this.#messages === this.totalMessages);
  }

  finish(): void {
    if (this.#drawn) this.stream.write('\r\x1b[K');
    this.#drawn = false;
  }

  #maybeDraw(force = false): void {
    const now = Date.now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const total = this.totalBytes ?? 0;
    const fraction =
      total > 0
        ? Math.min(1, this.#bytes / total)
        : this.totalMessages > 0
          ? this.#messages / this.totalMessages
          : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar = '#'.repeat(filled) + '-'.repeat(WIDTH - filled);
    const bytes =
      total > 0 ? `${formatBytes(this.#bytes)}/${formatBytes(total)}` : formatBytes(this.#bytes);
    this.stream.write(
      `\r\x1b[K${this.label} [${bar}] ${this.#messages}/${this.totalMessages} messages, ${bytes}`,
    );
    this.#drawn = true;
  }
}

const NONE: Progress = {
  addBytes: () => undefined,
  addMessage: () => undefined,
  finish: () => undefined,
};

/** A progress bar on `stream` when `enabled` (stderr is a TTY), else one that draws nothing. */
export function createProgress(
  stream: Writable,
  enabled: boolean,
  label: string,
  totalMessages: number,
  totalBytes: number | null,
): Progress {
  return enabled ? new TerminalProgress(stream, label, totalMessages, totalBytes) : NONE;
}

/** A server's progress report on a long command (`[INPROGRESS]`, RFC 9585). */
export interface ServerProgressReport {
  count: number | null;
  total: number | null;
}

/**
 * The status line of a server's progress report: `searching INBOX: 40%
 * (400/1000)`, or the count alone when the server does not know the total
 * (`searching INBOX: 400`), or `searching INBOX...` when it says neither.
 */
export function formatServerProgress(label: string, p: ServerProgressReport): string {
  if (p.count === null) return `${label}...`;
  if (p.total === null || p.total <= 0) return `${label}: ${p.count}`;
  const percent = Math.min(100, Math.floor((p.count / p.total) * 100));
  return `${label}: ${percent}% (${p.count}/${p.total})`;
}

/** Shows the server's progress reports of a long command on one redrawn stderr line. */
export interface ServerProgress {
  /** The command's `onProgress`. */
  readonly onProgress: (p: ServerProgressReport) => void;
  /** Clears the line (call before printing anything else on stderr). */
  finish(): void;
}

/**
 * A {@link ServerProgress} drawing on `stream` when `enabled` (stderr is a
 * terminal and --json was not given), redrawn at most every 100 ms unless
 * the command is done; else one that draws nothing. Servers without
 * INPROGRESS never report, so nothing is drawn.
 */
export function createServerProgress(
  stream: Writable,
  enabled: boolean,
  label: string,
): ServerProgress {
  let drawn = false;
  let lastDraw = 0;
  return {
    onProgress: (p) => {
      if (!enabled) return;
      const now = Date.now();
      const done = p.count !== null && p.total !== null && p.count >= p.total;
      if (!done && drawn && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      stream.write(`\r\x1b[K${formatServerProgress(label, p)}`);
      drawn = true;
    },
    finish: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
