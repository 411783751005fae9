/**
 * One IMAP connection (RFC 9051): transport, TLS/STARTTLS, COMPRESS, tags,
 * the command queue and pipelining, continuations, routing of untagged data,
 * the connection state machine, IDLE, SASL and timeouts. It knows nothing of
 * the meaning of individual commands beyond what the state machine needs.
 */
import { EventEmitter } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';
import {
  ImapArgumentError,
  ImapCapabilityError,
  ImapConnectionError,
  ImapProtocolError,
  ImapStateError,
} from '../model/errors.js';
import type {
  ContinuationResponse,
  Response,
  TaggedResponse,
  UntaggedResponse,
} from '../model/response.js';
import type { ResponseCode } from '../model/response-code.js';
import type { SecretLike } from '../model/secret.js';
import { astring, secret } from '../wire/args.js';
import type { CommandArg, EncodedCommand, LiteralMode } from '../wire/command-arg.js';
import { encodeCommand } from '../wire/encoder.js';
import type { LiteralSink, LiteralStartInfo } from '../wire/parser-options.js';
import { ResponseParser } from '../wire/parser.js';
import { authenticate as saslAuthenticate, type AuthHost } from './auth.js';
import { createCompression, type Compression } from './compress.js';
import { IdleSession, type IdleHandle, type IdleHost, type IdleOptions } from './idle.js';
import { clientTraceLine, REDACTED, safeLog, ServerTrace } from './logging.js';
import { applyCode, applyUntagged, newMailbox, type MailboxEvent } from './mailbox-state.js';
import { collectorByName, collectorFor } from './router.js';
import {
  preauthWithStarttlsError,
  starttlsMissingError,
  starttlsRefusedError,
  tlsInjectionError,
} from './starttls.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_TLS_TIMEOUT,
  openTransport,
  upgradeToTls,
  type Transport,
} from './transport.js';
import type {
  AuthOptions,
  CommandResult,
  ConnectionEvents,
  ConnectionState,
  ConnectOptions,
  Logger,
  RunOptions,
  SelectedMailbox,
} from './types.js';

/** Default per-command idle timeout (ms). */
const DEFAULT_COMMAND_TIMEOUT = 120_000;
/** Default greeting timeout (ms). */
const DEFAULT_GREETING_TIMEOUT = 30_000;
/** Default IDLE restart (ms): under the 29 minutes of RFC 2177. */
const DEFAULT_IDLE_RESTART = 25 * 60_000;
/** Bytes a command writer may leave buffered in the socket before it waits for 'drain'. */
const WRITE_BUFFER_LIMIT = 256 * 1024;
/** Default streaming threshold for literals (bytes). */
const DEFAULT_STREAM_THRESHOLD = 1 << 20;
/** Bytes from the server that count as progress for the command timeout even without a complete response. */
const PROGRESS_BYTES = 1024;
/** Default LOGOUT wait (ms). */
const DEFAULT_LOGOUT_TIMEOUT = 10_000;

const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*( [A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const TAG_PREFIX = /^[A-Za-z0-9._-]{1,16}$/;

let connectionIds = 0;

/** A literal sink that drops its bytes (for responses of abandoned commands). */
const DISCARD_SINK: LiteralSink = {
  write(): void {},
  end(): void {},
};

/** Engine-internal options of one command. */
interface Hooks {
  /** Put the command at the head of the queue (capability refresh after LOGIN, STARTTLS). */
  front?: boolean;
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
}

type Phase = 'queued' | 'sending' | 'sent' | 'done';

/** A command from run() until it settles. */
interface Pending {
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
  encodedFor: string;
  redacted: string;
  untagged: UntaggedResponse[];
  phase: Phase;
  settled: boolean;
  /** Rejected already (aborted or a callback threw); its responses are discarded when they come. */
  abandoned: boolean;
  /** An untagged CAPABILITY (or tagged code) arrived while it was in flight. */
  sawCapability: boolean;
  continueWaiter: { resolve: () => void; reject: (err: Error) => void } | null;
  resolve: (result: CommandResult) => void;
  reject: (err: Error) => void;
  cleanup: (() => void) | null;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Wraps anything thrown into an ImapConnectionError (kept as is when it already is one). */
function asConnectionError(err: unknown, fallback: string): ImapConnectionError {
  if (err instanceof ImapConnectionError) return err;
  return new ImapConnectionError('CONNECTION_CLOSED', `${fallback}: ${errorMessage(err)}`, {
    cause: err,
  });
}

function mailboxNameOf(args: readonly CommandArg[]): string {
  const first = args[0];
  if (first === undefined) return '';
  switch (first.type) {
    case 'mailbox':
    case 'atom':
    case 'raw':
      return first.value;
    case 'astring':
    case 'string':
      return typeof first.value === 'string' ? first.value : first.value.toString('utf8');
    default:
      return '';
  }
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
  readonly #logger: Logger | undefined;
  readonly #logContext: { cid: number };
  readonly #tagPrefix: string;
  readonly #commandTimeout: number;
  #socket: Transport['socket'];
  #secure: boolean;
  #parser: ResponseParser;
  #trace: ServerTrace | null;
  #compression: Compression | null = null;
  #inflateEnding: 'no' | 'ending' | 'ended' = 'no';

  #state: ConnectionState = 'not-authenticated';
  #capabilities = new Set<string>();
  #enabled = new Set<string>();
  #greeting: UntaggedResponse | null = null;
  /** Raw byte mode (imaplib's send/readline/read): incoming bytes bypass the parser. */
  #raw: { chunks: Buffer[]; wake: (() => void) | null } | null = null;
  #greetingWaiter: {
    resolve: (greeting: UntaggedResponse) => void;
    reject: (err: Error) => void;
  } | null = null;
  readonly #greetingPromise: Promise<UntaggedResponse>;
  #selected: SelectedMailbox | null = null;
  #selecting: { command: Pending; mailbox: SelectedMailbox; examine: boolean } | null = null;

  #tagCounter = 0;
  #queue: Pending[] = [];
  #inFlight: Pending[] = [];
  #writing = false;
  /** #pump's loop is running (a #send that completes synchronously does not recurse into it). */
  #pumping = false;
  /** In-flight commands that are not pipelinable (a pipelinable one waits for them). */
  #exclusiveInFlight = 0;
  /** The socket is corked until the next tick: writes of one tick leave as one. */
  #corked = false;
  /** STARTTLS handshake in progress: nothing may be sent or read. */
  #switching = false;
  /** STARTTLS or COMPRESS in flight: read line by line to find the switch point. */
  #switchCommand: Pending | null = null;
  /** Set by the tagged OK of STARTTLS/COMPRESS: called with the bytes after it. */
  #switchAction: ((rest: Buffer) => void) | null = null;
  #authenticating = 0;

  #closed = false;
  #closeListeners = new Set<(err: Error) => void>();
  readonly #closedPromise: Promise<void>;
  #markClosed!: () => void;
  #bye: { text: string; code: ResponseCode | null } | null = null;
  #loggingOut = false;

  /** Pauses from pauseReading(), each tied to the command it bounds (null: the next one sent). */
  #pauses = new Set<{ owner: Pending | null }>();
  /** The command whose onUntagged callback is running. */
  #delivering: Pending | null = null;
  #readPaused = false;
  /**
   * Last progress: a complete response, literal/bulk data (PROGRESS_BYTES
   * since the previous mark), or a write of ours. The command timeout runs
   * from here, so a server dripping bytes (slowloris) still times out.
   */
  #lastActivity = Date.now();
  /** Last byte from the server (for the timeout message). */
  #lastByte = Date.now();
  #bytesSinceProgress = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerDeadline = 0;
  #idle: IdleSession | null = null;

  private constructor(options: ConnectOptions, transport: Transport, host: string, port: number) {
    super();
    this.connectionId = ++connectionIds;
    this.#options = options;
    this.#host = host;
    this.#port = port;
    this.#logger = options.logger;
    this.#logContext = { cid: this.connectionId };
    const prefix = options.tagPrefix ?? 'A';
    if (!TAG_PREFIX.test(prefix)) {
      throw new ImapArgumentError(`invalid tag prefix ${JSON.stringify(prefix)}`);
    }
    this.#tagPrefix = prefix;
    this.#commandTimeout = options.timeouts?.command ?? DEFAULT_COMMAND_TIMEOUT;
    this.#socket = transport.socket;
    this.#secure = transport.secure;
    this.#parser = this.#newParser(true);
    this.#trace = this.#newTrace();
    this.#closedPromise = new Promise<void>((resolve) => {
      this.#markClosed = resolve;
    });
    this.#greetingPromise = new Promise<UntaggedResponse>((resolve, reject) => {
      this.#greetingWaiter = { resolve, reject };
    });
    this.#greetingPromise.catch(() => undefined);
    this.#attach(this.#socket);
  }

  /**
   * Connects, waits for the greeting, learns the capabilities, runs STARTTLS
   * when `security` is `starttls` (the default except on port 993), then
   * logs in (`auth`), and negotiates `compress`, `id` and `enable` when
   * asked and offered. On any failure the connection is closed and the
   * promise rejects with a typed error: {@link ImapConnectionError} (codes
   * CONNECTION_FAILED, CONNECTION_TIMEOUT, CONNECTION_BYE, TLS_REQUIRED,
   * TLS_INJECTION, ...) or {@link ImapProtocolError} for a refused login.
   */
  static async connect(options: ConnectOptions): Promise<ImapConnection> {
    const host = options.host ?? 'localhost';
    const port = options.port ?? (options.security === 'tls' ? 993 : 143);
    if (options.stream !== undefined && (options.security ?? 'none') !== 'none') {
      // Never a silent plaintext session: a caller's stream cannot be upgraded here.
      throw new ImapArgumentError(
        `security '${options.security}' is impossible over a caller-given stream: wrap the stream in TLS first, or pass security: 'none'`,
      );
    }
    const security =
      options.stream !== undefined
        ? 'none'
        : (options.security ?? (port === 993 ? 'tls' : 'starttls'));
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
      await conn.#waitGreeting(options.timeouts?.greeting ?? DEFAULT_GREETING_TIMEOUT);
      if (security === 'starttls' && conn.#state !== 'not-authenticated') {
        throw preauthWithStarttlsError();
      }
      if (conn.#capabilities.size === 0) await conn.capability();
      if (security === 'starttls') {
        if (!conn.hasCapability('STARTTLS')) throw starttlsMissingError();
        await conn.starttls();
      }
      const auth = options.auth;
      if (auth !== undefined && conn.#state === 'not-authenticated') {
        await conn.authenticate(auth);
      }
      if (conn.#state === 'authenticated') {
        if (options.compress === true && conn.hasCapability('COMPRESS=DEFLATE')) {
          await conn.compress();
        }
        if (options.id !== undefined && conn.hasCapability('ID')) await conn.id(options.id);
        if (options.enable !== undefined && options.enable.length > 0) {
          const wanted = options.enable.filter((e) => conn.hasCapability(e));
          const canEnable = conn.hasCapability('ENABLE') || conn.hasCapability('IMAP4rev2');
          if (wanted.length > 0 && canEnable) await conn.enable(wanted);
        }
      }
      return conn;
    } catch (err) {
      conn.close(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  // ------------------------------------------------------------------
  // Properties

  /** The server's capabilities, upper-cased (refreshed after STARTTLS and login). */
  get capabilities(): ReadonlySet<string> {
    return this.#capabilities;
  }

  /** Whether the server announced `name` (case-insensitive). */
  hasCapability(name: string): boolean {
    return this.#capabilities.has(name.toUpperCase());
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
    return this.#enabled;
  }

  /** The selected mailbox, kept up to date from untagged data; null when none. Do not mutate. */
  get selected(): Readonly<SelectedMailbox> | null {
    return this.#selected;
  }

  /** TLS is active (implicit TLS or after STARTTLS). */
  get secure(): boolean {
    return this.#secure;
  }

  /** COMPRESS=DEFLATE is active. */
  get compressed(): boolean {
    return this.#compression !== null;
  }

  /** How literals are sent, from LITERAL+ / LITERAL- (IMAP4rev2 implies LITERAL-). */
  get literalMode(): LiteralMode {
    if (this.#capabilities.has('LITERAL+')) return 'plus';
    if (this.#capabilities.has('LITERAL-') || this.#capabilities.has('IMAP4REV2')) return 'minus';
    return 'sync';
  }

  /** UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051 appendix E) is enabled: mailbox names and strings go as UTF-8. */
  get utf8Enabled(): boolean {
    return (
      this.#enabled.has('UTF8=ACCEPT') ||
      this.#enabled.has('UTF8=ONLY') ||
      this.#enabled.has('IMAP4REV2')
    );
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
    if (this.#closed) throw this.#closedError();
    this.#traceClient(`[${data.length} raw bytes]`);
    this.#write(data).catch(() => undefined);
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
    if (this.#closed) throw this.#closedError();
    if (this.#raw !== null) return;
    if (this.#inFlight.length > 0 || this.#queue.length > 0 || this.#idle !== null) {
      throw new ImapStateError('raw mode needs a connection with no command running');
    }
    this.#raw = { chunks: [], wake: null };
  }

  /** The next bytes received in raw mode; null once the connection is closed. */
  async readRaw(): Promise<Buffer | null> {
    const raw = this.#raw;
    if (raw === null) throw new ImapStateError('readRaw() outside raw mode');
    while (raw.chunks.length === 0) {
      // Closed, or raw mode ended meanwhile (its bytes went to the parser).
      if (this.#closed || this.#raw !== raw) return null;
      await new Promise<void>((resolve) => {
        raw.wake = resolve;
      });
      raw.wake = null;
    }
    return raw.chunks.shift()!;
  }

  /**
   * Leaves raw mode. `unconsumed` (bytes the caller read but did not use)
   * and everything received since go back to the parser, which must find
   * them at a response boundary.
   */
  endRaw(unconsumed: Buffer = Buffer.alloc(0)): void {
    const raw = this.#raw;
    if (raw === null) return;
    this.#raw = null;
    raw.wake?.();
    const rest = [unconsumed, ...raw.chunks].filter((b) => b.length > 0);
    if (rest.length > 0 && !this.#closed) this.#onPlain(Buffer.concat(rest));
  }

  /** True while in raw byte mode. */
  get rawMode(): boolean {
    return this.#raw !== null;
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
    return this.#enqueue(command, args, options, {});
  }

  /**
   * Like {@link ImapConnection.run}, but a NO or BAD completion throws an
   * {@link ImapProtocolError} with the server's text and response code.
   */
  async exec(
    command: string,
    args: readonly CommandArg[] = [],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    return this.#check(command, await this.run(command, args, options));
  }

  /**
   * Pauses reading from the server until the returned function is called
   * (pauses nest: reading resumes when every one is released). Meant for a
   * consumer that turns a command's responses into an async iterator and
   * wants to bound its buffer.
   *
   * A pause belongs to one command: the one whose `onUntagged` callback is
   * running when it is taken, else the oldest in flight, else the next one
   * sent. To make deadlocks impossible it only holds while that command is
   * the only one in flight and nothing is queued: as soon as another command
   * is queued (for example a STORE issued from inside a loop over a FETCH
   * iterator), reading resumes by itself so the FETCH can complete and the
   * STORE can run; once its command has completed, a pause has no effect.
   * The command timeout does not run while reading is paused.
   */
  pauseReading(): () => void {
    const token = { owner: this.#delivering ?? this.#inFlight[0] ?? null };
    this.#pauses.add(token);
    this.#updateReading();
    return () => {
      if (!this.#pauses.delete(token)) return;
      this.#updateReading();
    };
  }

  // ------------------------------------------------------------------
  // Commands the engine drives itself

  /** CAPABILITY: refreshes and returns {@link ImapConnection.capabilities}. */
  async capability(): Promise<ReadonlySet<string>> {
    await this.exec('CAPABILITY', [], { collect: ['CAPABILITY'] });
    return this.#capabilities;
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
    if (this.#closed) throw this.#closedError();
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
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
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
    this.#clearTimer();
    const pendingError =
      error === undefined
        ? new ImapConnectionError('CONNECTION_CLOSED', 'the connection was closed')
        : error instanceof ImapConnectionError
          ? error
          : new ImapConnectionError('CONNECTION_CLOSED', `connection closed: ${error.message}`, {
              cause: error,
            });
    const pending = [...this.#inFlight, ...this.#queue];
    this.#inFlight = [];
    this.#exclusiveInFlight = 0;
    this.#queue = [];
    for (const p of pending) {
      const waiter = p.continueWaiter;
      p.continueWaiter = null;
      waiter?.reject(pendingError);
      this.#fail(p, pendingError);
    }
    this.#raw?.wake?.();
    for (const listener of this.#closeListeners) listener(pendingError);
    this.#closeListeners.clear();
    const greeting = this.#greetingWaiter;
    this.#greetingWaiter = null;
    greeting?.reject(pendingError);
    const idle = this.#idle;
    this.#idle = null;
    idle?.abandon();
    this.#detach(this.#socket);
    this.#socket.on('error', () => undefined); // late socket errors must not crash the process
    this.#compression?.destroy();
    this.#socket.destroy();
    this.#debug(error === undefined ? 'closed' : `closed: ${error.message}`);
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
    if (this.#closed) return Promise.reject(this.#closedError());
    // A command ends raw byte mode: what arrived since goes to the parser.
    if (this.#raw !== null) this.endRaw();
    if (typeof command !== 'string' || !COMMAND_NAME.test(command)) {
      return Promise.reject(
        new ImapArgumentError(`invalid command name ${JSON.stringify(String(command))}`),
      );
    }
    const upper = command.toUpperCase();
    const verb = upper.split(' ', 1)[0]!;
    const tag = `${this.#tagPrefix}${this.#tagCounter}`;
    const mode = this.#encodeMode();
    let encoded: EncodedCommand;
    try {
      encoded = encodeCommand(tag, command, args, this.#encodeOptions());
    } catch (err) {
      return Promise.reject(err); // nothing sent, no tag used
    }
    this.#tagCounter++;
    const continuation = hooks.onContinuation ?? options.onContinuation;
    const collect = new Set((options.collect ?? []).map((n) => n.toUpperCase()));
    // A command answering continuations must be alone on the wire.
    const pipeline = options.pipeline === true && continuation === undefined;
    let resolve!: (r: CommandResult) => void;
    let reject!: (e: Error) => void;
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
      sawCapability: false,
      continueWaiter: null,
      resolve,
      reject,
      cleanup: null,
    };
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        return Promise.reject(this.#abortError(p, signal));
      }
      const onAbort = (): void => this.#abort(p, signal);
      signal.addEventListener('abort', onAbort, { once: true });
      p.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    if (hooks.front === true) this.#queue.unshift(p);
    else this.#queue.push(p);
    this.#updateReading();
    this.#pump();
    return promise;
  }

  #encodeMode(): string {
    return `${this.literalMode}/${this.utf8Enabled ? 'utf8' : 'ascii'}`;
  }

  #encodeOptions(): { literalMode: LiteralMode; utf8: boolean } {
    return { literalMode: this.literalMode, utf8: this.utf8Enabled };
  }

  #abortError(p: Pending, signal: AbortSignal): ImapConnectionError {
    return new ImapConnectionError('ABORTED', `${p.command} was aborted`, {
      command: p.redacted,
      cause: signal.reason,
    });
  }

  #abort(p: Pending, signal: AbortSignal): void {
    if (p.settled) return;
    const err = this.#abortError(p, signal);
    if (p.phase === 'queued') {
      const i = this.#queue.indexOf(p);
      if (i !== -1) this.#queue.splice(i, 1);
      this.#fail(p, err);
      this.#afterChange();
      return;
    }
    // Sent: IMAP cannot cancel it; discard its responses when they come.
    p.abandoned = true;
    this.#fail(p, err);
  }

  /**
   * Sends the next commands the pipelining rules allow. A command whose
   * bytes are written without waiting (no literal to wait for, no
   * back-pressure) completes #send synchronously, and the loop goes on with
   * the next: commands issued in one tick are written in one go (and, the
   * socket being corked until the next tick, leave in one TLS record).
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#writing && !this.#closed && !this.#switching) {
        const next = this.#queue[0];
        if (next === undefined) return;
        const blocked = next.pipeline ? this.#exclusiveInFlight > 0 : this.#inFlight.length > 0;
        if (blocked) {
          this.#idle?.interrupt();
          return;
        }
        this.#queue.shift();
        void this.#send(next);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #send(p: Pending): Promise<void> {
    this.#writing = true;
    p.phase = 'sending';
    this.#inFlight.push(p);
    if (!p.pipeline) this.#exclusiveInFlight++;
    for (const token of this.#pauses) if (token.owner === null) token.owner = p;
    this.#updateReading();
    this.#beforeSend(p);
    try {
      if (p.encodedFor !== this.#encodeMode()) {
        p.encoded = encodeCommand(p.tag, p.given, p.args, this.#encodeOptions());
        if (p.hooks.redacted === undefined) p.redacted = p.encoded.redacted;
      }
      this.#traceClient(p.redacted);
      this.#lastActivity = Date.now();
      this.#armTimer(p);
      for (const part of p.encoded.parts) {
        if (this.#closed) break;
        // A refused synchronizing literal is never sent; but the bytes of a
        // non-synchronizing literal and the rest of its line are, since the
        // server reads them whatever it answered.
        if (part.type === 'data') {
          // no await when nothing needs waiting for: see #pump
          if (!this.#writeNow(part.data)) await this.#drained();
        } else if (part.type === 'continue') {
          if ((p.phase as Phase) === 'done') break;
          this.#compression?.flush();
          await this.#waitContinue(p);
          if ((p.phase as Phase) === 'done') break;
        } else {
          await this.#pipeLiteral(part.stream, part.size);
        }
      }
      this.#compression?.flush();
      if (p.phase === 'sending') p.phase = 'sent';
    } catch (err) {
      if (!this.#closed) {
        // Half a command is on the wire: the connection cannot be trusted any more.
        this.#fail(p, err instanceof Error ? err : new Error(String(err)));
        this.close(asConnectionError(err, `sending ${p.command} failed`));
      }
    } finally {
      this.#writing = false;
    }
    this.#pump();
  }

  #beforeSend(p: Pending): void {
    switch (p.verb) {
      case 'SELECT':
      case 'EXAMINE': {
        const examine = p.verb === 'EXAMINE';
        this.#selected = null;
        this.#selecting = {
          command: p,
          mailbox: newMailbox(mailboxNameOf(p.args), examine),
          examine,
        };
        if (this.#state === 'selected') this.#setState('authenticated');
        break;
      }
      case 'LOGOUT':
        this.#loggingOut = true;
        break;
      case 'STARTTLS':
      case 'COMPRESS':
        this.#switchCommand = p;
        break;
      case 'AUTHENTICATE':
        this.#authenticating++;
        break;
    }
  }

  #output(): Writable {
    return this.#compression?.output ?? this.#socket;
  }

  /** Writes bytes, waiting for 'drain' when the stream asks to. */
  #write(data: Buffer): Promise<void> {
    return this.#writeNow(data) ? Promise.resolve() : this.#drained();
  }

  /**
   * Writes bytes now; false when the caller must wait for {@link #drained}
   * (back-pressure, or the connection is closed). The plain socket is corked
   * on the first write of a tick and uncorked on the next tick, so the
   * commands and lines written in one tick go out in one write (one TLS
   * record, one segment) instead of one each.
   */
  #writeNow(data: Buffer): boolean {
    if (this.#closed) return false;
    this.#lastActivity = Date.now();
    const out = this.#output();
    if (out === this.#socket && !this.#corked) {
      this.#corked = true;
      out.cork();
      process.nextTick(this.#uncork, out);
    }
    // A corked socket reaches its 16 KiB high-water mark after ~100 small
    // commands; keep writing up to WRITE_BUFFER_LIMIT so a burst of
    // pipelined commands leaves in one write. write() returned false, so
    // 'drain' will come for the caller that waits.
    return out.write(data) || out.writableLength < WRITE_BUFFER_LIMIT;
  }

  readonly #uncork = (out: Writable): void => {
    this.#corked = false;
    out.uncork();
  };

  /** Resolves on 'drain' of the output; rejects when the connection closes first (or is closed). */
  #drained(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const out = this.#output();
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.#closeListeners.delete(onClose);
        resolve();
      };
      const onClose = (err: Error): void => {
        out.off('drain', onDrain);
        reject(err);
      };
      out.once('drain', onDrain);
      this.#closeListeners.add(onClose);
    });
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
    this.#traceClient(redact ? REDACTED : line);
    this.#write(Buffer.from(line + '\r\n', 'utf8')).catch(() => undefined);
    this.#compression?.flush();
    this.#armTimer();
  }

  #waitContinue(p: Pending): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      p.continueWaiter = { resolve, reject };
    });
  }

  async #pipeLiteral(stream: Readable, size: number): Promise<void> {
    let sent = 0;
    for await (const chunk of stream) {
      const buf: Buffer =
        typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
      if (sent + buf.length > size) {
        throw new ImapArgumentError(`a literal stream is longer than its declared ${size} bytes`);
      }
      sent += buf.length;
      await this.#write(buf);
      if (this.#closed) throw this.#closedError();
    }
    if (sent !== size) {
      throw new ImapArgumentError(
        `a literal stream ended after ${sent} of its declared ${size} bytes`,
      );
    }
  }

  // ------------------------------------------------------------------
  // Receiving

  #newParser(greeting: boolean): ResponseParser {
    return new ResponseParser({
      ...this.#options.limits,
      streamThreshold: this.#options.streamThreshold ?? DEFAULT_STREAM_THRESHOLD,
      literalSink: (info) => this.#literalSink(info),
      keepRaw: this.#options.keepRaw === true,
      greeting,
      // Dispatch each response before the rest of the chunk is parsed, so a
      // large literal right after a completion is routed with current state.
      onResponse: (r) => {
        if (!this.#closed) this.#dispatch(r);
      },
    });
  }

  #newTrace(): ServerTrace | null {
    if (this.#logger?.trace === undefined) return null;
    return new ServerTrace(
      (line) => safeLog(this.#logger, 'trace', this.#logContext, line),
      () => this.#authenticating > 0,
    );
  }

  #attach(socket: Transport['socket']): void {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onSocketError);
  }

  #detach(socket: Transport['socket']): void {
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('close', this.#onEnd);
    socket.off('error', this.#onSocketError);
  }

  readonly #onData = (chunk: Buffer | string): void => {
    if (this.#closed) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    const now = Date.now();
    this.#lastByte = now;
    this.#bytesSinceProgress += buf.length;
    if (this.#bytesSinceProgress >= PROGRESS_BYTES) {
      this.#lastActivity = now;
      this.#bytesSinceProgress = 0;
    }
    if (this.#compression !== null) {
      this.#compression.input.write(buf);
      return;
    }
    this.#onPlain(buf);
  };

  readonly #onEnd = (): void => {
    if (this.#closed) return;
    const compression = this.#compression;
    if (compression !== null && this.#inflateEnding !== 'ended') {
      // Let the inflater hand over what it still holds (e.g. BYE and the
      // last completions) before failing anything.
      if (this.#inflateEnding === 'no') {
        this.#inflateEnding = 'ending';
        // Whichever comes first: the inflater's end, or a second's grace.
        const timer = setTimeout(() => {
          this.#inflateEnding = 'ended';
          this.#onEnd();
        }, 1000);
        timer.unref?.();
        compression.input.once('end', () => {
          clearTimeout(timer);
          this.#inflateEnding = 'ended';
          this.#onEnd();
        });
        compression.input.end();
      }
      return;
    }
    if (this.#loggingOut) {
      this.close();
      return;
    }
    const bye = this.#bye;
    this.close(
      bye !== null
        ? new ImapConnectionError(
            'CONNECTION_BYE',
            `the server closed the connection: ${bye.text}`,
            {
              serverText: bye.text,
              responseCode: bye.code,
            },
          )
        : new ImapConnectionError('CONNECTION_CLOSED', 'the server closed the connection'),
    );
  };

  readonly #onSocketError = (err: Error): void => {
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
    const raw = this.#raw;
    if (raw !== null) {
      this.#traceServerRaw(buf.length);
      raw.chunks.push(buf);
      raw.wake?.();
      return;
    }
    this.#trace?.push(buf);
    if (this.#switchCommand === null) {
      this.#feed(buf);
    } else {
      // STARTTLS / COMPRESS in flight: feed line by line so the bytes after
      // the tagged OK's CRLF are known exactly.
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
    if (this.#bye !== null && !this.#loggingOut && this.#greetingWaiter === null) {
      const bye = this.#bye;
      this.close(
        new ImapConnectionError('CONNECTION_BYE', `the server said BYE: ${bye.text}`, {
          serverText: bye.text,
          responseCode: bye.code,
        }),
      );
      return;
    }
    this.#armTimer();
  }

  #dispatch(r: Response): void {
    this.#lastActivity = Date.now();
    this.#bytesSinceProgress = 0;
    if (r.kind === 'tagged') this.#onTagged(r);
    else if (r.kind === 'continuation') this.#onContinuation(r);
    else this.#onUntagged(r);
  }

  #literalSink(info: LiteralStartInfo): LiteralSink | null {
    if (info.name === null) return null;
    const p = collectorByName(this.#inFlight, info.name);
    if (p === undefined) return null;
    if (p.abandoned) return DISCARD_SINK;
    const onLiteral = p.options.onLiteral;
    if (onLiteral === undefined) return null;
    const abandon = (err: unknown): void => {
      p.abandoned = true;
      this.#fail(p, err instanceof Error ? err : new Error(String(err)));
    };
    let sink: LiteralSink | null;
    try {
      sink = onLiteral(info);
    } catch (err) {
      abandon(err);
      return DISCARD_SINK;
    }
    if (sink === null) return null;
    // A throwing sink fails its command, never the connection: the bytes
    // still have to be read past to stay in sync.
    const target = sink;
    return {
      write(chunk: Buffer): void {
        if (p.abandoned) return;
        try {
          target.write(chunk);
        } catch (err) {
          abandon(err);
        }
      },
      end(): void {
        if (p.abandoned) return;
        try {
          target.end();
        } catch (err) {
          abandon(err);
        }
      },
    };
  }

  #onGreeting(r: UntaggedResponse): void {
    const waiter = this.#greetingWaiter;
    this.#greetingWaiter = null;
    this.#greeting = r;
    this.#emit('untagged', r);
    if (r.name !== 'OK' && r.name !== 'PREAUTH' && r.name !== 'BYE') {
      const err = new ImapConnectionError('PROTOCOL', `unexpected greeting: ${r.name}`);
      waiter?.reject(err);
      this.close(err);
      return;
    }
    if (r.code?.name === 'ALERT') this.#emit('alert', r.text);
    if (r.name === 'BYE') {
      this.#emit('bye', r.text);
      const err = new ImapConnectionError(
        'CONNECTION_BYE',
        `the server refused the connection: ${r.text}`,
        { serverText: r.text, responseCode: r.code },
      );
      waiter?.reject(err);
      this.close(err);
      return;
    }
    if (r.code?.name === 'CAPABILITY') this.#setCapabilities(r.code.capabilities);
    if (r.name === 'PREAUTH') this.#setState('authenticated');
    waiter?.resolve(r);
  }

  #waitGreeting(timeoutMs: number): Promise<UntaggedResponse> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new ImapConnectionError(
          'CONNECTION_TIMEOUT',
          `no greeting from the server within ${timeoutMs} ms`,
        );
        reject(err);
        this.close(err);
      }, timeoutMs);
      timer.unref?.();
    });
    return Promise.race([this.#greetingPromise, timeout]).finally(() => clearTimeout(timer));
  }

  #onUntagged(r: UntaggedResponse): void {
    if (this.#greetingWaiter !== null) {
      this.#onGreeting(r);
      return;
    }
    this.#emit('untagged', r);
    switch (r.name) {
      case 'CAPABILITY':
        this.#setCapabilities(r.capabilities);
        for (const p of this.#inFlight) p.sawCapability = true;
        break;
      case 'ENABLED': {
        // Only what an ENABLE in flight asked for (RFC 5161 3.2: nothing else may be enabled).
        const asked = this.#enableRequests();
        for (const c of r.capabilities) {
          const name = c.toUpperCase();
          if (asked.has(name)) this.#enabled.add(name);
        }
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
          this.#setCapabilities(r.code.capabilities);
          for (const p of this.#inFlight) p.sawCapability = true;
        }
        break;
    }
    if ('code' in r && r.code?.name === 'ALERT') this.#emit('alert', r.text);

    const events = this.#applyMailbox(r);

    for (const p of this.#inFlight) {
      const observe = p.hooks.observeUntagged;
      if (observe === undefined) continue;
      try {
        observe(r);
      } catch (err) {
        safeLog(this.#logger, 'error', { ...this.#logContext, err }, 'onUntagged threw');
      }
    }

    const target = collectorFor(this.#inFlight, r);
    const taken = target !== undefined && this.#deliver(target, r);

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
        case 'closed':
          break;
      }
    }
    if (r.name === 'FETCH' && !taken) this.#emit('fetch', r);
  }

  /** Extensions named by ENABLE commands in flight. */
  #enableRequests(): Set<string> {
    const asked = new Set<string>();
    for (const p of this.#inFlight) {
      if (p.verb !== 'ENABLE') continue;
      for (const a of p.args) if (a.type === 'atom') asked.add(a.value.toUpperCase());
    }
    return asked;
  }

  #applyMailbox(r: UntaggedResponse): MailboxEvent[] {
    const selecting = this.#selecting;
    if (selecting !== null) {
      const events = applyUntagged(selecting.mailbox, r, true);
      if (events.some((e) => e.type === 'closed')) {
        // [CLOSED]: what came before was about the previous mailbox.
        selecting.mailbox = newMailbox(selecting.mailbox.name, selecting.examine);
      }
      return events.filter((e) => e.type === 'vanished');
    }
    if (this.#selected !== null) return applyUntagged(this.#selected, r, false);
    return [];
  }

  /** Hands `r` to the command; false when its onUntagged declined it (then it is unsolicited). */
  #deliver(p: Pending, r: UntaggedResponse): boolean {
    if (p.abandoned || p.settled) return true;
    const onUntagged = p.options.onUntagged;
    if (onUntagged === undefined) {
      p.untagged.push(r);
      return true;
    }
    this.#delivering = p;
    try {
      return onUntagged(r) !== false;
    } catch (err) {
      p.abandoned = true;
      this.#fail(p, err instanceof Error ? err : new Error(String(err)));
      return true;
    } finally {
      this.#delivering = null;
    }
  }

  #onContinuation(r: ContinuationResponse): void {
    const writer = this.#inFlight.find((p) => p.continueWaiter !== null);
    if (writer !== undefined) {
      const waiter = writer.continueWaiter!;
      writer.continueWaiter = null;
      waiter.resolve();
      return;
    }
    for (let i = this.#inFlight.length - 1; i >= 0; i--) {
      const p = this.#inFlight[i]!;
      const handler = p.hooks.onContinuation ?? p.options.onContinuation;
      if (handler === undefined || p.phase === 'done') continue;
      this.#answerContinuation(p, handler, r);
      return;
    }
    this.close(
      new ImapConnectionError(
        'PROTOCOL',
        'protocol error: the server sent a continuation request no command was waiting for',
      ),
    );
  }

  #answerContinuation(
    p: Pending,
    handler: NonNullable<Hooks['onContinuation']>,
    r: ContinuationResponse,
  ): void {
    const redact = p.hooks.redactContinuations === true;
    const fail = (err: unknown): void => {
      this.#fail(p, err instanceof Error ? err : new Error(String(err)));
      this.close(asConnectionError(err, `answering a continuation of ${p.command} failed`));
    };
    let answer: Promise<string | null> | string | null;
    try {
      answer = handler(r);
    } catch (err) {
      fail(err);
      return;
    }
    if (typeof answer === 'string' || answer === null) {
      if (answer !== null) this.#writeLine(answer, redact);
      return;
    }
    answer.then((line) => {
      if (line !== null && !this.#closed && p.phase !== 'done') this.#writeLine(line, redact);
    }, fail);
  }

  #onTagged(r: TaggedResponse): void {
    const index = this.#inFlight.findIndex((p) => p.tag === r.tag);
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
    if (!p.pipeline) this.#exclusiveInFlight--;
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
        this.#fail(p, e);
        this.close(e);
        return;
      }
    }
    this.#applyTaggedCode(p, r);
    const post = this.#transition(p, r);
    const result: CommandResult = { tagged: r, untagged: p.untagged, command: p.redacted };
    if (post === undefined) {
      this.#succeed(p, result);
    } else {
      post.then(
        () => this.#succeed(p, result),
        (err: unknown) => this.#fail(p, err instanceof Error ? err : new Error(String(err))),
      );
    }
    if (p.verb === 'LOGOUT' && r.status === 'OK') {
      this.close();
      return;
    }
    this.#afterChange();
  }

  #applyTaggedCode(p: Pending, r: TaggedResponse): void {
    const code = r.code;
    if (code === null) return;
    if (code.name === 'CAPABILITY') {
      this.#setCapabilities(code.capabilities);
      p.sawCapability = true;
    } else if (code.name === 'ALERT') {
      this.#emit('alert', r.text);
    } else if (this.#selected !== null && this.#selecting?.command !== p) {
      for (const ev of applyCode(this.#selected, code, false)) {
        if (ev.type === 'readonly') this.#emit('readonly');
      }
    }
  }

  /** State changes on a command's completion; a returned promise delays its result. */
  #transition(p: Pending, r: TaggedResponse): Promise<void> | undefined {
    const ok = r.status === 'OK';
    switch (p.verb) {
      case 'SELECT':
      case 'EXAMINE': {
        const selecting = this.#selecting;
        if (selecting === null || selecting.command !== p) return undefined;
        this.#selecting = null;
        if (ok) {
          const mb = selecting.mailbox;
          if (r.code?.name === 'READ-ONLY') mb.readOnly = true;
          else if (r.code?.name === 'READ-WRITE') mb.readOnly = false;
          this.#selected = mb;
          this.#setState('selected');
        } else {
          this.#selected = null;
          if (this.#state === 'selected') this.#setState('authenticated');
        }
        return undefined;
      }
      case 'CLOSE':
      case 'UNSELECT':
        if (ok) {
          this.#selected = null;
          this.#setState('authenticated');
        }
        return undefined;
      case 'LOGIN':
      case 'AUTHENTICATE':
        if (!ok) return undefined;
        this.#setState('authenticated');
        return this.#refreshCapabilities(p);
      case 'UNAUTHENTICATE':
        if (!ok) return undefined;
        this.#selected = null;
        this.#enabled.clear();
        this.#setState('not-authenticated');
        return this.#refreshCapabilities(p);
      case 'STARTTLS':
        return ok ? this.#beginTls() : undefined;
      case 'COMPRESS':
        if (ok) this.#beginCompression();
        return undefined;
      default:
        return undefined;
    }
  }

  /** After login: capabilities from the completion's code, an untagged CAPABILITY, or a new CAPABILITY command. */
  #refreshCapabilities(p: Pending): Promise<void> | undefined {
    if (p.sawCapability) return undefined;
    return this.#enqueue('CAPABILITY', [], {}, { front: true }).then(() => undefined);
  }

  #beginTls(): Promise<void> {
    this.#switching = true;
    return new Promise<void>((resolve, reject) => {
      this.#switchAction = (rest: Buffer) => {
        const plain = this.#socket;
        plain.pause();
        this.#detach(plain);
        const buffered = rest.length + plain.readableLength;
        if (buffered > 0) {
          const err = tlsInjectionError(buffered);
          reject(err);
          this.close(err);
          return;
        }
        plain.on('error', () => undefined); // errors surface through the TLS socket
        this.#debug('starting TLS');
        upgradeToTls(
          plain,
          this.#host,
          this.#options.tls,
          this.#options.timeouts?.tls ?? DEFAULT_TLS_TIMEOUT,
        ).then(
          (tlsSocket) => {
            if (this.#closed) {
              tlsSocket.destroy();
              reject(this.#closedError());
              return;
            }
            // Nothing from before the handshake is trusted.
            this.#socket = tlsSocket;
            this.#secure = true;
            this.#parser = this.#newParser(false);
            this.#trace = this.#newTrace();
            this.#capabilities = new Set();
            this.#enabled = new Set();
            this.#readPaused = false;
            this.#attach(tlsSocket);
            this.#switching = false;
            this.#debug('TLS established');
            this.#enqueue('CAPABILITY', [], {}, { front: true }).then(() => resolve(), reject);
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
      const compression = createCompression();
      this.#compression = compression;
      const onError = (err: Error): void =>
        this.close(
          new ImapConnectionError(
            'COMPRESS_INJECTION',
            `compressed stream is corrupt (uncompressed or injected data after COMPRESS?): ${err.message}`,
            { cause: err },
          ),
        );
      compression.output.on('error', onError);
      compression.input.on('error', (err: Error) => {
        if (this.#inflateEnding === 'no') {
          onError(err);
          return;
        }
        // The server closed without a final deflate block: that is only the end.
        this.#inflateEnding = 'ended';
        this.#onEnd();
      });
      compression.output.pipe(this.#socket, { end: false });
      compression.input.on('data', (plain: Buffer) => this.#onPlain(plain));
      this.#debug('COMPRESS DEFLATE active');
      // RFC 4978: everything after the OK's CRLF is compressed.
      if (rest.length > 0) compression.input.write(rest);
      this.#afterChange();
    };
  }

  // ------------------------------------------------------------------
  // Completion, timers, reading

  #succeed(p: Pending, result: CommandResult): void {
    if (p.settled) return;
    p.settled = true;
    p.cleanup?.();
    p.resolve(result);
  }

  #fail(p: Pending, err: Error): void {
    if (p.settled) return;
    p.settled = true;
    p.cleanup?.();
    p.reject(err);
  }

  #check(command: string, result: CommandResult): CommandResult {
    const t = result.tagged;
    if (t.status === 'OK') return result;
    throw new ImapProtocolError(t.status, `${command.toUpperCase()} failed: ${t.text}`, {
      command: result.command,
      serverText: t.text,
      responseCode: t.code,
    });
  }

  /** After a completion or an abort: send more, update reading and timers, resume IDLE. */
  #afterChange(): void {
    if (this.#closed) return;
    this.#pump();
    this.#updateReading();
    // A completion only takes commands out of flight: a running timer's deadline stays the earliest.
    if (this.#timer === null) this.#armTimer();
    if (this.#queue.length === 0 && this.#inFlight.length === 0) this.#idle?.onQuiet();
  }

  #updateReading(): void {
    if (this.#closed || this.#switching) return;
    const pause = this.#queue.length === 0 && this.#readingPaused();
    if (pause === this.#readPaused) return;
    this.#readPaused = pause;
    if (pause) {
      this.#socket.pause();
    } else {
      this.#lastActivity = Date.now();
      this.#socket.resume();
    }
    this.#armTimer();
  }

  #readingPaused(): boolean {
    const only = this.#inFlight.length === 1 ? this.#inFlight[0] : undefined;
    for (const token of this.#pauses) {
      if (token.owner === null ? this.#inFlight.length === 0 : token.owner === only) return true;
    }
    return false;
  }

  /** The command timeout in force now, or null when nothing waits on the server. */
  #currentTimeout(): number | null {
    if (this.#readPaused || this.#closed) return null;
    let timeout: number | null = null;
    for (const p of this.#inFlight) {
      if (p.hooks.timeoutExempt?.() === true) continue;
      const t = p.options.timeout ?? this.#commandTimeout;
      if (timeout === null || t < timeout) timeout = t;
    }
    return timeout;
  }

  /**
   * Arms the command timer for the earliest deadline. With `added` (a
   * command just sent) and a timer running, only that command can bring the
   * deadline forward, so only it is looked at (not all in flight: 2,000
   * pipelined commands would cost 2,000² checks).
   */
  #armTimer(added?: Pending): void {
    if (added !== undefined && this.#timer !== null) {
      if (this.#readPaused || this.#closed || added.hooks.timeoutExempt?.() === true) return;
      const t = added.options.timeout ?? this.#commandTimeout;
      if (this.#lastActivity + t >= this.#timerDeadline) return;
    }
    const timeout = this.#currentTimeout();
    if (timeout === null) return; // a running timer re-checks when it fires
    const deadline = this.#lastActivity + timeout;
    if (this.#timer !== null) {
      if (deadline >= this.#timerDeadline) return;
      clearTimeout(this.#timer);
    }
    this.#timerDeadline = deadline;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, deadline - Date.now()));
    this.#timer.unref?.();
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    const timeout = this.#currentTimeout();
    if (timeout === null) return;
    const idle = Date.now() - this.#lastActivity;
    if (idle < timeout) {
      this.#armTimer();
      return;
    }
    const oldest = this.#inFlight.find((p) => p.hooks.timeoutExempt?.() !== true);
    const waiting = oldest ? ` while waiting for ${oldest.command}` : '';
    const silent = Date.now() - this.#lastByte >= timeout;
    this.close(
      new ImapConnectionError(
        'CONNECTION_TIMEOUT',
        silent
          ? `no data from the server for ${timeout} ms${waiting}`
          : `the server sent only ${this.#bytesSinceProgress} byte(s) and no complete response in ${timeout} ms${waiting} (too slow)`,
        oldest ? { command: oldest.redacted } : {},
      ),
    );
  };

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  // ------------------------------------------------------------------
  // Helpers

  #setCapabilities(caps: readonly string[]): void {
    this.#capabilities = new Set(caps.map((c) => c.toUpperCase()));
    this.#debug(`capabilities: ${[...this.#capabilities].join(' ')}`);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#debug(`state: ${state}`);
  }

  #closedError(): ImapConnectionError {
    return new ImapConnectionError('CONNECTION_CLOSED', 'the connection is closed');
  }

  #debug(msg: string): void {
    safeLog(this.#logger, 'debug', this.#logContext, msg);
  }

  #traceClient(text: string): void {
    if (this.#logger?.trace === undefined) return;
    safeLog(this.#logger, 'trace', this.#logContext, clientTraceLine(text));
  }

  /** Raw-mode input is logged by size only: the caller may be mid-authentication. */
  #traceServerRaw(bytes: number): void {
    if (this.#logger?.trace === undefined) return;
    safeLog(this.#logger, 'trace', this.#logContext, `S: [${bytes} raw bytes]`);
  }

  /** Emits without letting a throwing listener break the engine. */
  #emit<K extends keyof ConnectionEvents>(event: K, ...args: ConnectionEvents[K]): void {
    try {
      (this.emit as (name: string, ...rest: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      safeLog(
        this.#logger,
        'error',
        { ...this.#logContext, err },
        `a '${String(event)}' listener threw`,
      );
    }
  }

  #authHost(): AuthHost {
    return {
      capabilities: this.#capabilities,
      host: this.#host,
      port: this.#port,
      maxScramIterations: this.#options.maxScramIterations,
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
