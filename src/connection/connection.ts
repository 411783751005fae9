/**
 * One IMAP connection (RFC 9051): transport, TLS/STARTTLS, COMPRESS, tags,
 * the command queue and pipelining, continuations, routing of untagged data,
 * the connection state machine, IDLE, SASL and timeouts. It knows nothing of
 * the meaning of individual commands beyond what the state machine needs.
 * It coordinates smaller pieces: setup.ts (endpoint and post-greeting
 * negotiation), queue.ts (the command record, pipelining rule), writer.ts
 * (corked, back-pressured writes), receiver.ts (literal sinks, mailbox
 * events), router.ts (which command collects a response), continuations.ts
 * (answering `+`), capabilities.ts (announced and enabled capabilities),
 * read-pauses.ts (pauseReading), transitions.ts (the state machine),
 * command-timer.ts (the command timeout), compress.ts and starttls.ts (the
 * stream switches), greeting.ts, idle.ts, auth.ts, raw-mode.ts, logging.ts
 * and errors.ts.
 */
import { EventEmitter } from 'node:events';
import type { Duplex, Writable } from 'node:stream';
import {
  ImapArgumentError,
  ImapCapabilityError,
  ImapConnectionError,
  ImapLimitError,
  ImapStateError,
} from '../model/errors.js';
import type { Response, TaggedResponse, UntaggedResponse } from '../model/response.js';
import type { ResponseCode } from '../model/response-code.js';
import type { SecretLike } from '../model/secret.js';
import { astring, secret } from '../wire/args.js';
import type { CommandArg, EncodedCommand, LiteralMode } from '../wire/command-arg.js';
import { encodeCommand } from '../wire/encoder.js';
import { ResponseParser } from '../wire/parser.js';
import { authenticate as saslAuthenticate, type AuthHost } from './auth.js';
import { Capabilities } from './capabilities.js';
import { CommandTimer } from './command-timer.js';
import { startCompression, type StartedCompression } from './compress.js';
import { onContinuation, waitContinue, type ContinuationHost } from './continuations.js';
import {
  abortError,
  asConnectionError,
  asError,
  byeError,
  closedError,
  collectedOverLimitError,
  pendingCloseError,
  serverClosedError,
} from './errors.js';
import { GreetingWaiter, refusedGreetingError } from './greeting.js';
import { IdleSession, type IdleHandle, type IdleHost, type IdleOptions } from './idle.js';
import { ConnectionLog, REDACTED, type ServerTrace } from './logging.js';
import {
  CHECKED,
  collectSet,
  commandName,
  completePending,
  isBlocked,
  NO_HOOKS,
  rejectAll,
  rejectPending,
  TAG_PREFIX,
  type Hooks,
  type Pending,
  type Phase,
} from './queue.js';
import type { MailboxEvent } from './mailbox-state.js';
import { RawMode } from './raw-mode.js';
import { ReadPauses } from './read-pauses.js';
import type { BatchedReader } from './reader.js';
import { applyMailbox, enableRequests, literalSinkFor, type Selecting } from './receiver.js';
import { nextCollector, offer } from './router.js';
import { resolveEndpoint, setUpSession } from './setup.js';
import { starttlsMissingError, starttlsRefusedError, tlsInjectionError } from './starttls.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_TLS_TIMEOUT,
  openTransport,
  upgradeToTls,
  type Transport,
} from './transport.js';
import type {
  AuthOptions,
  CommandProgress,
  CommandResult,
  ConnectionEvents,
  ConnectionState,
  ConnectOptions,
  CorrelatedReceiver,
  Logger,
  RunOptions,
  SelectedMailbox,
} from './types.js';
import { COLLECTED_RESPONSE_OVERHEAD, DEFAULT_MAX_COLLECTED_BYTES } from './types.js';
import { applyTaggedCode, beforeSend, transition, type StateMachineHost } from './transitions.js';
import { MAX_TIMER_MS, timerDelay } from './timer-delay.js';
import { Fifo } from './fifo.js';
import { SocketWriter } from './writer.js';

/** Default per-command idle timeout (ms). */
const DEFAULT_COMMAND_TIMEOUT = 120_000;
/** Default greeting timeout (ms). */
const DEFAULT_GREETING_TIMEOUT = 30_000;
/** Default IDLE restart (ms): under the 29 minutes of RFC 2177. */
const DEFAULT_IDLE_RESTART = 25 * 60_000;
/** Default streaming threshold for literals (bytes). */
const DEFAULT_STREAM_THRESHOLD = 1 << 20;
/** Default LOGOUT wait (ms). */
const DEFAULT_LOGOUT_TIMEOUT = 10_000;
/** At most this many `[ALERT]`s, of at most this many characters in all, wait for a listener. */
const MAX_EARLY_ALERTS = 16;
const MAX_EARLY_ALERT_CHARS = 64 * 1024;

let connectionIds = 0;

/** The tag prefix to use (default `A`); throws ImapArgumentError when it is not a safe atom. */
function checkedTagPrefix(prefix: string = 'A'): string {
  if (!TAG_PREFIX.test(prefix)) {
    throw new ImapArgumentError(`invalid tag prefix ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** A collection limit (maxCollectedBytes): a positive number, Infinity allowed; throws ImapArgumentError. */
function checkedCollectLimit(limit: number = DEFAULT_MAX_COLLECTED_BYTES): number {
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit <= 0) {
    throw new ImapArgumentError(`maxCollectedBytes must be a number > 0 (got ${String(limit)})`);
  }
  return limit;
}

/** STARTTLS or COMPRESS: after its tagged OK the bytes on the wire change meaning. */
function isSwitch(p: Pending): boolean {
  return p.verb === 'STARTTLS' || p.verb === 'COMPRESS';
}

/** Index of the in-flight command tagged `tag` (usually the oldest), or -1. */
function indexOfTag(inFlight: readonly Pending[], tag: string): number {
  for (let i = 0; i < inFlight.length; i++) if (inFlight[i]!.tag === tag) return i;
  return -1;
}

/**
 * One IMAP connection. Create it with {@link ImapConnection.connect}; run
 * commands with {@link ImapConnection.run} / {@link ImapConnection.exec};
 * listen to {@link ConnectionEvents} for unsolicited data.
 *
 * Commands are queued in order. A command with `pipeline: true` is sent
 * while other pipelinable commands are in flight (RFC 9051 5.5); any other
 * command waits until everything in flight has completed and blocks later
 * commands until it completes. Each resolves on its tagged response.
 *
 * The engine never stops reading on its own: untagged data is dispatched as
 * it arrives, synchronously, so a slow consumer cannot deadlock the
 * connection (see {@link ImapConnection.pauseReading} for bounded buffering).
 */
export class ImapConnection extends EventEmitter<ConnectionEvents> {
  /** A small number naming this connection in log entries (`cid`). */
  readonly connectionId: number;
  readonly #options: ConnectOptions;
  readonly #host: string;
  readonly #port: number;
  readonly #log: ConnectionLog;
  readonly #tagPrefix: string;
  /** ConnectOptions.maxCollectedBytes, checked. */
  readonly #maxCollected: number;
  #socket: Transport['socket'];
  /** Batches the socket's bytes when it was opened with `onread` (see reader.ts). */
  #reader: BatchedReader | null;
  #secure: boolean;
  #parser: ResponseParser;
  #trace: ServerTrace | null;
  /** setLogger() asked for a trace, which starts at the next response boundary. */
  #traceWanted = false;
  #compression: StartedCompression | null = null;

  #state: ConnectionState = 'not-authenticated';
  readonly #caps: Capabilities;
  #greeting: UntaggedResponse | null = null;
  /** Raw byte mode (imaplib's send/readline/read): incoming bytes bypass the parser. */
  readonly #raw = new RawMode();
  readonly #greetingWait = new GreetingWaiter();
  #selected: SelectedMailbox | null = null;
  #selecting: Selecting | null = null;

  #tagCounter = 0;
  #queue = new Fifo<Pending>();
  #inFlight: Pending[] = [];
  /**
   * The command whose bytes are being written (null when none): nothing
   * else is sent meanwhile. It may have completed already (a server may
   * answer a non-synchronizing literal before reading it), so the command
   * timer watches it too (see CommandTimerHost.writing).
   */
  #writing: Pending | null = null;
  /** #pump's loop is running (a #send that completes synchronously does not recurse into it). */
  #pumping = false;
  /** In-flight commands that are not pipelinable (a pipelinable one waits for them). */
  #exclusiveInFlight = 0;
  /** In-flight commands with an observeUntagged hook (most have none: no loop per response). */
  #observers = 0;
  /** Untagged CAPABILITY responses and codes so far (see Pending.capabilitiesAt). */
  #capabilityCount = 0;
  /** The ENABLE commands in flight: what a `* ENABLED` may confirm (not a walk of every command in flight). */
  #enabling: Pending[] = [];
  /** STARTTLS handshake in progress: nothing may be sent or read. */
  #switching = false;
  /** STARTTLS or COMPRESS in flight: read line by line to find the switch point. */
  #switchCommand: Pending | null = null;
  /**
   * STARTTLS or COMPRESS commands queued: read line by line too, since a
   * completion in the middle of a read may send one (see {@link #onPlain}).
   */
  #switchQueued = 0;
  /**
   * A read is being parsed whole (not line by line): a STARTTLS or COMPRESS
   * queued meanwhile (from a callback) waits until it is parsed, so that
   * nothing after its tagged OK can be in that read.
   */
  #feedingWhole = false;
  /** Set by the tagged OK of STARTTLS/COMPRESS: called with the bytes after it. */
  #switchAction: ((rest: Buffer) => void) | null = null;
  #authenticating = 0;

  #closed = false;
  readonly #closedPromise: Promise<void>;
  #markClosed!: () => void;
  #bye: { text: string; code: ResponseCode | null } | null = null;
  #loggingOut = false;

  /** Pauses from pauseReading(), each tied to the command it bounds (null: the next one sent). */
  readonly #pauses = new ReadPauses();
  /** The command whose onUntagged callback is running. */
  #delivering: Pending | null = null;
  /** The command that took the last routed untagged response (where the next is offered first). */
  #lastTaker: Pending | null = null;
  /** Untagged responses received after the greeting (orders sends and takes, for {@link #reclaimSingle}). */
  #untaggedCount = 0;
  /** Routing the current response passed an abandoned or finished collector. */
  #swallowed = false;
  /** The first over-limit command that passed on the response being routed (see #discarded). */
  #swallower: Pending | null = null;
  /**
   * The first live command that declined the response being routed with
   * `'unless-wanted'` (a second response for a message it already has): it
   * takes the response when no other command does.
   */
  #fallback: Pending | null = null;
  #readPaused = false;
  readonly #timer: CommandTimer;
  /** The state machine's view of this connection. */
  readonly #machine: StateMachineHost = {
    state: () => this.#state,
    setState: (state) => this.#setState(state),
    selected: () => this.#selected,
    setSelected: (mailbox) => {
      const left = this.#selected !== null && mailbox !== this.#selected;
      this.#selected = mailbox;
      if (left && this.#correlated.size > 0) this.#endCorrelated(null);
    },
    selecting: () => this.#selecting,
    setSelecting: (selecting) => {
      this.#selecting = selecting;
    },
    setCapabilities: (caps) => this.#caps.set(caps),
    clearEnabled: () => this.#caps.clearEnabled(),
    emitAlert: (text) => this.#alert(text),
    emitReadonly: () => this.#emit('readonly'),
    emitUidValidity: (previous, current) => this.#emit('uidvalidity', previous, current),
    startLogout: () => {
      this.#loggingOut = true;
    },
    setSwitchCommand: (p) => {
      this.#switchCommand = p;
    },
    startAuthenticating: () => {
      this.#authenticating++;
    },
    refreshCapabilities: (p) => this.#refreshCapabilities(p),
    beginTls: () => this.#beginTls(),
    beginCompression: () => this.#beginCompression(),
  };
  readonly #writer = new SocketWriter({
    output: () => this.#output(),
    socket: () => this.#socket,
    closed: () => this.#closed,
    onActivity: () => this.#timer.markActivity(),
  });
  /** Answering the server's continuation requests (continuations.ts). */
  readonly #continuations: ContinuationHost = {
    closed: () => this.#closed,
    writeLine: (line, redact) => this.#writeLine(line, redact),
    close: (error) => this.close(error),
  };
  #idle: IdleSession | null = null;
  /**
   * `[ALERT]` texts that arrived before anyone listened for `alert`: those of
   * the greeting and the login come before `connect()` returns, when no
   * listener can have been added, and RFC 9051 7.1 says the user MUST see
   * them. Handed to the first `alert` listener; null from then on.
   */
  #earlyAlerts: string[] | null = [];
  #earlyAlertChars = 0;
  /** Receivers of correlated responses by command tag (search/sort contexts, RFC 5267 4.3). */
  readonly #correlated = new Map<string, CorrelatedReceiver>();

  private constructor(options: ConnectOptions, transport: Transport, host: string, port: number) {
    super();
    this.connectionId = ++connectionIds;
    this.#options = options;
    this.#host = host;
    this.#port = port;
    this.#log = new ConnectionLog(options.logger, this.connectionId);
    this.#caps = new Capabilities(this.#log);
    this.#tagPrefix = checkedTagPrefix(options.tagPrefix);
    this.#maxCollected = checkedCollectLimit(options.maxCollectedBytes);
    this.#timer = new CommandTimer(
      {
        inFlight: () => this.#inFlight,
        writing: () => this.#writing,
        inactive: () => this.#readPaused || this.#closed,
        onTimeout: (err) => this.close(err),
      },
      options.timeouts?.command ?? DEFAULT_COMMAND_TIMEOUT,
    );
    this.#socket = transport.socket;
    this.#reader = transport.reader ?? null;
    this.#secure = transport.secure;
    this.#parser = this.#newParser(true);
    this.#trace = this.#log.serverTrace(() => this.#authenticating > 0);
    this.#closedPromise = new Promise<void>((resolve) => {
      this.#markClosed = resolve;
    });
    this.#attach(this.#socket);
    (this as EventEmitter).on('newListener', this.#onNewListener);
  }

  /** The first `alert` listener gets the alerts nobody heard yet (after it is added). */
  readonly #onNewListener = (event: string | symbol): void => {
    if (event !== 'alert') return;
    (this as EventEmitter).off('newListener', this.#onNewListener);
    queueMicrotask(() => {
      const early = this.#earlyAlerts ?? [];
      this.#earlyAlerts = null; // alerts arriving now are emitted as they come
      for (const text of early) this.#emit('alert', text);
    });
  };

  /** Emits `alert`, or keeps the text until someone listens (see #earlyAlerts). */
  #alert(text: string): void {
    const early = this.#earlyAlerts;
    if (early === null) {
      this.#emit('alert', text);
      return;
    }
    // Bounded: a server cannot make an unheard connection hold more.
    if (
      early.length >= MAX_EARLY_ALERTS ||
      this.#earlyAlertChars + text.length > MAX_EARLY_ALERT_CHARS
    ) {
      return;
    }
    early.push(text);
    this.#earlyAlertChars += text.length;
  }

  /**
   * Connects, waits for the greeting, learns the capabilities, runs STARTTLS
   * when `security` is `starttls` (the default when a port other than 993
   * is given), then
   * logs in (`auth`), and negotiates `compress`, `id` and `enable` when
   * asked and offered. On any failure the connection is closed and the
   * promise rejects with a typed error: {@link ImapConnectionError} (codes
   * CONNECTION_FAILED, CONNECTION_TIMEOUT, CONNECTION_BYE, TLS_REQUIRED,
   * TLS_INJECTION, ...) or {@link ImapProtocolError} for a refused login.
   */
  static async connect(options: ConnectOptions): Promise<ImapConnection> {
    checkedTagPrefix(options.tagPrefix); // caller errors before any connection is made
    checkedCollectLimit(options.maxCollectedBytes);
    const { host, port, security } = resolveEndpoint(options);
    const transport = await openTransport({
      host,
      port,
      security,
      tls: options.tls,
      stream: options.stream,
      localAddress: options.localAddress,
      connectTimeout: options.timeouts?.connect ?? DEFAULT_CONNECT_TIMEOUT,
      tlsTimeout: options.timeouts?.tls ?? DEFAULT_TLS_TIMEOUT,
    });
    let conn: ImapConnection;
    try {
      conn = new ImapConnection(options, transport, host, port);
    } catch (err) {
      transport.socket.destroy();
      throw err;
    }
    try {
      await conn.#greetingWait.wait(options.timeouts?.greeting ?? DEFAULT_GREETING_TIMEOUT, (err) =>
        conn.close(err),
      );
      await setUpSession(conn, options, security);
      return conn;
    } catch (err) {
      conn.close(asError(err));
      throw err;
    }
  }

  // ------------------------------------------------------------------
  // Properties

  /** The server's capabilities, upper-cased (refreshed after STARTTLS and login). */
  get capabilities(): ReadonlySet<string> {
    return this.#caps.announced;
  }

  /** Whether the server announced `name` (case-insensitive). */
  hasCapability(name: string): boolean {
    return this.#caps.announced.has(name.toUpperCase());
  }

  /** The connection state (RFC 9051 3). */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The server's greeting (`* OK`, `* PREAUTH`), once received. */
  get greeting(): UntaggedResponse | null {
    return this.#greeting;
  }

  /** Extensions the server confirmed with `* ENABLED` (upper-cased). */
  get enabled(): ReadonlySet<string> {
    return this.#caps.enabled;
  }

  /** The selected mailbox, kept up to date from untagged data; null when none. Do not mutate. */
  get selected(): Readonly<SelectedMailbox> | null {
    return this.#selected;
  }

  /**
   * Routes the `* ESEARCH (TAG "tag") ...` responses that no command in
   * flight takes to `receiver` (RFC 4466 search correlator; the updates of
   * a RFC 5267 context, which keep coming after its command completed),
   * until the returned function is called, the selected mailbox changes
   * (`receiver.end(null)`) or the connection closes (`receiver.end(error)`).
   * A receiver registered for a command still queued is not ended by a
   * mailbox change queued before it.
   */
  correlate(tag: string, receiver: CorrelatedReceiver): () => void {
    if (this.#closed) {
      receiver.end(closedError());
      return () => undefined;
    }
    this.#correlated.set(tag, receiver);
    return () => {
      if (this.#correlated.get(tag) === receiver) this.#correlated.delete(tag);
    };
  }

  /** Ends the correlated receivers (all of them when `error` is set; else those whose command was sent). */
  #endCorrelated(error: Error | null): void {
    for (const [tag, receiver] of [...this.#correlated]) {
      if (error === null && this.#queue.some((p) => p.tag === tag)) continue;
      this.#correlated.delete(tag);
      try {
        receiver.end(error);
      } catch (err) {
        this.#log.error(err, 'a correlated receiver threw');
      }
    }
  }

  /**
   * Replaces the `logger` given at connect (undefined: none), e.g. to start
   * or stop the wire trace of a running connection. A trace started now
   * begins with the next response the server starts (never in the middle of
   * one, where a literal's content would be taken for lines).
   */
  setLogger(logger: Logger | undefined): void {
    this.#log.setLogger(logger);
    if (logger?.trace === undefined) {
      this.#trace = null;
      this.#traceWanted = false;
    } else if (this.#trace === null) {
      this.#traceWanted = true; // the running trace, if any, writes to the new logger
      this.#startTraceAtBoundary();
    }
  }

  /** Starts the trace {@link setLogger} asked for once no partial response is buffered. */
  #startTraceAtBoundary(): void {
    if (!this.#traceWanted || !this.#parser.idle) return;
    this.#traceWanted = false;
    this.#trace = this.#log.serverTrace(() => this.#authenticating > 0);
  }

  /** TLS is active (implicit TLS or after STARTTLS). */
  get secure(): boolean {
    return this.#secure;
  }

  /** COMPRESS=DEFLATE is active. */
  get compressed(): boolean {
    return this.#compression !== null;
  }

  /** How literals are sent, from LITERAL+ / LITERAL- (IMAP4rev2 alone: `rev2`, LITERAL- but for binary literals). */
  get literalMode(): LiteralMode {
    return this.#caps.literalMode;
  }

  /** UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051 appendix E) is enabled: mailbox names and strings go as UTF-8. */
  get utf8Enabled(): boolean {
    return this.#caps.utf8;
  }

  /** The server sent mailbox name `name`, which is not valid modified UTF-7: it is sent as it is from now on. */
  noteRawMailboxName(name: string): void {
    this.#caps.noteRawMailboxName(name);
  }

  /**
   * True while the only commands in flight are the engine's own: the
   * CAPABILITY it sends after LOGIN, AUTHENTICATE, UNAUTHENTICATE or
   * STARTTLS when it was not told the capabilities. An `untagged` listener
   * can tell from it that a CAPABILITY response answers that command, not
   * one of the caller's (the imaplib facade does not record those).
   */
  get ownCommandInFlight(): boolean {
    const inFlight = this.#inFlight;
    if (inFlight.length === 0) return false;
    for (const p of inFlight) if (p.hooks.own !== true) return false;
    return true;
  }

  /** The connection is closed (after LOGOUT, close() or a failure). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The current transport: a net.Socket, a tls.TLSSocket (after STARTTLS, a
   * new one), or the caller's stream. Low level (imaplib's `socket()`):
   * reading from or writing to it directly corrupts the session.
   */
  get socket(): Duplex {
    return this.#socket;
  }

  /**
   * Writes bytes to the server as they are (through COMPRESS when active),
   * outside the command queue (imaplib's `send()`). The caller is
   * responsible for what the server answers: a tagged response with a tag
   * the engine did not send closes the connection as a desync. Logged as
   * `C: [n raw bytes]`, never with its content.
   */
  writeRaw(data: Buffer): void {
    if (this.#closed) throw closedError();
    this.#log.client(`[${data.length} raw bytes]`);
    this.#writer.write(data).catch(() => undefined);
    this.#compression?.flush();
  }

  /**
   * Raw byte mode, for imaplib's `send()` / `readline()` / `read()`: from now
   * on the bytes the server sends are handed to {@link readRaw} instead of
   * the parser, so a conversation the caller writes by hand (with tags the
   * engine never issued) cannot desynchronise it. Only allowed when no
   * command is queued or in flight. Idempotent.
   */
  beginRaw(): void {
    if (this.#closed) throw closedError();
    if (this.#raw.active) return;
    if (this.#inFlight.length > 0 || this.#queue.length > 0 || this.#idle !== null) {
      throw new ImapStateError('raw mode needs a connection with no command running');
    }
    this.#raw.begin();
  }

  /** The next bytes received in raw mode; null once the connection is closed. */
  readRaw(): Promise<Buffer | null> {
    return this.#raw.read(() => this.#closed);
  }

  /**
   * Leaves raw mode. `unconsumed` (bytes the caller read but did not use)
   * and everything received since go back to the parser, which must find
   * them at a response boundary.
   */
  endRaw(unconsumed: Buffer = Buffer.alloc(0)): void {
    const rest = this.#raw.end(unconsumed);
    if (rest === null) return;
    if (rest.length > 0 && !this.#closed) this.#onPlain(Buffer.concat(rest));
  }

  /** True while in raw byte mode. */
  get rawMode(): boolean {
    return this.#raw.active;
  }

  // ------------------------------------------------------------------
  // Running commands

  /**
   * Queues a command and resolves with its tagged response (OK, NO or BAD —
   * NO and BAD do not throw) and the untagged responses it collected.
   *
   * Rejects with {@link ImapArgumentError} before anything is sent when an
   * argument cannot be encoded, and with {@link ImapConnectionError} when the
   * connection fails before the tagged response (CONNECTION_CLOSED,
   * CONNECTION_BYE, CONNECTION_TIMEOUT, PARSE, LIMIT...), or with code
   * ABORTED when `options.signal` aborts.
   *
   * Abort: a command still queued is removed and never sent. One already
   * sent cannot be cancelled in IMAP: its promise rejects at once, and its
   * responses (untagged data it collects, big literals, the tagged
   * completion) are discarded when they arrive, so the connection stays
   * consistent. A non-pipelined command still blocks the queue until its
   * tagged response arrives.
   *
   * SELECT/EXAMINE, CLOSE/UNSELECT, LOGIN/AUTHENTICATE/UNAUTHENTICATE,
   * STARTTLS, COMPRESS and LOGOUT update the connection state as their
   * completions arrive, whether they come through run() or the helpers. A
   * command queued while IDLE runs ends the IDLE (DONE) first.
   */
  run(
    command: string,
    args: readonly CommandArg[] = [],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    return this.#enqueue(command, args, options, NO_HOOKS);
  }

  /**
   * Like {@link ImapConnection.run}, but a NO or BAD completion throws an
   * {@link ImapProtocolError} with the server's text and response code.
   */
  exec(
    command: string,
    args: readonly CommandArg[] = [],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    try {
      return this.#enqueue(command, args, options, CHECKED);
    } catch (err) {
      return Promise.reject(err); // as from an async function
    }
  }

  /**
   * Pauses reading from the server until the returned function is called
   * (pauses nest: reading resumes when every one is released). Meant for a
   * consumer that turns a command's responses into an async iterator and
   * wants to bound its buffer.
   *
   * A pause belongs to one command: the one whose `onUntagged` callback or
   * literal sink is running when it is taken, else the oldest in flight,
   * else the next one sent. To make deadlocks impossible it only holds while
   * that command is the only one in flight and nothing is queued: as soon as
   * another command is queued (for example a STORE issued from inside a loop
   * over a FETCH iterator), reading resumes by itself so the FETCH can
   * complete and the STORE can run; once its command has completed, a pause
   * has no effect.
   * The command timeout does not run while reading is paused.
   */
  pauseReading(): () => void {
    const pause = this.#pauses.take(this.#delivering ?? this.#inFlight[0] ?? null);
    this.#updateReading();
    return () => {
      if (!this.#pauses.release(pause)) return;
      this.#updateReading();
    };
  }

  // ------------------------------------------------------------------
  // Commands the engine drives itself

  /** CAPABILITY: refreshes and returns {@link ImapConnection.capabilities}. */
  async capability(): Promise<ReadonlySet<string>> {
    await this.exec('CAPABILITY', [], { collect: ['CAPABILITY'] });
    return this.#caps.announced;
  }

  /** NOOP (pipelinable): lets the server report mailbox changes. */
  noop(): Promise<CommandResult> {
    return this.exec('NOOP', [], { pipeline: true });
  }

  /**
   * STARTTLS (RFC 9051 6.2.1). Requires the STARTTLS capability (else an
   * ImapConnectionError TLS_REQUIRED, nothing sent). The certificate is
   * verified with the connection's `tls` options. Bytes received after the
   * OK and before the handshake close the connection (TLS_INJECTION). After
   * the handshake, capabilities are asked again.
   */
  async starttls(): Promise<void> {
    if (this.#secure) throw new ImapStateError('TLS is already active');
    if (this.#compression !== null)
      throw new ImapStateError('STARTTLS is impossible after COMPRESS');
    if (this.#state !== 'not-authenticated') {
      throw new ImapStateError('STARTTLS is only allowed before login');
    }
    if (!this.hasCapability('STARTTLS')) throw starttlsMissingError();
    const result = await this.run('STARTTLS');
    if (result.tagged.status !== 'OK') throw starttlsRefusedError(result.tagged, result.command);
  }

  /**
   * LOGIN (RFC 9051 6.2.3). The password is sent as a secret argument, so it
   * is `[redacted]` in logs and errors. Refused without sending anything when
   * the server announces LOGINDISABLED. Throws ImapProtocolError on NO/BAD.
   */
  async login(username: string, password: SecretLike): Promise<CommandResult> {
    if (this.#state !== 'not-authenticated') {
      throw new ImapStateError(`LOGIN is not allowed in the ${this.#state} state`);
    }
    if (this.hasCapability('LOGINDISABLED')) {
      throw new ImapStateError(
        'the server disabled LOGIN (LOGINDISABLED): use STARTTLS or AUTHENTICATE',
      );
    }
    return this.exec('LOGIN', [astring(username), secret(password)]);
  }

  /**
   * Authenticates: SASL AUTHENTICATE with `credentials.mechanism`, or the
   * strongest mechanism the server offers for the credentials (SCRAM-SHA-256
   * first), with SASL-IR when offered; `LOGIN-COMMAND` uses LOGIN. SCRAM's
   * server signature is verified; a server that fails it gets the connection
   * closed (ImapConnectionError AUTH). NO/BAD throws ImapProtocolError (e.g.
   * code AUTHENTICATIONFAILED).
   */
  async authenticate(credentials: AuthOptions): Promise<CommandResult> {
    if (this.#state !== 'not-authenticated') {
      throw new ImapStateError(`AUTHENTICATE is not allowed in the ${this.#state} state`);
    }
    return saslAuthenticate(this.#authHost(), credentials);
  }

  /**
   * COMPRESS DEFLATE (RFC 4978). Everything after the OK is compressed in
   * both directions, transparently. Throws ImapCapabilityError without
   * COMPRESS=DEFLATE and ImapProtocolError on NO (e.g. COMPRESSIONACTIVE).
   */
  async compress(): Promise<void> {
    if (this.#compression !== null) return;
    if (!this.hasCapability('COMPRESS=DEFLATE')) throw new ImapCapabilityError('COMPRESS=DEFLATE');
    await this.exec('COMPRESS', [{ type: 'atom', value: 'DEFLATE' }]);
  }

  /** ID (RFC 2971): sends `fields` (or NIL) and returns the server's fields (null for NIL). */
  async id(fields: Map<string, string | null> | null): Promise<Map<string, string | null> | null> {
    if (!this.hasCapability('ID')) throw new ImapCapabilityError('ID');
    let arg: CommandArg = { type: 'nil' };
    if (fields !== null && fields.size > 0) {
      const items: CommandArg[] = [];
      for (const [key, value] of fields) {
        items.push({ type: 'string', value: key });
        items.push(value === null ? { type: 'nil' } : { type: 'string', value });
      }
      arg = { type: 'list', items };
    }
    const result = await this.exec('ID', [arg], { collect: ['ID'], pipeline: true });
    for (const r of result.untagged) if (r.name === 'ID') return r.params;
    return null;
  }

  /** ENABLE (RFC 5161, RFC 9051 6.3.1): returns the extensions the server confirmed. */
  async enable(extensions: readonly string[]): Promise<ReadonlySet<string>> {
    // ENABLE is part of IMAP4rev2 (RFC 9051 6.3.1), which need not list it.
    if (!this.hasCapability('ENABLE') && !this.hasCapability('IMAP4rev2')) {
      throw new ImapCapabilityError('ENABLE');
    }
    const args: CommandArg[] = extensions.map((e) => ({ type: 'atom', value: e }));
    const result = await this.exec('ENABLE', args, { collect: ['ENABLED'] });
    const confirmed = new Set<string>();
    for (const r of result.untagged) {
      if (r.name === 'ENABLED') for (const c of r.capabilities) confirmed.add(c.toUpperCase());
    }
    return confirmed;
  }

  /**
   * IDLE (RFC 2177): resolves once the server accepted IDLE (its `+`).
   * Untagged data while idling is emitted as events (and given to
   * `onUntagged`). IDLE is restarted before `timeouts.idleRestart`. Any
   * command issued while idling ends IDLE with DONE first; IDLE resumes by
   * itself when the connection is quiet again, until `handle.done()`.
   * Without the IDLE capability, the handle polls with NOOP every
   * `pollInterval` ms instead.
   */
  async idle(options: IdleOptions = {}): Promise<IdleHandle> {
    if (this.#closed) throw closedError();
    if (this.#idle !== null) {
      throw new ImapStateError('already idling: call done() on the current IdleHandle first');
    }
    if (this.#state !== 'authenticated' && this.#state !== 'selected') {
      throw new ImapStateError(`IDLE is not allowed in the ${this.#state} state`);
    }
    const session = new IdleSession(
      this.#idleHost(),
      options,
      this.hasCapability('IDLE') ? 'idle' : 'poll',
    );
    this.#idle = session;
    await session.start();
    return session;
  }

  /**
   * LOGOUT (RFC 9051 6.1.3): resolves once the server said BYE and OK and
   * the connection is closed, or when the connection closes, or after
   * `timeoutMs` (then the connection is closed anyway). Never rejects.
   */
  async logout(timeoutMs: number = DEFAULT_LOGOUT_TIMEOUT): Promise<void> {
    if (this.#closed) return;
    // Stop idling for good; the queued LOGOUT ends a running IDLE with DONE.
    void this.#idle?.done();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const delay = timerDelay(timeoutMs);
    const timeout = new Promise<void>((resolve) => {
      if (delay === null) return; // no timeout: wait for the server
      timer = setTimeout(resolve, delay);
      timer.unref?.();
    });
    try {
      await Promise.race([this.run('LOGOUT').catch(() => undefined), this.#closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
      this.close();
    }
  }

  /**
   * Closes the connection now (no LOGOUT). Every queued or in-flight command
   * rejects with an ImapConnectionError (CONNECTION_CLOSED, or `error` itself
   * when it is an ImapConnectionError); the `close` event fires once with
   * `error` (null when none). Idempotent.
   */
  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'logout';
    this.#timer.clear();
    const pendingError = pendingCloseError(error);
    const pending = [...this.#inFlight, ...this.#queue.toArray()];
    this.#inFlight = [];
    this.#lastTaker = null;
    this.#exclusiveInFlight = 0;
    this.#observers = 0;
    this.#enabling = [];
    this.#queue.clear();
    this.#switchQueued = 0;
    rejectAll(pending, pendingError);
    this.#raw.wake();
    this.#writer.closed(pendingError);
    this.#greetingWait.take()?.reject(pendingError);
    const idle = this.#idle;
    this.#idle = null;
    idle?.abandon();
    if (this.#correlated.size > 0) this.#endCorrelated(pendingError);
    this.#detach(this.#socket);
    this.#socket.on('error', () => undefined); // late socket errors must not crash the process
    this.#compression?.destroy();
    this.#socket.destroy();
    this.#log.debug(error === undefined ? 'closed' : `closed: ${error.message}`);
    this.#markClosed();
    this.#emit('close', error ?? null);
  }

  // ------------------------------------------------------------------
  // Queue and sending

  #enqueue(
    command: string,
    args: readonly CommandArg[],
    options: RunOptions,
    hooks: Hooks,
  ): Promise<CommandResult> {
    if (this.#closed) return Promise.reject(closedError());
    // A command ends raw byte mode: what arrived since goes to the parser.
    if (this.#raw.active) this.endRaw();
    const name = commandName(command);
    if (name === null) {
      return Promise.reject(
        new ImapArgumentError(`invalid command name ${JSON.stringify(String(command))}`),
      );
    }
    const { upper, verb } = name;
    const tag = `${this.#tagPrefix}${this.#tagCounter}`;
    const mode = this.#caps.encodeOptions();
    let encoded: EncodedCommand;
    try {
      encoded = encodeCommand(tag, command, args, mode);
    } catch (err) {
      return Promise.reject(err); // nothing sent, no tag used
    }
    const continuation = hooks.onContinuation ?? options.onContinuation;
    const collect = collectSet(options.collect);
    // A command answering continuations must be alone on the wire.
    const pipeline = options.pipeline === true && continuation === undefined;
    let resolve!: (r: CommandResult) => void;
    let reject!: (e: Error) => void;
    let collectLimit = this.#maxCollected;
    if (options.maxCollectedBytes !== undefined) {
      try {
        collectLimit = checkedCollectLimit(options.maxCollectedBytes);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const promise = new Promise<CommandResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const p: Pending = {
      tag,
      command: upper,
      given: command,
      verb,
      args,
      options,
      hooks,
      collect,
      pipeline,
      encoded,
      encodedFor: mode,
      redacted: hooks.redacted === undefined ? encoded.redacted : `${tag} ${hooks.redacted}`,
      untagged: [],
      phase: 'queued',
      settled: false,
      abandoned: false,
      collected: 0,
      collectLimit,
      overflow: null,
      overflowTimer: null,
      sawCapability: false,
      capabilitiesAt: 0,
      sentAt: 0,
      takenAt: 0,
      continueWaiter: null,
      resolve,
      reject,
      cleanup: null,
    };
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(p, signal));
    // The tag is used (and told) only now that the command will be queued.
    this.#tagCounter++;
    options.onTag?.(tag);
    if (signal !== undefined) {
      const onAbort = (): void => this.#abort(p, signal);
      signal.addEventListener('abort', onAbort, { once: true });
      p.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    if (hooks.front === true) this.#queue.unshift(p);
    else this.#queue.push(p);
    if (isSwitch(p)) this.#switchQueued++;
    this.#updateReading();
    this.#pump();
    return promise;
  }

  #abort(p: Pending, signal: AbortSignal): void {
    if (p.settled) return;
    const err = abortError(p, signal);
    if (p.phase === 'queued') {
      this.#queue.remove(p);
      if (isSwitch(p)) this.#switchQueued--;
      rejectPending(p, err);
      this.#afterChange();
      return;
    }
    // Sent: IMAP cannot cancel it; discard its responses when they come.
    p.abandoned = true;
    rejectPending(p, err);
  }

  /**
   * Sends the next commands the pipelining rules allow. A command whose
   * bytes are written without waiting (no literal to wait for, no
   * back-pressure) completes #send synchronously, and the loop goes on with
   * the next: commands issued in one tick are written in one go (and, the
   * socket being corked until the tick ends, leave in one TLS record).
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#writing === null && !this.#closed && !this.#switching) {
        const next = this.#queue.peek();
        if (next === undefined) return;
        const blocked = isBlocked(next, this.#exclusiveInFlight, this.#inFlight.length);
        if (blocked) {
          this.#idle?.interrupt();
          return;
        }
        if (this.#feedingWhole && isSwitch(next)) return; // #onPlain sends it after the read
        this.#queue.shift();
        if (isSwitch(next)) this.#switchQueued--;
        this.#send(next);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Sends one command. The usual case (data parts only, no back-pressure)
   * runs synchronously, without a promise; a part that must wait (drain, a
   * synchronizing literal's `+`, a stream literal) hands the rest over to
   * {@link #sendRest}.
   */
  #send(p: Pending): void {
    this.#writing = p;
    p.phase = 'sending';
    p.sentAt = this.#untaggedCount;
    p.capabilitiesAt = this.#capabilityCount;
    this.#inFlight.push(p);
    if (p.verb === 'ENABLE') this.#enabling.push(p);
    if (!p.pipeline) this.#exclusiveInFlight++;
    if (p.hooks.observeUntagged !== undefined) this.#observers++;
    this.#pauses.claim(p);
    this.#updateReading();
    beforeSend(this.#machine, p);
    try {
      const mode = this.#caps.encodeOptions();
      if (p.encodedFor !== mode) {
        p.encoded = encodeCommand(p.tag, p.given, p.args, mode);
        if (p.hooks.redacted === undefined) p.redacted = p.encoded.redacted;
      }
      this.#log.client(p.redacted);
      this.#timer.markActivity();
      this.#timer.arm(p);
      const parts = p.encoded.parts;
      for (let i = 0; i < parts.length; i++) {
        if (this.#closed) break;
        const part = parts[i]!;
        if (part.type !== 'data') {
          void this.#sendRest(p, i, null);
          return;
        }
        if (!this.#writer.writeNow(part.data)) {
          void this.#sendRest(p, i + 1, this.#writer.drained());
          return;
        }
      }
      this.#compression?.flush();
      if (p.phase === 'sending') p.phase = 'sent';
    } catch (err) {
      this.#sendFailed(p, err);
    }
    this.#writing = null;
    this.#pump();
  }

  /** The rest of {@link #send} from part `from`, once `waiting` (a drain) is over. */
  async #sendRest(p: Pending, from: number, waiting: Promise<void> | null): Promise<void> {
    try {
      if (waiting !== null) await waiting;
      const parts = p.encoded.parts;
      for (let i = from; i < parts.length; i++) {
        if (this.#closed) break;
        const part = parts[i]!;
        // A refused synchronizing literal is never sent; but the bytes of a
        // non-synchronizing literal and the rest of its line are, since the
        // server reads them whatever it answered.
        if (part.type === 'data') {
          if (!this.#writer.writeNow(part.data)) await this.#writer.drained();
        } else if (part.type === 'continue') {
          if ((p.phase as Phase) === 'done') break;
          this.#compression?.flush();
          await waitContinue(p);
          if ((p.phase as Phase) === 'done') break;
        } else {
          await this.#writer.pipeLiteral(part.stream, part.size);
        }
      }
      this.#compression?.flush();
      if (p.phase === 'sending') p.phase = 'sent';
    } catch (err) {
      this.#sendFailed(p, err);
    } finally {
      this.#writing = null;
    }
    this.#pump();
  }

  /** Half a command is on the wire: the connection cannot be trusted any more. */
  #sendFailed(p: Pending, err: unknown): void {
    if (this.#closed) return;
    rejectPending(p, asError(err));
    this.close(asConnectionError(err, `sending ${p.command} failed`));
  }

  #output(): Writable {
    return this.#compression?.output ?? this.#socket;
  }

  /** Writes one line answering a continuation (or DONE). */
  #writeLine(line: string, redact: boolean): void {
    if (this.#closed) return;
    if (/[\r\n]/.test(line)) {
      this.close(
        new ImapConnectionError('CONNECTION_CLOSED', 'a continuation answer contained CR or LF'),
      );
      return;
    }
    this.#log.client(redact ? REDACTED : line);
    this.#writer.write(Buffer.from(line + '\r\n', 'utf8')).catch(() => undefined);
    this.#compression?.flush();
    this.#timer.arm();
  }

  // ------------------------------------------------------------------
  // Receiving

  #newParser(greeting: boolean): ResponseParser {
    return new ResponseParser({
      ...this.#options.limits,
      streamThreshold: this.#options.streamThreshold ?? DEFAULT_STREAM_THRESHOLD,
      literalSink: (info) => literalSinkFor(this.#inFlight, info, this.#asCommand),
      keepRaw: this.#options.keepRaw === true,
      greeting,
      // Dispatch each response before the rest of the chunk is parsed, so a
      // large literal right after a completion is routed with current state.
      onResponse: (r) => {
        if (!this.#closed) this.#dispatch(r);
      },
    });
  }

  #attach(socket: Transport['socket']): void {
    if (this.#reader !== null) this.#reader.attach(this.#onData);
    else socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onSocketError);
  }

  #detach(socket: Transport['socket']): void {
    this.#reader?.detach();
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('close', this.#onEnd);
    socket.off('error', this.#onSocketError);
  }

  readonly #onData = (chunk: Buffer | string): void => {
    if (this.#closed) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.#timer.onBytes(buf.length);
    if (this.#compression !== null) {
      this.#compression.input.write(buf);
      return;
    }
    this.#onPlain(buf);
  };

  readonly #onEnd = (): void => {
    if (this.#closed) return;
    this.#reader?.flush(); // what the server sent before it closed comes first
    if (this.#closed) return;
    const compression = this.#compression;
    // Let the inflater hand over what it still holds (e.g. BYE and the last
    // completions) before failing anything.
    if (compression !== null && !compression.endInput()) return;
    if (this.#loggingOut) {
      this.close();
      return;
    }
    this.close(serverClosedError(this.#bye));
  };

  readonly #onSocketError = (err: Error): void => {
    if (this.#closed) return;
    this.#reader?.flush();
    if (this.#closed) return;
    this.close(
      new ImapConnectionError('CONNECTION_CLOSED', `connection error: ${err.message}`, {
        cause: err,
      }),
    );
  };

  /** Plain (decrypted, decompressed) server bytes. */
  #onPlain(buf: Buffer): void {
    if (this.#closed) return;
    if (this.#raw.active) {
      this.#log.serverRaw(buf.length);
      this.#raw.push(buf);
      return;
    }
    this.#trace?.push(buf);
    if (this.#switchCommand === null && this.#switchQueued === 0) {
      this.#feedingWhole = true;
      try {
        this.#feed(buf);
      } finally {
        this.#feedingWhole = false;
      }
      if (this.#switchQueued > 0) this.#pump(); // queued by a callback during the read
    } else {
      // STARTTLS / COMPRESS in flight: feed line by line so the bytes after
      // the tagged OK's CRLF are known exactly. Queued too: a completion
      // early in this read may send it, and a tagged OK to it further on
      // (a server answering ahead) must not be parsed with what follows it
      // as trusted data.
      let start = 0;
      while (start < buf.length && !this.#closed) {
        const nl = buf.indexOf(0x0a, start);
        const end = nl === -1 ? buf.length : nl + 1;
        this.#feed(buf.subarray(start, end));
        start = end;
        const action = this.#switchAction;
        if (action !== null) {
          this.#switchAction = null;
          action(buf.subarray(start));
          break;
        }
      }
    }
    if (this.#traceWanted) this.#startTraceAtBoundary();
    this.#afterData();
  }

  #feed(buf: Buffer): void {
    // Responses are dispatched by the parser's onResponse as each completes,
    // so those finished before bad bytes are delivered before the failure.
    try {
      this.#parser.push(buf);
    } catch (err) {
      if (!this.#closed) this.close(asConnectionError(err, 'unreadable server data'));
    }
  }

  #afterData(): void {
    if (this.#closed) return;
    if (this.#bye !== null && !this.#loggingOut && !this.#greetingWait.pending) {
      this.close(byeError(this.#bye));
      return;
    }
    // Data adds no command: a running timer's deadline stays the earliest.
    if (!this.#timer.running) this.#timer.arm();
  }

  #dispatch(r: Response): void {
    this.#timer.onResponse();
    if (r.kind === 'tagged') this.#onTagged(r);
    else if (r.kind === 'continuation') onContinuation(this.#inFlight, r, this.#continuations);
    else this.#onUntagged(r);
  }

  #onGreeting(r: UntaggedResponse): void {
    const waiter = this.#greetingWait.take();
    this.#greeting = r;
    this.#emit('untagged', r);
    if (r.name === 'OK' || r.name === 'PREAUTH') {
      if (r.code?.name === 'ALERT') this.#alert(r.text);
      if (r.code?.name === 'CAPABILITY') this.#caps.set(r.code.capabilities);
      if (r.name === 'PREAUTH') this.#setState('authenticated');
      waiter?.resolve(r);
      return;
    }
    if (r.name === 'BYE') {
      if (r.code?.name === 'ALERT') this.#alert(r.text);
      this.#emit('bye', r.text);
    }
    const err = refusedGreetingError(r);
    waiter?.reject(err);
    this.close(err);
  }

  #onUntagged(r: UntaggedResponse): void {
    if (this.#greetingWait.pending) {
      this.#onGreeting(r);
      return;
    }
    this.#untaggedCount++;
    this.#emit('untagged', r);
    switch (r.name) {
      case 'CAPABILITY':
        this.#caps.set(r.capabilities);
        this.#capabilityCount++;
        break;
      case 'ENABLED': {
        // Only what an ENABLE in flight asked for (RFC 5161 3.2: nothing else may be enabled).
        this.#caps.confirm(r.capabilities, enableRequests(this.#enabling));
        break;
      }
      case 'BYE':
        this.#bye = { text: r.text, code: r.code };
        this.#emit('bye', r.text);
        break;
      case 'OK':
      case 'NO':
      case 'BAD':
        if (r.code?.name === 'CAPABILITY') {
          this.#caps.set(r.code.capabilities);
          this.#capabilityCount++;
        } else if (r.code?.name === 'INPROGRESS' && r.name === 'OK') {
          this.#onProgress(r.code, r.text);
        }
        break;
    }
    if ('code' in r && r.code?.name === 'ALERT') this.#alert(r.text);

    const events = applyMailbox(this.#selecting, this.#selected, r);

    if (this.#observers > 0) {
      for (const p of this.#inFlight) {
        const observe = p.hooks.observeUntagged;
        if (observe === undefined) continue;
        try {
          observe(r);
        } catch (err) {
          this.#log.error(err, 'onUntagged threw');
        }
      }
    }

    const last = this.#lastTaker === null ? -1 : this.#inFlight.indexOf(this.#lastTaker);
    this.#swallowed = false;
    this.#swallower = null;
    this.#fallback = null;
    let offered = offer(this.#inFlight, r, last === -1 ? 0 : last, this.#take);
    // A command that already had a response for this message takes it
    // after all: no other wanted it, so it is that command's own (a server
    // that split its answer, or an update of that message sent alongside).
    if (!offered && this.#fallback !== null) offered = this.#takeUnwanted(this.#fallback, r);
    // Discarded data of a command over its collection limit is progress
    // for it only when no live command took the response.
    if (!offered && this.#swallower !== null) this.#discarded(this.#swallower);
    const taken = offered || this.#swallowed;

    if (!taken && r.name === 'ESEARCH' && r.tag !== null && this.#correlated.size > 0) {
      this.#toCorrelated(r);
    }
    if (events.length > 0) this.#emitMailboxEvents(events);
    if (!taken) {
      if (r.name === 'FETCH') this.#emit('fetch', r);
      else if (r.name === 'UIDFETCH') this.#emit('uidfetch', r);
    }
  }

  /**
   * `* OK [INPROGRESS ...]` (RFC 9585 4): told to the command it names (a
   * report without a tag to the only command in flight) and as an event.
   */
  #onProgress(code: Extract<ResponseCode, { name: 'INPROGRESS' }>, text: string): void {
    const progress: CommandProgress = {
      tag: code.tag,
      count: code.count,
      total: code.total,
      text,
    };
    let p: Pending | undefined;
    if (code.tag !== null) {
      const i = indexOfTag(this.#inFlight, code.tag);
      if (i !== -1) p = this.#inFlight[i];
    } else if (this.#inFlight.length === 1) {
      p = this.#inFlight[0];
    }
    const onProgress = p?.options.onProgress;
    if (p !== undefined && onProgress !== undefined && !p.abandoned && !p.settled) {
      try {
        const returned: unknown = onProgress(progress);
        // An async callback's rejection must not become an unhandled rejection.
        if (returned instanceof Promise) {
          returned.catch((err: unknown) => this.#log.error(err, 'onProgress rejected'));
        }
      } catch (err) {
        this.#log.error(err, 'onProgress threw');
      }
    }
    this.#emit('progress', progress);
  }

  /** Hands an ESEARCH no command took to the receiver of its correlator, if any. */
  #toCorrelated(r: Extract<UntaggedResponse, { name: 'ESEARCH' }>): void {
    const receiver = this.#correlated.get(r.tag!);
    if (receiver === undefined) return;
    try {
      receiver.response(r);
    } catch (err) {
      this.#log.error(err, 'a correlated receiver threw');
    }
  }

  /** Emits what an untagged response changed in the selected mailbox. */
  #emitMailboxEvents(events: readonly MailboxEvent[]): void {
    for (const ev of events) {
      switch (ev.type) {
        case 'exists':
          this.#emit('exists', ev.count, ev.previous);
          break;
        case 'expunge':
          this.#emit('expunge', ev.seq);
          break;
        case 'vanished':
          this.#emit('vanished', ev.response);
          break;
        case 'readonly':
          this.#emit('readonly');
          break;
        case 'uidvalidity':
          this.#emit('uidvalidity', ev.previous, ev.current);
          break;
        case 'inconsistent':
          this.#emit('inconsistent', ev.reason);
          break;
        case 'closed':
          break;
      }
    }
  }

  /**
   * {@link offer}'s callback; remembers who took the response. An abandoned
   * or finished command passes (so a live one can take it) but is noted: if
   * nobody takes the response, it was that command's and is dropped.
   */
  readonly #take = (p: Pending, r: UntaggedResponse): boolean => {
    if (p.abandoned || p.settled) {
      if (p.overflowTimer !== null && this.#swallower === null) this.#swallower = p;
      this.#swallowed = true;
      return false;
    }
    const delivered = this.#deliver(p, r);
    if (delivered !== true) {
      if (delivered === 'unless-wanted' && this.#fallback === null) this.#fallback = p;
      return false;
    }
    this.#took(p, r);
    return true;
  };

  /** `p` declined `r` with `'unless-wanted'` and no other command took it: it takes it now. */
  #takeUnwanted(p: Pending, r: UntaggedResponse): boolean {
    if (p.abandoned || p.settled) return false;
    this.#deliver(p, r, true);
    this.#took(p, r);
    return true;
  }

  /** Bookkeeping of a response `p` took. */
  #took(p: Pending, r: UntaggedResponse): void {
    this.#lastTaker = p;
    p.takenAt = this.#untaggedCount;
    // O(1) per collected response: a counter add and a compare.
    p.collected += this.#parser.responseBytes + COLLECTED_RESPONSE_OVERHEAD;
    if (p.collected > p.collectLimit) this.#overflow(p, r);
  }

  /** A response of `p`, over its limit, was discarded: progress until another limit's worth. */
  #discarded(p: Pending): void {
    if (p.collected > 2 * p.collectLimit) return;
    p.collected += this.#parser.responseBytes + COLLECTED_RESPONSE_OVERHEAD;
    p.overflowTimer?.refresh();
  }

  /**
   * `p` collected more than its limit: it keeps nothing more and is treated
   * like an abandoned command (its data is read and discarded) until its
   * tagged response, which rejects it with the limit error. Its discarded
   * data counts as progress until it adds up to another limit's worth
   * (a slow link finishing a large answer); after that, a server that does
   * not complete it within the command timeout gets the connection closed
   * with that error.
   */
  #overflow(p: Pending, r: UntaggedResponse): void {
    if (p.settled) return; // its onUntagged threw: already rejected
    const name = r.name === 'OTHER' ? r.atom : r.name;
    const err = collectedOverLimitError(p, name);
    p.overflow = err;
    p.abandoned = true;
    p.untagged = [];
    this.#log.debug(err.message);
    const ms = p.options.timeout ?? this.#options.timeouts?.command ?? DEFAULT_COMMAND_TIMEOUT;
    if (!Number.isFinite(ms)) return; // no command timeout: discard until the completion
    const timer = setTimeout(
      () => {
        if (p.settled || this.#closed) return;
        const closing = new ImapLimitError(
          err.limit,
          `${err.message}; the server did not complete the command within ${ms} ms, so the connection was closed`,
          { command: p.redacted },
        );
        rejectPending(p, closing);
        this.close(closing);
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    timer.unref?.();
    p.overflowTimer = timer;
    const cleanup = p.cleanup;
    p.cleanup = () => {
      p.overflowTimer = null;
      clearTimeout(timer);
      cleanup?.();
    };
  }

  /** Literal sinks write as their command: a read pause taken meanwhile is that command's. */
  readonly #asCommand = (p: Pending, write: () => void): void => {
    const outer = this.#delivering;
    this.#delivering = p;
    try {
      write();
    } finally {
      this.#delivering = outer;
    }
  };

  /**
   * `p`, a `single` command (SEARCH, SORT, THREAD...), completed OK without
   * its response, though the server sends one for each such command before
   * completing it (an empty `* SEARCH` too, RFC 9051 7.3.4): it came while
   * `p` was in flight and an older command took it, being offered untagged
   * data first (the server completed the pipelined commands out of order).
   * Give it back when the older command took exactly one response, after
   * `p` was sent: that command's own is still to come. Without this the
   * older command got both answers and `p` none.
   */
  #reclaimSingle(p: Pending, index: number): void {
    if (p.options.single !== true || p.options.onUntagged !== undefined) return;
    if (p.untagged.length > 0 || p.abandoned || p.settled) return;
    for (let i = 0; i < index && i < this.#inFlight.length; i++) {
      const q = this.#inFlight[i]!;
      if (q.options.single !== true || q.options.onUntagged !== undefined) continue;
      if (q.untagged.length !== 1 || q.abandoned || q.settled || q.takenAt <= p.sentAt) continue;
      const r = q.untagged[0]!;
      if (r.name === 'ESEARCH' && r.tag !== null) continue; // its correlator names its command
      if (!p.collect.has(r.name === 'OTHER' ? r.atom : r.name)) continue;
      q.untagged.pop();
      p.untagged.push(r);
      if (this.#lastTaker === q) this.#lastTaker = null;
      return;
    }
  }

  /** Whether a command in flight after `p` collects `r` too. */
  #collectedLater(p: Pending, r: UntaggedResponse): boolean {
    const name = r.name === 'OTHER' ? r.atom : r.name;
    return nextCollector(this.#inFlight, name, this.#inFlight.indexOf(p) + 1) >= 0;
  }

  /**
   * Hands `r` to a live command; false when its onUntagged declined it
   * (offered on, else unsolicited), `'unless-wanted'` when it declined it
   * unless no other command takes it. With `unwanted`, it was declined so
   * and no other command took it: onUntagged is told and takes it.
   */
  #deliver(p: Pending, r: UntaggedResponse, unwanted = false): boolean | 'unless-wanted' {
    const onUntagged = p.options.onUntagged;
    if (onUntagged === undefined) {
      if (
        p.options.single === true &&
        p.untagged.length > 0 &&
        !(r.name === 'ESEARCH' && r.tag === p.tag) && // its correlator names this command
        this.#collectedLater(p, r)
      ) {
        return false;
      }
      p.untagged.push(r);
      return true;
    }
    this.#delivering = p;
    try {
      const taken = unwanted ? onUntagged(r, true) : onUntagged(r);
      return taken === 'unless-wanted' ? (unwanted ? true : taken) : taken !== false;
    } catch (err) {
      p.abandoned = true;
      rejectPending(p, asError(err));
      return true;
    } finally {
      this.#delivering = null;
    }
  }

  #onTagged(r: TaggedResponse): void {
    const index = indexOfTag(this.#inFlight, r.tag);
    if (index === -1) {
      this.close(
        new ImapConnectionError(
          'PROTOCOL',
          `protocol desync: tagged response for unknown tag ${JSON.stringify(r.tag.slice(0, 40))}`,
        ),
      );
      return;
    }
    const p = this.#inFlight[index]!;
    if (index === 0) this.#inFlight.shift();
    else this.#inFlight.splice(index, 1);
    if (r.status === 'OK') this.#reclaimSingle(p, index);
    if (p === this.#lastTaker) this.#lastTaker = null;
    if (!p.pipeline) this.#exclusiveInFlight--;
    if (p.hooks.observeUntagged !== undefined) this.#observers--;
    if (p.verb === 'ENABLE') this.#enabling.splice(this.#enabling.indexOf(p), 1);
    p.phase = 'done';
    const waiter = p.continueWaiter;
    p.continueWaiter = null;
    waiter?.resolve(); // the writer sees 'done' and stops (e.g. a literal refused with NO)
    if (p === this.#switchCommand) this.#switchCommand = null;
    if (p.verb === 'AUTHENTICATE') this.#authenticating--;

    if (r.status === 'OK' && p.hooks.onOk !== undefined && !p.abandoned) {
      try {
        p.hooks.onOk(r);
      } catch (err) {
        const e = asConnectionError(err, `${p.command} failed`);
        rejectPending(p, e);
        this.close(e);
        return;
      }
    }
    applyTaggedCode(this.#machine, p, r);
    const post = transition(this.#machine, p, r);
    const result: CommandResult = { tagged: r, untagged: p.untagged, command: p.redacted };
    if (p.overflow !== null) {
      // Over its collection limit: in sync again, the connection stays usable; the command fails.
      post?.catch(() => undefined); // a state change's follow-up (capabilities) fails on its own
      rejectPending(p, p.overflow);
    } else if (post === undefined) {
      completePending(p, result);
    } else {
      post.then(
        () => completePending(p, result),
        (err: unknown) => rejectPending(p, asError(err)),
      );
    }
    if (p.verb === 'LOGOUT' && r.status === 'OK') {
      this.close();
      return;
    }
    this.#afterChange();
  }

  /** After login: capabilities from the completion's code, an untagged CAPABILITY, or a new CAPABILITY command. */
  #refreshCapabilities(p: Pending): Promise<void> | undefined {
    if (p.sawCapability || p.capabilitiesAt !== this.#capabilityCount) return undefined;
    return this.#enqueue('CAPABILITY', [], {}, { front: true, own: true }).then(() => undefined);
  }

  #beginTls(): Promise<void> {
    this.#switching = true;
    return new Promise<void>((resolve, reject) => {
      this.#switchAction = (rest: Buffer) => {
        const plain = this.#socket;
        plain.pause();
        // Bytes already read but not yet parsed came before the handshake too.
        const unread = this.#reader?.pending ?? 0;
        this.#detach(plain);
        this.#reader = null; // the TLS socket over `plain` is read through 'data' events
        const buffered = rest.length + unread + plain.readableLength;
        if (buffered > 0) {
          const err = tlsInjectionError(buffered);
          reject(err);
          this.close(err);
          return;
        }
        plain.on('error', () => undefined); // errors surface through the TLS socket
        this.#log.debug('starting TLS');
        upgradeToTls(
          plain,
          this.#host,
          this.#options.tls,
          this.#options.timeouts?.tls ?? DEFAULT_TLS_TIMEOUT,
        ).then(
          (tlsSocket) => {
            if (this.#closed) {
              tlsSocket.destroy();
              reject(closedError());
              return;
            }
            // Nothing from before the handshake is trusted.
            this.#socket = tlsSocket;
            this.#secure = true;
            this.#parser = this.#newParser(false);
            this.#trace = this.#log.serverTrace(() => this.#authenticating > 0);
            this.#caps.forget();
            // Alerts kept from before TLS could be anyone's (an attacker's): dropped.
            if (this.#earlyAlerts !== null) this.#earlyAlerts.length = 0;
            this.#earlyAlertChars = 0;
            this.#readPaused = false;
            this.#attach(tlsSocket);
            this.#switching = false;
            this.#log.debug('TLS established');
            this.#enqueue('CAPABILITY', [], {}, { front: true, own: true }).then(
              () => resolve(),
              reject,
            );
            this.#updateReading();
          },
          (err: unknown) => {
            const e = asConnectionError(err, 'TLS handshake failed');
            reject(e);
            this.close(e);
          },
        );
      };
    });
  }

  #beginCompression(): void {
    this.#switching = true; // nothing may be sent until the streams are in place
    this.#switchAction = (rest: Buffer) => {
      this.#switching = false;
      const compression = startCompression(this.#socket, {
        onPlain: (plain) => this.#onPlain(plain),
        onCorrupt: (err) => this.close(err),
        onEnded: this.#onEnd,
      });
      this.#compression = compression;
      if (this.#readPaused) compression.pause();
      this.#log.debug('COMPRESS DEFLATE active');
      // RFC 4978: everything after the OK's CRLF is compressed.
      if (rest.length > 0) compression.input.write(rest);
      this.#afterChange();
    };
  }

  // ------------------------------------------------------------------
  // Completion, timers, reading

  /** After a completion or an abort: send more, update reading and timers, resume IDLE. */
  #afterChange(): void {
    if (this.#closed) return;
    this.#pump();
    this.#updateReading();
    // A completion only takes commands out of flight: a running timer's deadline stays the earliest.
    if (!this.#timer.running) this.#timer.arm();
    if (this.#queue.length === 0 && this.#inFlight.length === 0) this.#idle?.onQuiet();
  }

  #updateReading(): void {
    if (this.#closed || this.#switching) return;
    const pause = this.#queue.length === 0 && this.#pauses.hold(this.#inFlight);
    if (pause === this.#readPaused) return;
    this.#readPaused = pause;
    if (pause) {
      this.#socket.pause();
      this.#reader?.pause();
      // What the inflater still holds or makes of bytes already read must wait too.
      this.#compression?.pause();
    } else {
      this.#timer.markActivity();
      this.#compression?.resume();
      this.#socket.resume();
      this.#reader?.resume();
    }
    this.#timer.arm();
  }

  // ------------------------------------------------------------------
  // Helpers

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#log.debug(`state: ${state}`);
  }

  /** Emits without letting a throwing listener break the engine. */
  #emit<K extends keyof ConnectionEvents>(event: K, ...args: ConnectionEvents[K]): void {
    if (this.listenerCount(event) === 0) return; // 'untagged' fires per response; usually unheard
    try {
      (this.emit as (name: string, ...rest: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.#log.error(err, `a '${String(event)}' listener threw`);
    }
  }

  #authHost(): AuthHost {
    return {
      capabilities: this.#caps.announced,
      host: this.#host,
      port: this.#port,
      maxScramIterations: this.#options.maxScramIterations,
      minScramIterations: this.#options.minScramIterations,
      login: (username, password) => this.login(username, password),
      runAuthenticate: (args, redacted, onContinuation, onOk) =>
        this.#enqueue(
          'AUTHENTICATE',
          args,
          {},
          {
            redacted,
            redactContinuations: true,
            onContinuation,
            onOk,
          },
        ),
    };
  }

  #idleHost(): IdleHost {
    return {
      restartMs: this.#options.timeouts?.idleRestart ?? DEFAULT_IDLE_RESTART,
      startIdle: (hooks) =>
        this.#enqueue(
          'IDLE',
          [],
          {},
          {
            onContinuation: () => {
              hooks.onContinuation();
              return null;
            },
            observeUntagged: (r) => hooks.observeUntagged(r),
            timeoutExempt: () => hooks.timeoutExempt(),
          },
        ),
      sendDone: () => this.#writeLine('DONE', false),
      poll: (onUntagged) =>
        this.#enqueue(
          'NOOP',
          [],
          { pipeline: true },
          {
            ...(onUntagged === undefined ? {} : { observeUntagged: onUntagged }),
          },
        ),
      isQuiet: () => this.#queue.length === 0 && this.#inFlight.length === 0,
      hasQueued: () => this.#queue.length > 0,
      usable: () => !this.#closed && !this.#loggingOut,
      ended: (session) => {
        if (this.#idle === session) this.#idle = null;
      },
    };
  }
}
