/**
 * What every subcommand module provides (its options, usage and run
 * function) and what it gets to run with.
 */
import type { ClientOptions, ImapClient } from '../index.js';
import type { OptionSpecs, OptionValues } from './args.js';
import type { CliIo } from './io.js';
import type { Output } from './output.js';

/** What a subcommand runs with. */
export interface RunContext {
  io: CliIo;
  out: Output;
  /** Parsed options (global and the command's own). */
  values: OptionValues;
  /** Positional arguments after the command name. */
  args: string[];
  /** Aborted on Ctrl-C. */
  signal: AbortSignal | undefined;
  /** Progress bars may be drawn (stderr is a terminal and --json was not given). */
  progress: boolean;
  /** Connects and logs in; the client is logged out when the command ends. */
  connect(extra?: Partial<ClientOptions>): Promise<ImapClient>;
}

/** One subcommand of `imapkit`. */
export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  /** One line for the command list. */
  summary: string;
  /** Usage line(s) after `imapkit `. */
  usage: string;
  /** Paragraphs shown by `--help`. */
  description: string;
  examples?: readonly string[];
  options: OptionSpecs;
  /** Positionals may be search terms, so `-word` is a negated term rather than options. */
  queryTerms?: boolean;
  /** How many positional arguments it takes. */
  args: { min: number; max: number };
  /** Runs the command; the exit status (0 when nothing is returned). */
  run(ctx: RunContext): Promise<number | void>;
}
