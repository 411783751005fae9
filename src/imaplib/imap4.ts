import { constants as bufferConstants } from 'node:buffer';
import { createHmac, randomInt } from 'node:crypto';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ImapConnection } from '../connection/connection.js';
import { timerDelay } from '../connection/timer-delay.js';
import type { Logger, Security } from '../connection/types.js';
import { ImapConnectionError, ImapError, ImapLimitError } from '../model/errors.js';
import type { ContinuationResponse, UntaggedResponse } from '../model/response.js';
import { Secret } from '../model/secret.js';
import {
  raw as rawArg,
  rawBytes,
  literal as literalArg,
  list,
  passThroughEmpty,
  secret,
} from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import type { LiteralSink, LiteralStartInfo } from '../wire/parser-options.js';
import { COMMAND_STATES, type ImaplibState } from './commands-table.js';
import { ImaplibAbort, ImaplibError, ImaplibReadonly } from './errors.js';
import { Int2AP, Time2Internaldate, type StructTime } from './helpers.js';
import { RawInput } from './raw-input.js';
import {
  emptyResponses,
  recordTagged,
  recordUntagged,
  type ResponseData,
  type UntaggedItem,
  type UntaggedResponses,
} from './response-log.js';

/** imaplib's result: `[typ, data]`, e.g. `['OK', [Buffer]]`. */
export type ImaplibResult = [typ: string, data: ResponseData];

/** An argument as imaplib takes it: text or bytes sent as given, or null (skipped). */
export type ImaplibArg = string | Buffer | null | undefined;

/**
 * imaplib's `authobject`: answers a decoded challenge; null or undefined
 * (Python's None, also a callback that returns nothing) aborts the exchange.
 */
export type Authobject = (challenge: Buffer) => Buffer | string | null | undefined;

/** Connection options (the equivalent of Python's `timeout` and `ssl_context`). */
export interface IMAP4Options {
  /**
   * Seconds, like Python's `timeout`: applies to connect, greeting, TLS,
   * each command (server silence while it runs) and each readline()/read().
   *
   * A deliberate difference: left out (undefined), the engine's bounded
   * defaults apply (30 s to connect, for the greeting and for the TLS
   * handshake, 120 s of server silence per command) and readline()/read()
   * wait without limit, where CPython's `timeout=None` blocks forever.
   * `null` (Python's None) or `Infinity` asks for CPython's behaviour: no
   * timeout at all. Otherwise a positive number.
   */
  timeout?: number | null;
  /** TLS settings for IMAP4_SSL and starttls() (ca, servername, minVersion, cert, key...). Verified by default. */
  tls?: TlsConnectionOptions;
  /** A logger for the wire trace when `debug` >= 4 (default: stderr). Secrets are redacted. */
  logger?: Logger;
  /** imaplib's debug level; 4 or more traces the wire. */
  debug?: number;
  /**
   * Most bytes `untagged_responses` may hold (default 2 GiB: CPython has
   * no limit and its scripts fetch whole mailboxes in one call, so the
   * default only stops a server flooding the process out of memory; set a
   * lower one to bound it further). Each recorded
   * response counts its bytes plus 128. When the record is found holding
   * more than this (checked exactly once the running count passes it, then
   * against half of it), the response kind that overflowed it is dropped
   * from the record and further responses are not recorded until the
   * running command ends (or the next one starts), which then raises
   * `IMAP4.error` with code LIMIT; LOGOUT never raises it. The connection
   * stays usable, and a SELECT or EXAMINE that raises it has still
   * selected the mailbox.
   */
  maxCollectedBytes?: number;
  /**
   * Largest literal the facade reads, in bytes (default 2 GiB, like
   * maxCollectedBytes; at most Node's Buffer limit,
   * `buffer.constants.MAX_LENGTH`). CPython reads literals of any size; a
   * larger one aborts the connection with `IMAP4.abort` (code LIMIT). A
   * FETCH literal is received straight into one Buffer of its size. The
   * literals of one response may total maxCollectedBytes (at most 2 GiB),
   * or this when it is more: set both to bound what one response can make
   * the client hold.
   */
  maxLiteralSize?: number;
}

const ALLOWED_VERSIONS = ['IMAP4REV1', 'IMAP4'];
/** imaplib's _MAXLINE. */
const MAX_LINE = 1_000_000;
/** FETCH responses are recorded from the 'untagged' event; collecting them lets their literals stream. */
const COLLECT_FETCH = ['FETCH'];
const EMPTY = Buffer.alloc(0);
/** Default of IMAP4Options.maxCollectedBytes: 2 GiB, far above what CPython scripts fetch in one call. */
const DEFAULT_MAX_HELD = 2 * 1024 * 1024 * 1024;
/** Default of IMAP4Options.maxLiteralSize, and the most a response's literals total by default. */
const DEFAULT_MAX_LITERAL = 2 * 1024 * 1024 * 1024;
/** Responses idle() holds for a slow consumer before it pauses reading. */
const IDLE_HIGH_WATER = 256;
/** What each recorded response counts beyond its bytes. */
const RESPONSE_OVERHEAD = 128;

/** What `ur` holds, counted as {@link IMAP4.untagged_responses} is limited. */
function heldSize(ur: UntaggedResponses): number {
  let size = 0;
  for (const typ in ur) {
    for (const item of ur[typ]!) {
      size +=
        RESPONSE_OVERHEAD + (Array.isArray(item) ? item[0].length + item[1].length : item.length);
    }
  }
  return size;
}
function ignore(): void {}
const MAP_CRLF = /\r\n|\r|\n/g;

function toText(arg: string | Buffer): string {
  return typeof arg === 'string' ? arg : arg.toString('latin1');
}

function stderrLogger(): Logger {
  return {
    trace: (obj, msg) => process.stderr.write(`imapkit ${msg ?? ''} ${JSON.stringify(obj)}\n`),
    debug: (obj, msg) => process.stderr.write(`imapkit ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  };
}

/**
 * Python's `imaplib.IMAP4`, asynchronous: every command method resolves to
 * `[typ, data]` exactly as CPython returns it for the same server bytes, and
 * throws `IMAP4.error` / `IMAP4.abort` / `IMAP4.readonly` where CPython raises.
 *
 * ```ts
 * const M = await IMAP4.connect('localhost', 143);
 * await M.login('alice', 'secret');
 * await M.select();
 * const [, [nums]] = await M.search(null, 'ALL');
 * ```
 */
export class IMAP4 {
  /** imaplib's `IMAP4.error`. */
  static readonly error = ImaplibError;
  /** imaplib's `IMAP4.abort`. */
  static readonly abort = ImaplibAbort;
  /** imaplib's `IMAP4.readonly`. */
  static readonly ['readonly'] = ImaplibReadonly;

  /** The server's host name (imaplib's `host`). */
  host = '';
  /** The server's port (imaplib's `port`). */
  port = 143;
  #debug = 0;
  /**
   * imaplib's debug level; 4 or more traces the wire (see
   * {@link IMAP4Options.debug}). A live setting, as in CPython: setting it
   * on a connected instance starts or stops the trace.
   */
  get debug(): number {
    return this.#debug;
  }
  /** Sets the debug level; crossing 4 on a connected instance starts or stops the trace. */
  set debug(level: number) {
    const tracing = this.#debug >= 4;
    this.#debug = level;
    if (tracing !== level >= 4) this.connection?.setLogger(this.logger());
  }
  /** The connection state as imaplib tracks it: `NONAUTH`, `AUTH`, `SELECTED` or `LOGOUT`. */
  state: ImaplibState = 'LOGOUT';
  /** Upper-cased capabilities from the last CAPABILITY. */
  capabilities: string[] = [];
  /** Untagged responses received and not yet consumed, by name (a null-prototype object). */
  untagged_responses: UntaggedResponses = emptyResponses();
  /** Commands sent and not yet completed, by tag (value null while pending). */
  tagged_commands: Record<string, ImaplibResult | null> = Object.create(null) as Record<
    string,
    ImaplibResult | null
  >;
  /**
   * imaplib's `literal`: bytes the next command sends as a literal after
   * its arguments (` {n}`, then the bytes once the server says `+`); the
   * command clears it. A string is sent as UTF-8. The idiom for non-ASCII
   * search text: `M.literal = Buffer.from('Подписка'); await M.uid('SEARCH',
   * 'CHARSET', 'UTF-8', 'SUBJECT')`. `append()` and `authenticate()` replace
   * it, as in CPython.
   */
  literal: Buffer | string | null = null;
  /** The text of the last continuation response. */
  continuation_response: Buffer = Buffer.alloc(0);
  /** True when the selected mailbox was opened read-only (`select(mailbox, true)`). */
  is_readonly = false;
  /** True after `enable('UTF8=ACCEPT')` succeeded: arguments and data are UTF-8. */
  utf8_enabled = false;
  /** The protocol the server announced: `IMAP4REV1` or `IMAP4`. */
  PROTOCOL_VERSION = '';
  /** The server greeting line. */
  welcome: Buffer = Buffer.alloc(0);
  /** The tag prefix, as imaplib's `tagpre`. */
  tagpre: Buffer = Buffer.alloc(0);

  /** The options given to {@link IMAP4.open}. */
  protected options: IMAP4Options = {};
  /** The TLS settings the connection uses (its own copy: starttls() adds to it before the handshake). */
  private tlsSettings: TlsConnectionOptions = {};
  /** Literals of FETCH responses the engine streamed to us, oldest first (see literalSink). */
  private streamedLiterals: Buffer[] = [];
  private streamedHead = 0;
  /** Bytes of the streamed literals not yet taken (those of the response being received). */
  private streamedBytes = 0;
  /** What `untagged_responses` holds, counted as recorded (an upper bound: consumed data is not subtracted). */
  private heldBytes = 0;
  /** True while idle() captures untagged responses for its loop instead of `untagged_responses`. */
  private idleCapture = false;
  /** The responses idle()'s loop took (not recorded in `untagged_responses`). */
  private readonly idleTaken = new WeakSet<UntaggedResponse>();
  /** Set when `untagged_responses` went over the limit: raised when the running (or next) command ends. */
  private heldOverflow: ImaplibError | null = null;
  /** The engine connection; null before `open()` and after `shutdown()`. */
  protected connection: ImapConnection | null = null;

  /** Default port of this class. */
  protected static defaultPort = 143;

  /**
   * Connects to `host:port` and reads the greeting and capabilities, like
   * Python's constructor. Resolves to the connected instance.
   */
  static async connect<T extends IMAP4>(
    this: new () => T,
    host = 'localhost',
    port?: number,
    options: IMAP4Options = {},
  ): Promise<T> {
    const instance = new this();
    await instance.open(host, port, options);
    return instance;
  }

  /** The security this class uses on `open`. */
  protected security(): Security {
    return 'none';
  }

  /** Opens the connection (Python's `open` + `_connect`). */
  async open(host = 'localhost', port?: number, options: IMAP4Options = {}): Promise<void> {
    this.host = host || 'localhost';
    this.port = port ?? (this.constructor as typeof IMAP4).defaultPort;
    const maxLiteral = options.maxLiteralSize;
    if (
      maxLiteral !== undefined &&
      (!Number.isSafeInteger(maxLiteral) ||
        maxLiteral < 0 ||
        maxLiteral > bufferConstants.MAX_LENGTH)
    ) {
      throw new ImaplibError(
        `maxLiteralSize must be an integer from 0 to ${bufferConstants.MAX_LENGTH}, not ${String(maxLiteral)}`,
        'ARGUMENT',
      );
    }
    const timeout = options.timeout;
    if (
      timeout !== undefined &&
      timeout !== null &&
      (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout <= 0)
    ) {
      throw new ImaplibError(
        `timeout must be a positive number of seconds, Infinity or null, not ${String(timeout)}`,
        'ARGUMENT',
      );
    }
    this.options = options;
    if (options.debug !== undefined) this.debug = options.debug;
    let connection: ImapConnection;
    try {
      connection = await this.openConnection();
    } catch (err) {
      throw refusedGreeting(err) ?? this.wrapError(err, null);
    }
    try {
      await this.attach(connection);
    } catch (err) {
      // As CPython's `try: self._connect() except Exception: self.shutdown();
      // raise`: a greeting or CAPABILITY the facade refuses closes the
      // connection (it was left open, and the process could not exit).
      this.shutdown();
      throw err;
    }
  }

  /** The options {@link IMAP4.openConnection} passes to `ImapConnection.connect`: host, port, security, TLS, timeouts, logger, a fresh tag prefix. */
  protected connectOptions(): Parameters<typeof ImapConnection.connect>[0] {
    const ms = this.timeoutMs();
    this.tagpre = Int2AP(randomInt(4096, 65536));
    return {
      host: this.host,
      port: this.port,
      security: this.security(),
      tls: (this.tlsSettings = { ...this.options.tls }),
      keepRaw: true,
      tagPrefix: this.tagpre.toString('latin1'),
      timeouts: ms === undefined ? undefined : { connect: ms, greeting: ms, tls: ms, command: ms },
      logger: this.logger(),
      limits: { maxLiteralSize: this.maxLiteral(), maxResponseBytes: this.maxResponse() },
      // Every FETCH literal of a command is streamed into one exactly-sized
      // Buffer (literalSink), so the socket's chunks are not kept alive by
      // the data handed out, nor concatenated into a second copy.
      streamThreshold: 0,
    };
  }

  /**
   * IMAP4Options.timeout in milliseconds: undefined when left out (the
   * engine's defaults), Infinity for null or Infinity (no timeout, CPython's
   * `timeout=None`).
   */
  private timeoutMs(): number | undefined {
    const timeout = this.options.timeout;
    if (timeout === undefined) return undefined;
    return timeout === null ? Infinity : timeout * 1000;
  }

  /** The engine's logger: `options.logger`, or the stderr trace while `debug` >= 4. */
  private logger(): Logger | undefined {
    return this.#debug >= 4 ? (this.options.logger ?? stderrLogger()) : this.options.logger;
  }

  /** Opens the engine connection; a failure is thrown as imaplib's `abort` (or `error`). */
  protected async openConnection(): Promise<ImapConnection> {
    try {
      return await ImapConnection.connect(this.connectOptions());
    } catch (err) {
      throw this.wrapError(err, null);
    }
  }

  /** Adopts a connected engine: records the greeting, state and capabilities. */
  protected async attach(connection: ImapConnection): Promise<void> {
    this.connection = connection;
    connection.on('untagged', (response: UntaggedResponse) => {
      // The CAPABILITY the engine sends by itself after a login without
      // capabilities: CPython sends none, so its answer is not recorded.
      if (response.name === 'CAPABILITY' && connection.ownCommandInFlight) return;
      this.onUntagged(response);
    });
    const greeting = connection.greeting;
    if (greeting?.raw) {
      this.welcome = Buffer.from(greeting.raw.pieces[0]!);
      recordUntagged(this.untagged_responses, greeting.raw);
    }
    if ('PREAUTH' in this.untagged_responses) this.state = 'AUTH';
    else if ('OK' in this.untagged_responses) this.state = 'NONAUTH';
    else throw new ImaplibError(this.welcome.toString('latin1'));
    await this.getCapabilities();
    const version = ALLOWED_VERSIONS.find((v) => this.capabilities.includes(v));
    if (!version) throw new ImaplibError('server not IMAP4 compliant');
    this.PROTOCOL_VERSION = version;
  }

  private onUntagged(response: UntaggedResponse): void {
    if (this.idleCapture) {
      // While idle() captures, its loop gets what arrives while IDLE is in
      // flight instead (CPython 3.14); it sees a response after this event,
      // so decide once it had its turn. Responses to a command run from
      // inside the loop (IDLE ended for it) are recorded as usual, in order.
      queueMicrotask(() => {
        if (!this.idleTaken.has(response)) this.record(response);
      });
      return;
    }
    this.record(response);
  }

  /** Records `response` in `untagged_responses`, within maxCollectedBytes. */
  private record(response: UntaggedResponse): void {
    const raw = response.raw;
    if (!raw) return;
    if (this.heldOverflow !== null && response.name !== 'BYE') {
      // Dropped: the limit error is pending (a BYE is still recorded: it ends
      // the session). Its streamed literals are dropped too.
      this.resetStreamed();
      return;
    }
    // The literals streamed to literalSink for this response are not in its pieces.
    let size = RESPONSE_OVERHEAD + this.streamedBytes;
    for (const piece of raw.pieces) size += piece.length;
    const typ = recordUntagged(this.untagged_responses, raw, this.takeLiteral);
    this.heldBytes += size;
    if (this.heldBytes > this.maxHeld()) this.checkHeld(typ);
  }

  /** The largest literal read (IMAP4Options.maxLiteralSize). */
  private maxLiteral(): number {
    return this.options.maxLiteralSize ?? DEFAULT_MAX_LITERAL;
  }

  /** The most a response's literals may total. */
  private maxResponse(): number {
    return Math.max(this.maxLiteral(), Math.min(this.maxHeld(), DEFAULT_MAX_LITERAL));
  }

  /** The limit on what `untagged_responses` holds. */
  private maxHeld(): number {
    return this.options.maxCollectedBytes ?? DEFAULT_MAX_HELD;
  }

  /**
   * The running count passed the limit: measures what the record really
   * holds (the caller may have consumed some). Over half the limit, the
   * kind `typ` is dropped and recording stops until the error is raised;
   * the halving makes the next measure at least half a limit of data away
   * (linear cost overall).
   */
  private checkHeld(typ: string | null): void {
    const limit = this.maxHeld();
    this.heldBytes = heldSize(this.untagged_responses);
    if (this.heldBytes <= limit / 2) return;
    const dropped = typ === null ? 0 : (this.untagged_responses[typ]?.length ?? 0);
    if (typ !== null) delete this.untagged_responses[typ];
    this.heldBytes = heldSize(this.untagged_responses);
    this.heldOverflow = new ImaplibError(
      `untagged_responses went over the ${limit}-byte limit: ${dropped} ${typ ?? ''} response(s) ` +
        'were dropped and further ones not recorded. Raise the maxCollectedBytes option of ' +
        'IMAP4.connect() if the server really sends this much',
      'LIMIT',
    );
  }

  /** Raises a pending limit error once (the record is recorded into again afterwards). */
  private raiseHeldOverflow(): void {
    const err = this.heldOverflow;
    if (err === null) return;
    this.heldOverflow = null;
    throw err;
  }

  /**
   * Receives a streamed FETCH literal into one Buffer of its announced size
   * (its only copy). The parser's limits (set from maxLiteralSize) still
   * hold: a literal over maxLiteralSize is left to the parser (which refuses
   * it), and one that would take a response's streamed bytes over
   * maxResponse() fails the command.
   */
  private readonly literalSink = (info: LiteralStartInfo): LiteralSink | null => {
    const size = info.size;
    if (size > this.maxLiteral()) return null;
    const maxResponse = this.maxResponse();
    if (this.streamedBytes + size > maxResponse) {
      throw new ImapLimitError(
        'maxResponseBytes',
        `response with literals over the ${maxResponse}-byte limit (a ${size}-byte literal after ${this.streamedBytes} bytes)`,
      );
    }
    const buf = Buffer.allocUnsafe(size);
    this.streamedBytes += size;
    let filled = 0;
    return {
      write: (chunk: Buffer): void => {
        filled += chunk.copy(buf, filled);
      },
      end: (): void => {
        this.streamedLiterals.push(filled === size ? buf : buf.subarray(0, filled));
      },
    };
  };

  /** The oldest streamed literal, for the response whose raw framing left it out. */
  private readonly takeLiteral = (size: number): Buffer | undefined => {
    const queue = this.streamedLiterals;
    if (this.streamedHead >= queue.length) return undefined;
    const buf = queue[this.streamedHead]!;
    queue[this.streamedHead++] = EMPTY;
    if (this.streamedHead === queue.length) this.resetStreamed();
    return buf.length === size ? buf : undefined;
  };

  private resetStreamed(): void {
    this.streamedLiterals = [];
    this.streamedHead = 0;
    this.streamedBytes = 0;
  }

  private async getCapabilities(): Promise<void> {
    const [, dat] = await this.capability();
    const last = dat[dat.length - 1];
    if (last === null || last === undefined) {
      throw new ImaplibError('no CAPABILITY response from server');
    }
    const text = (Array.isArray(last) ? last[0] : last).toString(
      this.utf8_enabled ? 'utf8' : 'latin1',
    );
    this.capabilities = text
      .toUpperCase()
      .split(/\s+/)
      .filter((s) => s.length > 0);
  }

  private requireConnection(): ImapConnection {
    if (!this.connection) throw new ImaplibAbort('socket error: not connected');
    return this.connection;
  }

  private wrapError(err: unknown, name: string | null): Error {
    if (err instanceof ImaplibError) return err;
    const prefix = name ? `command: ${name} => ` : '';
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ImapConnectionError) {
      return new ImaplibAbort(prefix + message, err.code, { cause: err });
    }
    if (err instanceof ImapError)
      return new ImaplibError(prefix + message, err.code, { cause: err });
    return new ImaplibAbort(prefix + message, 'CONNECTION_FAILED', { cause: err });
  }

  /** imaplib's `_check_bye`. */
  private checkBye(): void {
    const bye = this.untagged_responses['BYE'];
    if (bye && bye.length > 0) {
      const last = bye[bye.length - 1]!;
      throw new ImaplibAbort((Array.isArray(last) ? last[0] : last).toString('utf8'));
    }
  }

  /** `_command`'s state check: `error` (and `literal` cleared) when `name` is not allowed now. */
  private checkState(name: string): void {
    const allowed = COMMAND_STATES.get(name);
    if (allowed && !allowed.includes(this.state)) {
      this.literal = null;
      throw new ImaplibError(
        `command ${name} illegal in state ${this.state}, only allowed in states ${allowed.join(', ')}`,
        'STATE',
      );
    }
  }

  /**
   * Sends one command as imaplib's `_command` + `_command_complete` do: state
   * check, OK/NO/BAD responses cleared, READ-ONLY check, arguments joined by
   * spaces as given; BAD raises `error`.
   */
  protected async simpleCommand(
    name: string,
    args: readonly ImaplibArg[],
    extra: { literal?: CommandArg; onContinuation?: Authobject } = {},
  ): Promise<ImaplibResult> {
    this.checkState(name);
    if (name === 'LOGOUT') this.heldOverflow = null;
    else this.raiseHeldOverflow();
    for (const typ of ['OK', 'NO', 'BAD']) delete this.untagged_responses[typ];
    if ('READ-ONLY' in this.untagged_responses && !this.is_readonly) {
      throw new ImaplibReadonly('mailbox status changed to READ-ONLY');
    }
    const connection = this.requireConnection();
    this.leaveRawMode(connection);
    this.resetStreamed();
    const cmdArgs: CommandArg[] = [];
    const userLiteral = this.literal;
    this.literal = null;
    try {
      for (const arg of args) {
        if (arg === null || arg === undefined) continue;
        // Bytes go out exactly as given (as CPython sends them), text as UTF-8;
        // an empty one as nothing after its space, as CPython's b' ' + b''.
        if (arg.length === 0) cmdArgs.push(passThroughEmpty());
        else cmdArgs.push(typeof arg === 'string' ? rawArg(arg) : rawBytes(arg));
      }
      if (extra.literal) cmdArgs.push(extra.literal);
      if (userLiteral !== null && userLiteral !== undefined) cmdArgs.push(literalArg(userLiteral));
    } catch (err) {
      throw this.wrapError(err, name);
    }
    // The engine's tag, as sent: imaplib's tagged_commands holds it while pending.
    let tag = '';
    const logout = name === 'LOGOUT';
    if (!logout) this.checkBye();
    const authobject = extra.onContinuation;
    let result;
    try {
      result = await connection.run(name, cmdArgs, {
        collect: COLLECT_FETCH,
        onUntagged: ignore,
        // untagged_responses is what is kept: limited by heldBytes instead.
        maxCollectedBytes: Infinity,
        onLiteral: this.literalSink,
        onTag: (t: string) => {
          tag = t;
          this.tagged_commands[t] = null;
        },
        onContinuation: authobject
          ? (c: ContinuationResponse) => this.answerChallenge(authobject, c)
          : undefined,
      });
    } catch (err) {
      delete this.tagged_commands[tag];
      if (logout && this.untagged_responses['BYE']) {
        const bye = this.untagged_responses['BYE'];
        delete this.untagged_responses['BYE'];
        return ['BYE', bye];
      }
      throw this.wrapError(err, name);
    }
    delete this.tagged_commands[tag];
    const tagged = result.tagged;
    const [typ, data] = tagged.raw
      ? recordTagged(this.untagged_responses, tagged.raw, tagged)
      : [tagged.status, [Buffer.from(tagged.text, 'utf8')] as ResponseData];
    if (logout && this.untagged_responses['BYE']) {
      const bye = this.untagged_responses['BYE'];
      delete this.untagged_responses['BYE'];
      return ['BYE', bye];
    }
    if (!logout) {
      this.checkBye();
      // A refusal (NO) is returned first: the limit error stays pending for
      // the next command, so a caller never mistakes a refused SELECT for one
      // that selected.
      if (typ === 'OK') this.raiseHeldOverflow();
    }
    if (typ === 'BAD') {
      throw new ImaplibError(`${name} command error: ${typ} ${formatData(data)}`, 'PROTOCOL_BAD', {
        serverText: tagged.text,
        responseCode: tagged.code,
      });
    }
    return [typ, data];
  }

  private answerChallenge(authobject: Authobject, c: ContinuationResponse): string {
    const text = c.raw ? Buffer.from(c.raw.pieces[0]!.subarray(2)) : Buffer.from(c.text, 'latin1');
    this.continuation_response = text;
    const challenge =
      text.length === 0 ? Buffer.alloc(0) : Buffer.from(text.toString('latin1'), 'base64');
    const answer = authobject(challenge);
    if (answer === null || answer === undefined) return '*';
    return (typeof answer === 'string' ? Buffer.from(answer, 'utf8') : answer).toString('base64');
  }

  /** imaplib's `_untagged_response`: pops the named responses, `[null]` when none. */
  protected untaggedResponse(typ: string, dat: ResponseData, name: string): ImaplibResult {
    if (typ === 'NO') return [typ, dat];
    const data = this.untagged_responses[name];
    if (!data) return [typ, [null]];
    delete this.untagged_responses[name];
    return [typ, data];
  }

  private async plainCommand(name: string, ...args: ImaplibArg[]): Promise<ImaplibResult> {
    return this.simpleCommand(name, args);
  }

  private async commandUntagged(
    name: string,
    responseName: string,
    ...args: ImaplibArg[]
  ): Promise<ImaplibResult> {
    const [typ, dat] = await this.simpleCommand(name, args);
    return this.untaggedResponse(typ, dat, responseName);
  }

  // ---- utility methods ----

  /** Most recent RECENT responses, else prompts the server with NOOP. */
  async recent(): Promise<ImaplibResult> {
    const [typ, dat] = this.untaggedResponse('OK', [null], 'RECENT');
    if (dat[dat.length - 1]) return [typ, dat];
    const [t2, d2] = await this.noop();
    return this.untaggedResponse(t2, d2, 'RECENT');
  }

  /** Data of the untagged response `code` received so far, or [null]; clears it. */
  async response(code: string): Promise<ImaplibResult> {
    return this.untaggedResponse(code, [null], code.toUpperCase());
  }

  // ---- IMAP4 commands ----

  /** APPEND: `flags`, `date_time` may be null; line endings of `message` become CRLF; in UTF-8 mode it is sent as `UTF8 (~{n}...)`. */
  async append(
    mailbox: string | Buffer | null,
    flags: string | null,
    date_time: number | Date | StructTime | string | null,
    message: Buffer | string,
  ): Promise<ImaplibResult> {
    this.literal = null; // CPython's append() sets it to the message
    const box = mailbox && mailbox.length > 0 ? mailbox : 'INBOX'; // CPython's `not mailbox`
    let f: string | null = null;
    if (flags) f = flags.startsWith('(') && flags.endsWith(')') ? flags : `(${flags})`;
    const dt = date_time ? Time2Internaldate(date_time) : null;
    const body = Buffer.from(
      toText(typeof message === 'string' ? Buffer.from(message, 'utf8') : message).replace(
        MAP_CRLF,
        '\r\n',
      ),
      'latin1',
    );
    // RFC 6855 3: in UTF-8 mode the message is `UTF8 (` literal8 `)`, i.e. `~{n}`.
    // A message with NUL, which no plain literal can carry (CPython sends it
    // anyway), goes as literal8 too when the server has BINARY (RFC 3516).
    let lit: CommandArg;
    if (this.utf8_enabled) lit = list([literalArg(body, { binary: true })]);
    else if (body.includes(0)) {
      if (!this.capabilities.includes('BINARY')) {
        throw new ImaplibError(
          'command: APPEND => a message with NUL bytes needs the BINARY capability (RFC 3516), which the server lacks',
          'ARGUMENT',
        );
      }
      lit = literalArg(body, { binary: true });
    } else lit = literalArg(body, { binary: false });
    const args: ImaplibArg[] = [box, f, dt];
    if (this.utf8_enabled) args.push('UTF8');
    return this.simpleCommand('APPEND', args, { literal: lit });
  }

  /** AUTHENTICATE with `authobject` answering each (decoded) challenge. */
  async authenticate(mechanism: string, authobject: Authobject): Promise<ImaplibResult> {
    const mech = mechanism.toUpperCase();
    this.literal = null; // CPython's authenticate() sets it to the authobject
    const [typ, dat] = await this.simpleCommand('AUTHENTICATE', [mech], {
      onContinuation: authobject,
    });
    if (typ !== 'OK') throw new ImaplibError(lastText(dat), 'AUTH');
    this.state = 'AUTH';
    return [typ, dat];
  }

  /** CAPABILITY: data is the untagged CAPABILITY response. */
  async capability(): Promise<ImaplibResult> {
    return this.commandUntagged('CAPABILITY', 'CAPABILITY');
  }

  /** CHECK: a checkpoint of the selected mailbox. */
  async check(): Promise<ImaplibResult> {
    return this.plainCommand('CHECK');
  }

  /** CLOSE; the state is AUTH afterwards whatever happens. */
  async close(): Promise<ImaplibResult> {
    try {
      return await this.plainCommand('CLOSE');
    } finally {
      this.state = 'AUTH';
    }
  }

  /** COPY `message_set` (sequence numbers, sent as given) to `new_mailbox`. */
  async copy(message_set: string | Buffer, new_mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('COPY', message_set, new_mailbox);
  }

  /** CREATE a mailbox. */
  async create(mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('CREATE', mailbox);
  }

  /** DELETE a mailbox. */
  async delete(mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('DELETE', mailbox);
  }

  /** DELETEACL (RFC 4314): removes the rights of `who` on `mailbox`. */
  async deleteacl(mailbox: string | Buffer, who: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('DELETEACL', mailbox, who);
  }

  /** ENABLE; enabling UTF8=ACCEPT switches to UTF-8 mode. */
  async enable(capability: string): Promise<ImaplibResult> {
    if (!this.capabilities.includes('ENABLE')) {
      throw new ImaplibError('Server does not support ENABLE', 'CAPABILITY');
    }
    const [typ, data] = await this.plainCommand('ENABLE', capability);
    if (typ === 'OK' && capability.toUpperCase().includes('UTF8=ACCEPT')) this.utf8_enabled = true;
    return [typ, data];
  }

  /** EXPUNGE: data is the sequence numbers of the EXPUNGE responses, or `[null]`. */
  async expunge(): Promise<ImaplibResult> {
    return this.commandUntagged('EXPUNGE', 'EXPUNGE');
  }

  /** FETCH `message_parts` (e.g. `(FLAGS BODY[])`, sent as given) of `message_set`; data is the FETCH responses, a literal giving a `[prefix, bytes]` pair. */
  async fetch(
    message_set: string | Buffer,
    message_parts: string | Buffer,
  ): Promise<ImaplibResult> {
    return this.commandUntagged('FETCH', 'FETCH', message_set, message_parts);
  }

  /** GETACL (RFC 4314): data is the ACL responses. */
  async getacl(mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.commandUntagged('GETACL', 'ACL', mailbox);
  }

  /** GETANNOTATION (the draft ANNOTATEMORE extension): data is the ANNOTATION responses. */
  async getannotation(
    mailbox: string | Buffer,
    entry: string | Buffer,
    attribute: string | Buffer,
  ): Promise<ImaplibResult> {
    return this.commandUntagged('GETANNOTATION', 'ANNOTATION', mailbox, entry, attribute);
  }

  /** GETQUOTA (RFC 9208): data is the QUOTA responses of `root`. */
  async getquota(root: string | Buffer): Promise<ImaplibResult> {
    return this.commandUntagged('GETQUOTA', 'QUOTA', root);
  }

  /** GETQUOTAROOT: data is `[quotaroot responses, quota responses]`. */
  async getquotaroot(mailbox: string | Buffer): Promise<[string, [ResponseData, ResponseData]]> {
    const [typ, dat] = await this.plainCommand('GETQUOTAROOT', mailbox);
    const [, quota] = this.untaggedResponse(typ, dat, 'QUOTA');
    const [typ2, quotaroot] = this.untaggedResponse(typ, dat, 'QUOTAROOT');
    return [typ2, [quotaroot, quota]];
  }

  /** LIST `pattern` under `directory` (both sent as given; defaults `""` and `*`): data is the LIST responses. */
  async list(
    directory: string | Buffer = '""',
    pattern: string | Buffer = '*',
  ): Promise<ImaplibResult> {
    return this.commandUntagged('LIST', 'LIST', directory, pattern);
  }

  /** LOGIN with the password quoted (imaplib's `_quote`); NO raises `error`. */
  async login(user: string | Buffer, password: string | Secret): Promise<ImaplibResult> {
    const pw = password instanceof Secret ? password : new Secret(password);
    let literal: CommandArg;
    try {
      literal = secret(pw);
    } catch (err) {
      // A password with NUL: IMAP4.error, as argument errors of other commands.
      throw this.wrapError(err, 'LOGIN');
    }
    const [typ, dat] = await this.simpleCommand('LOGIN', [user], { literal });
    if (typ !== 'OK') throw new ImaplibError(pyBytesRepr(dat[dat.length - 1]), 'PROTOCOL_NO');
    this.state = 'AUTH';
    return [typ, dat];
  }

  /** AUTHENTICATE CRAM-MD5 (RFC 2195). */
  async login_cram_md5(user: string, password: string | Secret): Promise<ImaplibResult> {
    const pw = password instanceof Secret ? password.reveal() : password;
    return this.authenticate(
      'CRAM-MD5',
      (challenge) => `${user} ${createHmac('md5', pw).update(challenge).digest('hex')}`,
    );
  }

  /** LOGOUT; returns the server's BYE. */
  async logout(): Promise<ImaplibResult> {
    this.state = 'LOGOUT';
    let result: ImaplibResult;
    try {
      result = await this.plainCommand('LOGOUT');
    } finally {
      this.shutdown();
    }
    return result;
  }

  /** LSUB: like {@link IMAP4.list}, for subscribed mailboxes. */
  async lsub(
    directory: string | Buffer = '""',
    pattern: string | Buffer = '*',
  ): Promise<ImaplibResult> {
    return this.commandUntagged('LSUB', 'LSUB', directory, pattern);
  }

  /** MYRIGHTS (RFC 4314): data is the MYRIGHTS responses. */
  async myrights(mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.commandUntagged('MYRIGHTS', 'MYRIGHTS', mailbox);
  }

  /** NAMESPACE (RFC 2342): data is the NAMESPACE response. */
  async namespace(): Promise<ImaplibResult> {
    return this.commandUntagged('NAMESPACE', 'NAMESPACE');
  }

  /** NOOP: lets the server send pending updates (collected in `untagged_responses`). */
  async noop(): Promise<ImaplibResult> {
    return this.plainCommand('NOOP');
  }

  /**
   * PARTIAL (obsolete, RFC 1730). Sent as FETCH `part<start.length>` since
   * current servers reject PARTIAL; data as for fetch().
   */
  async partial(
    message_num: string | Buffer,
    message_part: string,
    start: number | string,
    length: number | string,
  ): Promise<ImaplibResult> {
    this.checkState('PARTIAL'); // CPython's message names PARTIAL, not the FETCH sent
    const part = message_part.toUpperCase() === 'RFC822' ? 'BODY[]' : message_part;
    const [typ, dat] = await this.simpleCommand('FETCH', [
      message_num,
      `${part}<${String(start)}.${String(length)}>`,
    ]);
    return this.untaggedResponse(typ, dat, 'FETCH');
  }

  /** PROXYAUTH (a Cyrus extension): act as `user`. */
  async proxyauth(user: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('PROXYAUTH', user);
  }

  /** RENAME a mailbox. */
  async rename(oldmailbox: string | Buffer, newmailbox: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('RENAME', oldmailbox, newmailbox);
  }

  /** SEARCH; `charset` null for none; criteria (text, or bytes sent unchanged; null skipped) are sent as given. */
  async search(charset: string | Buffer | null, ...criteria: ImaplibArg[]): Promise<ImaplibResult> {
    if (charset !== null && charset !== undefined && charset.length > 0) {
      if (this.utf8_enabled) {
        throw new ImaplibError('Non-None charset not valid in UTF8 mode', 'ARGUMENT');
      }
      return this.commandUntagged('SEARCH', 'SEARCH', 'CHARSET', charset, ...criteria);
    }
    return this.commandUntagged('SEARCH', 'SEARCH', ...criteria);
  }

  /** SELECT (or EXAMINE when `readonly`); data is the EXISTS count. */
  async select(mailbox: string | Buffer = 'INBOX', readonly = false): Promise<ImaplibResult> {
    this.untagged_responses = emptyResponses();
    this.is_readonly = readonly;
    const name = readonly ? 'EXAMINE' : 'SELECT';
    let typ: string;
    let dat: ResponseData;
    this.raiseHeldOverflow(); // an earlier command's, before anything is sent
    try {
      [typ, dat] = await this.plainCommand(name, mailbox);
    } catch (err) {
      // Over maxCollectedBytes: the server did select the mailbox.
      if (err instanceof ImaplibError && err.code === 'LIMIT') this.state = 'SELECTED';
      throw err;
    }
    if (typ !== 'OK') {
      this.state = 'AUTH';
      return [typ, dat];
    }
    this.state = 'SELECTED';
    if ('READ-ONLY' in this.untagged_responses && !readonly) {
      throw new ImaplibReadonly(
        `${typeof mailbox === 'string' ? mailbox : reprBytes(mailbox)} is not writable`,
      );
    }
    return [typ, this.untagged_responses['EXISTS'] ?? [null]];
  }

  /** SETACL (RFC 4314): sets the rights `what` of `who` on `mailbox`. */
  async setacl(
    mailbox: string | Buffer,
    who: string | Buffer,
    what: string | Buffer,
  ): Promise<ImaplibResult> {
    return this.plainCommand('SETACL', mailbox, who, what);
  }

  /** SETANNOTATION (the draft ANNOTATEMORE extension), arguments sent as given. */
  async setannotation(...args: (string | Buffer)[]): Promise<ImaplibResult> {
    return this.commandUntagged('SETANNOTATION', 'ANNOTATION', ...args);
  }

  /** SETQUOTA (RFC 9208): `limits` as sent, e.g. `(STORAGE 512)`; data is the QUOTA responses. */
  async setquota(root: string | Buffer, limits: string | Buffer): Promise<ImaplibResult> {
    return this.commandUntagged('SETQUOTA', 'QUOTA', root, limits);
  }

  /** SORT (RFC 5256): `sort_criteria` gets parentheses if it lacks them; data is the SORT response's numbers. */
  async sort(
    sort_criteria: string,
    charset: string | Buffer | null,
    ...search_criteria: ImaplibArg[]
  ): Promise<ImaplibResult> {
    const crit =
      sort_criteria.startsWith('(') && sort_criteria.endsWith(')')
        ? sort_criteria
        : `(${sort_criteria})`;
    return this.commandUntagged('SORT', 'SORT', crit, charset, ...search_criteria);
  }

  /** STARTTLS: upgrades the connection, then asks CAPABILITY again; resolves to `['OK', [null]]` as in CPython. */
  async starttls(tlsOptions?: TlsConnectionOptions): Promise<ImaplibResult> {
    const connection = this.requireConnection();
    if (connection.secure) throw new ImaplibAbort('TLS session already established');
    if (!this.capabilities.includes('STARTTLS')) {
      throw new ImaplibAbort('TLS not supported by server', 'TLS_REQUIRED');
    }
    if (this.state !== 'NONAUTH') {
      throw new ImaplibError(`command STARTTLS illegal in state ${this.state}`, 'STATE');
    }
    try {
      // The engine reads its `tls` object when STARTTLS succeeds: this one.
      if (tlsOptions) Object.assign(this.tlsSettings, tlsOptions);
      await connection.starttls();
    } catch (err) {
      throw new ImaplibError("Couldn't establish TLS session", 'TLS_REQUIRED', { cause: err });
    }
    this.untagged_responses = emptyResponses();
    await this.getCapabilities();
    // CPython returns _untagged_response(typ, dat, 'STARTTLS'): normally ['OK', [None]].
    return this.untaggedResponse('OK', [null], 'STARTTLS');
  }

  /** STATUS of `mailbox` for `names` (e.g. `(MESSAGES UNSEEN)`, sent as given): data is the STATUS response. */
  async status(mailbox: string | Buffer, names: string | Buffer): Promise<ImaplibResult> {
    return this.commandUntagged('STATUS', 'STATUS', mailbox, names);
  }

  /** STORE: `command` is e.g. `+FLAGS`; `flags` gets parentheses if it lacks them; data is the FETCH responses. */
  async store(
    message_set: string | Buffer,
    command: string | Buffer,
    flags: string,
  ): Promise<ImaplibResult> {
    const f = flags.startsWith('(') && flags.endsWith(')') ? flags : `(${flags})`;
    return this.commandUntagged('STORE', 'FETCH', message_set, command, f);
  }

  /** SUBSCRIBE to a mailbox. */
  async subscribe(mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('SUBSCRIBE', mailbox);
  }

  /** THREAD (RFC 5256) with `threading_algorithm` (e.g. `REFERENCES`): data is the THREAD response. */
  async thread(
    threading_algorithm: string | Buffer,
    charset: string | Buffer | null,
    ...search_criteria: ImaplibArg[]
  ): Promise<ImaplibResult> {
    return this.commandUntagged(
      'THREAD',
      'THREAD',
      threading_algorithm,
      charset,
      ...search_criteria,
    );
  }

  /** UID <command> ...: data from SEARCH/SORT/THREAD or FETCH responses. */
  async uid(command: string, ...args: ImaplibArg[]): Promise<ImaplibResult> {
    const cmd = command.toUpperCase();
    const allowed = COMMAND_STATES.get(cmd);
    if (!allowed) throw new ImaplibError(`Unknown IMAP4 UID command: ${cmd}`, 'ARGUMENT');
    if (!allowed.includes(this.state)) {
      throw new ImaplibError(
        `command ${cmd} illegal in state ${this.state}, only allowed in states ${allowed.join(', ')}`,
        'STATE',
      );
    }
    const [typ, dat] = await this.simpleCommand('UID', [cmd, ...args]);
    const name = cmd === 'SEARCH' || cmd === 'SORT' || cmd === 'THREAD' ? cmd : 'FETCH';
    return this.untaggedResponse(typ, dat, name);
  }

  /** UNSUBSCRIBE from a mailbox. */
  async unsubscribe(mailbox: string | Buffer): Promise<ImaplibResult> {
    return this.plainCommand('UNSUBSCRIBE', mailbox);
  }

  /** UNSELECT; the state is AUTH afterwards whatever happens. */
  async unselect(): Promise<ImaplibResult> {
    try {
      return await this.plainCommand('UNSELECT');
    } finally {
      this.state = 'AUTH';
    }
  }

  /** Any command imaplib does not know, allowed in the current state. */
  async xatom(name: string, ...args: ImaplibArg[]): Promise<ImaplibResult> {
    const upper = name.toUpperCase();
    if (!COMMAND_STATES.has(upper)) COMMAND_STATES.set(upper, [this.state]);
    return this.simpleCommand(upper, args);
  }

  /**
   * IDLE (RFC 2177, Python 3.14's `idle()`): yields `[typ, [data]]` for each
   * untagged response until `duration` seconds pass or the loop breaks;
   * DONE is then sent and the tagged response awaited. As in CPython, the
   * responses the loop gets are not recorded in `untagged_responses`; those
   * received and not yet delivered when the loop ends are, in order.
   */
  async *idle(duration?: number): AsyncGenerator<[string, UntaggedItem[]], void, void> {
    const connection = this.requireConnection();
    const allowed = COMMAND_STATES.get('IDLE')!;
    if (!allowed.includes(this.state)) {
      throw new ImaplibError(`command IDLE illegal in state ${this.state}`, 'STATE');
    }
    const queue: Array<{ item: [string, UntaggedItem[]]; response: UntaggedResponse }> = [];
    let wake: (() => void) | null = null;
    // A consumer slower than the server: reading pauses while IDLE_HIGH_WATER
    // responses wait (CPython reads only as the loop asks), so they cannot pile up.
    let resume: (() => void) | null = null;
    let stopped = false;
    /** Ends the capture: what the loop did not get goes to `untagged_responses`. */
    const stopCapture = (): void => {
      stopped = true;
      this.idleCapture = false;
      for (const { response } of queue) this.record(response);
      queue.length = 0;
    };
    this.idleCapture = true;
    let handle;
    try {
      handle = await connection.idle({
        onUntagged: (response: UntaggedResponse) => {
          if (!response.raw || stopped) return;
          const scratch = emptyResponses();
          const typ = recordUntagged(scratch, response.raw);
          if (!typ) return;
          this.idleTaken.add(response);
          queue.push({ item: [typ, scratch[typ]!], response });
          if (resume === null && queue.length >= IDLE_HIGH_WATER) {
            resume = connection.pauseReading();
          }
          wake?.();
        },
      });
    } catch (err) {
      stopCapture();
      throw err;
    }
    const release = (): void => {
      const r = resume;
      resume = null;
      r?.();
    };
    const deadline = duration === undefined ? Infinity : Date.now() + duration * 1000;
    try {
      for (;;) {
        while (queue.length > 0) {
          yield queue.shift()!.item;
          if (resume !== null && queue.length <= IDLE_HIGH_WATER / 2) release();
        }
        const left = deadline - Date.now();
        if (left <= 0) break;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (left !== Infinity) timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
        wake = null;
      }
    } finally {
      stopCapture(); // the loop is over: nothing more is queued, nor reading paused
      release(); // DONE's completion must be read
      await handle.done();
    }
  }

  // ---- low-level ----

  /**
   * Writes bytes to the server as they are. Together with readline() and
   * read() this is a hand-written conversation: until the next command
   * method, the server's bytes go to readline()/read() and not to the
   * engine, so tags the caller invents cannot confuse it.
   */
  async send(data: Buffer | string): Promise<void> {
    const connection = this.requireConnection();
    try {
      connection.beginRaw();
      connection.writeRaw(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    } catch (err) {
      throw this.wrapError(err, null);
    }
  }

  /** Reads one line from the server, CRLF included; `b''` at end of stream (Python's readline). */
  async readline(): Promise<Buffer> {
    const connection = this.enterRawMode();
    for (;;) {
      const nl = this.rawInput.indexOfLF();
      if (nl !== -1) return this.rawInput.take(nl + 1);
      if (this.rawInput.length > MAX_LINE) {
        throw new ImaplibError(`got more than ${MAX_LINE} bytes`, 'LIMIT');
      }
      if (!(await this.fillRaw(connection))) return this.rawInput.take(this.rawInput.length);
    }
  }

  /** Reads exactly `size` bytes from the server (fewer at end of stream), like Python's read(). */
  async read(size: number): Promise<Buffer> {
    const connection = this.enterRawMode();
    while (this.rawInput.length < size) {
      if (!(await this.fillRaw(connection))) break;
    }
    return this.rawInput.take(size);
  }

  private enterRawMode(): ImapConnection {
    const connection = this.requireConnection();
    try {
      connection.beginRaw();
    } catch (err) {
      throw this.wrapError(err, null);
    }
    return connection;
  }

  /** Bytes read in raw mode and not yet returned by readline()/read(). */
  private rawInput = new RawInput();

  /** A raw read still waiting (kept across a timeout, so no chunk is taken by nobody). */
  private pendingRead: Promise<Buffer | null> | null = null;

  private async fillRaw(connection: ImapConnection): Promise<boolean> {
    const timeoutMs = this.timeoutMs();
    // No timer without a finite timeout (Node fires setTimeout(fn, Infinity)
    // after 1 ms); a longer one than Node keeps is clamped to it.
    const ms = timeoutMs === undefined ? undefined : (timerDelay(timeoutMs) ?? undefined);
    const read = (this.pendingRead ??= connection.readRaw());
    let timer: NodeJS.Timeout | undefined;
    let chunk: Buffer | null;
    try {
      chunk = await (ms === undefined
        ? read
        : Promise.race([
            read,
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new ImaplibAbort('socket error: timed out', 'CONNECTION_TIMEOUT')),
                ms,
              );
            }),
          ]).finally(() => clearTimeout(timer)));
    } catch (err) {
      if (err instanceof ImaplibAbort) throw err;
      this.pendingRead = null;
      throw this.wrapError(err, null);
    }
    this.pendingRead = null;
    if (chunk === null) return false;
    this.rawInput.append(chunk);
    return true;
  }

  /** Before a command: bytes read but not consumed by readline()/read() go back to the engine. */
  private leaveRawMode(connection: ImapConnection): void {
    if (!connection.rawMode) return;
    this.pendingRead = null;
    connection.endRaw(this.rawInput.take(this.rawInput.length));
  }

  /** The transport socket (a net.Socket or tls.TLSSocket). */
  socket(): unknown {
    return this.requireConnection().socket;
  }

  /** Closes the connection without LOGOUT. */
  shutdown(): void {
    this.connection?.close();
    this.connection = null;
  }
}

/** Python's `IMAP4_SSL`: implicit TLS on port 993, certificates verified. */
export class IMAP4_SSL extends IMAP4 {
  protected static override defaultPort = 993;

  protected override security(): Security {
    return 'tls';
  }
}

/**
 * CPython's `_connect` raises plain `error(welcome)` for a greeting that is
 * neither OK nor PREAUTH: the engine's BYE refusal (an ImapConnectionError,
 * also when the facade already wrapped it as `abort`) becomes that error. The
 * message is the greeting's repr as CPython shows it (a response code by its
 * name only).
 */
function refusedGreeting(err: unknown): ImaplibError | null {
  const engine = err instanceof ImaplibError ? err.cause : err;
  if (!(engine instanceof ImapConnectionError) || engine.code !== 'CONNECTION_BYE') return null;
  const code = engine.responseCode ? `[${engine.responseCode.name}] ` : '';
  const welcome = Buffer.from(`* BYE ${code}${engine.serverText ?? ''}`, 'utf8');
  return new ImaplibError(reprBytes(welcome), 'CONNECTION_BYE', { cause: engine });
}

function lastText(dat: ResponseData): string {
  const last = dat[dat.length - 1];
  if (!last) return '';
  return (Array.isArray(last) ? last[0] : last).toString('utf8');
}

/** Python's repr() of a bytes value (`b'...'`), as CPython puts into error messages. */
function reprBytes(b: Buffer): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'";
  let out = '';
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === quote.charCodeAt(0)) out += '\\' + quote;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return `b${quote}${out}${quote}`;
}

/** Python's repr() of one data item (bytes, a (bytes, bytes) pair, or None). */
function pyBytesRepr(d: UntaggedItem | null | undefined): string {
  if (d === null || d === undefined) return 'None';
  return Array.isArray(d) ? `(${reprBytes(d[0])}, ${reprBytes(d[1])})` : reprBytes(d);
}

/** Formats data like Python's repr of a list, for error messages. */
function formatData(data: ResponseData): string {
  return `[${data.map(pyBytesRepr).join(', ')}]`;
}
