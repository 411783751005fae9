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
