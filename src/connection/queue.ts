/**
 * The command queue's data: what one command carries from run() until it
 * settles ({@link Pending}), the engine-internal options of a command
 * ({@link Hooks}), the pipelining rule, and settling a command exactly once.
 */
import type { ContinuationResponse, TaggedResponse, UntaggedResponse } from '../model/response.js';
import type {
  CommandArg,
  EncodedCommand,
  EncodeOptions,
  LiteralMode,
} from '../wire/command-arg.js';
import type { ImapLimitError } from '../model/errors.js';
import { failedResult } from './errors.js';
import type { CommandResult, RunOptions } from './types.js';

/** A valid command name: one or more atoms separated by single spaces (`UID FETCH`). */
export const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*( [A-Za-z0-9][A-Za-z0-9._-]*)*$/;
/** A command name upper-cased (`UID FETCH`) and its first word (`UID`). */
export interface CommandName {
  readonly upper: string;
  readonly verb: string;
}

/** Command names seen, shared between commands (most connections use a handful). */
const commandNames = new Map<string, CommandName>();

/** The upper-cased form and first word of a valid command name; null when it is not one. */
export function commandName(command: string): CommandName | null {
  const known = commandNames.get(command);
  if (known !== undefined) return known;
  if (typeof command !== 'string' || !COMMAND_NAME.test(command)) return null;
  const upper = command.toUpperCase();
  const space = upper.indexOf(' ');
  const name = { upper, verb: space === -1 ? upper : upper.slice(0, space) };
  if (commandNames.size < 256) commandNames.set(command, name);
  return name;
}

/** A valid tag prefix. */
export const TAG_PREFIX = /^[A-Za-z0-9._-]{1,16}$/;

/** Engine-internal options of one command. */
export interface Hooks {
  /** Put the command at the head of the queue (capability refresh after LOGIN, STARTTLS). */
  front?: boolean;
  /** The engine's own command, not the caller's (capability refresh): see ImapConnection.ownCommandInFlight. */
  own?: boolean;
  /** Log and report this instead of the encoder's redacted text. */
  redacted?: string;
  /** Log `+` lines from the server and our answers as `[redacted]` (AUTHENTICATE). */
  redactContinuations?: boolean;
  /** Answer `+` continuations (takes precedence over RunOptions.onContinuation). */
  onContinuation?: (response: ContinuationResponse) => Promise<string | null> | string | null;
  /** Called synchronously on the tagged OK before anything else; a throw closes the connection. */
  onOk?: (tagged: TaggedResponse) => void;
  /** Sees every untagged response while the command is in flight. */
  observeUntagged?: (response: UntaggedResponse) => void;
  /** While true, the command timeout does not run for this command (established IDLE). */
  timeoutExempt?: () => boolean;
  /** exec(): a NO or BAD completion rejects with an ImapProtocolError. */
  check?: boolean;
}

/** The hooks of run(): none. */
export const NO_HOOKS: Hooks = Object.freeze({});
/** The hooks of exec(): NO and BAD reject. */
export const CHECKED: Hooks = Object.freeze({ check: true });

export type Phase = 'queued' | 'sending' | 'sent' | 'done';

/** A command from run() until it settles. */
export interface Pending {
  readonly tag: string;
  /** The command as given, upper-cased (`UID FETCH`). */
  readonly command: string;
  /** The command exactly as given to run(). */
  readonly given: string;
  /** Its first word (`UID`). */
  readonly verb: string;
  readonly args: readonly CommandArg[];
  readonly options: RunOptions;
  readonly hooks: Hooks;
  readonly collect: ReadonlySet<string>;
  readonly pipeline: boolean;
  encoded: EncodedCommand;
  /** The options it was encoded with (one of {@link ENCODE_OPTIONS}): re-encoded when they changed. */
  encodedFor: EncodeOptions;
  redacted: string;
  untagged: UntaggedResponse[];
  phase: Phase;
  settled: boolean;
  /**
   * Rejected already (aborted or a callback threw), or over its collection
   * limit ({@link Pending.overflow}); its responses are discarded when they come.
   */
  abandoned: boolean;
  /** Bytes its collected responses count (ConnectOptions.maxCollectedBytes), discarded ones too once over. */
  collected: number;
  /** The most {@link Pending.collected} may reach. */
  readonly collectLimit: number;
  /** Set when it went over {@link Pending.collectLimit}: the error it rejects with on its completion. */
  overflow: ImapLimitError | null;
  /**
   * Once over: the deadline by which the server must complete it. Discarded
   * data moves it on until it adds up to another collectLimit (a slow link
   * finishing a large answer), then no more (a server flooding forever).
   */
  overflowTimer: ReturnType<typeof setTimeout> | null;
  /** Its tagged completion carried a [CAPABILITY] code. */
  sawCapability: boolean;
  /**
   * The connection's count of untagged CAPABILITY announcements when it was
   * sent: another count at its completion means one arrived while it was in
   * flight (one counter, not a flag set on every command in flight per line).
   */
  capabilitiesAt: number;
  /** The connection's count of untagged responses when it was sent (see `single` reclaiming). */
  sentAt: number;
  /** That count when it last took a response. */
  takenAt: number;
  continueWaiter: { resolve: () => void; reject: (err: Error) => void } | null;
  resolve: (result: CommandResult) => void;
  reject: (err: Error) => void;
  cleanup: (() => void) | null;
}

/** The encoder options, one frozen object per literal mode and UTF-8 setting ([ascii, utf8]). */
export const ENCODE_OPTIONS: Readonly<
  Record<LiteralMode, readonly [EncodeOptions, EncodeOptions]>
> = {
  sync: [
    Object.freeze({ literalMode: 'sync', utf8: false }),
    Object.freeze({ literalMode: 'sync', utf8: true }),
  ],
  plus: [
    Object.freeze({ literalMode: 'plus', utf8: false }),
    Object.freeze({ literalMode: 'plus', utf8: true }),
  ],
  minus: [
    Object.freeze({ literalMode: 'minus', utf8: false }),
    Object.freeze({ literalMode: 'minus', utf8: true }),
  ],
  rev2: [
    Object.freeze({ literalMode: 'rev2', utf8: false }),
    Object.freeze({ literalMode: 'rev2', utf8: true }),
  ],
};

const NO_NAMES: ReadonlySet<string> = new Set();
/** Sets of one response name, shared between commands (most collect one kind). */
const singleNames = new Map<string, ReadonlySet<string>>();

/**
 * The upper-cased set of response names a command collects (shared, never
 * mutated). FETCH brings UIDFETCH (RFC 9586): the same data, named by UID.
 */
export function collectSet(names: readonly string[] | undefined): ReadonlySet<string> {
  if (names === undefined || names.length === 0) return NO_NAMES;
  if (names.length === 1) {
    const name = names[0]!;
    let set = singleNames.get(name);
    if (set === undefined) {
      set = withUidFetch(new Set([name.toUpperCase()]));
      if (singleNames.size < 256) singleNames.set(name, set);
    }
    return set;
  }
  return withUidFetch(new Set(names.map((n) => n.toUpperCase())));
}

function withUidFetch(set: Set<string>): Set<string> {
  if (set.has('FETCH')) set.add('UIDFETCH');
  return set;
}

/**
 * Most commands in flight at once; more pipelined ones wait in the queue
 * until some complete. This bounds the engine's work per response (routing
 * looks through the commands in flight) and the server's backlog, and keeps
 * the in-flight list a small array (see fifo.ts).
 */
export const MAX_IN_FLIGHT = 4096;

/**
 * RFC 9051 5.5: a pipelinable command waits only for non-pipelinable ones in
 * flight (and for room under {@link MAX_IN_FLIGHT}); any other command waits
 * until nothing is in flight.
 */
export function isBlocked(next: Pending, exclusiveInFlight: number, inFlight: number): boolean {
  return next.pipeline ? exclusiveInFlight > 0 || inFlight >= MAX_IN_FLIGHT : inFlight > 0;
}

/** Resolves the command (once). */
export function resolvePending(p: Pending, result: CommandResult): void {
  if (p.settled) return;
  p.settled = true;
  p.cleanup?.();
  p.resolve(result);
}

/** Settles the command with its result: rejects when it was exec()'d and the server said NO or BAD. */
export function completePending(p: Pending, result: CommandResult): void {
  const failure = p.hooks.check === true ? failedResult(p.given, result) : null;
  if (failure === null) resolvePending(p, result);
  else rejectPending(p, failure);
}

/** Rejects the command (once). */
export function rejectPending(p: Pending, err: Error): void {
  if (p.settled) return;
  p.settled = true;
  p.cleanup?.();
  p.reject(err);
}

/** Rejects every command in `pending`, and any literal of theirs waiting for a `+` (the connection closed). */
export function rejectAll(pending: readonly Pending[], err: Error): void {
  for (const p of pending) {
    const waiter = p.continueWaiter;
    p.continueWaiter = null;
    waiter?.reject(err);
    rejectPending(p, err);
  }
}
