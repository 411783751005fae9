import type { CommandProgress, RunOptions } from '../connection/types.js';

/**
 * Options of the commands that can run long (SEARCH, COPY, MOVE, EXPUNGE...):
 * cancellation, and the server's progress reports.
 */
export interface LongCommandOptions {
  /** Cancels the command: it rejects with an error of code `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Told the command's progress when the server reports it
   * (`[INPROGRESS]`, RFC 9585, capability INPROGRESS); servers without it
   * never call it.
   */
  onProgress?: (progress: CommandProgress) => void;
}

const NONE: Pick<RunOptions, 'signal' | 'onProgress'> = Object.freeze({});

/** The `signal` and `onProgress` of `options` for RunOptions (or further commands), only those given. @internal */
export function longCommandOptions(
  options: LongCommandOptions,
): Pick<RunOptions, 'signal' | 'onProgress'> {
  if (options.signal === undefined && options.onProgress === undefined) return NONE;
  const out: Pick<RunOptions, 'signal' | 'onProgress'> = {};
  if (options.signal !== undefined) out.signal = options.signal;
  if (options.onProgress !== undefined) out.onProgress = options.onProgress;
  return out;
}
