import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { SecretLike } from '../model/secret.js';
import type { ContinuationResponse, TaggedResponse, UntaggedResponse } from '../model/response.js';
import type { CommandArg } from '../wire/command-arg.js';
import type { LiteralSink, LiteralStartInfo, ParserLimits } from '../wire/parser-options.js';

/** Default of ConnectOptions.maxCollectedBytes: 128 MiB. */
export const DEFAULT_MAX_COLLECTED_BYTES = 128 * 1024 * 1024;
/** What each collected response counts beyond its bytes (see ConnectOptions.maxCollectedBytes). */
export const COLLECTED_RESPONSE_OVERHEAD = 128;

/** A pino-compatible logger; every method is optional. Wire traces go to `trace`. */
export interface Logger {
  /** Wire traces: each line sent and received, secrets redacted. */
  trace?(obj: object, msg?: string): void;
  /** Debug messages. */
  debug?(obj: object, msg?: string): void;
  /** Informational messages. */
  info?(obj: object, msg?: string): void;
  /** Warnings. */
  warn?(obj: object, msg?: string): void;
  /** Errors. */
  error?(obj: object, msg?: string): void;
}

/**
 * How the connection is protected.
 * - `tls`: implicit TLS from the first byte (port 993).
 * - `starttls`: plain connect, then STARTTLS is required: a server without it,
 *   or refusing it, is an error — never a silent plaintext session.
 * - `none`: plaintext, explicitly asked for (tests, localhost, IMAP4_stream).
 *
 * Any other value (`'ssl'`, `'STARTTLS'`...) is refused with an
 * ImapArgumentError before anything is connected.
 */
export type Security = 'tls' | 'starttls' | 'none';

/** Credentials for automatic login in {@link ConnectOptions.auth}. */
export interface AuthOptions {
  /** The user name (the SASL authentication identity). */
  username: string;
  /** The password, for LOGIN or a password-based SASL mechanism; never logged. */
  password?: SecretLike;
  /** OAuth 2 access token (XOAUTH2 / OAUTHBEARER). */
  accessToken?: SecretLike;
  /** A SASL mechanism name, `LOGIN-COMMAND` for the plain LOGIN command, or omitted for the best available. */
  mechanism?: string;
  /**
   * SASL authorization identity (PLAIN, SCRAM, OAUTHBEARER; LOGIN, CRAM-MD5,
   * XOAUTH2 and the LOGIN command cannot carry one: with an authzid they are
   * never used, and authentication fails before anything is sent).
   */
  authzid?: string;
}

/**
 * Timeouts in milliseconds; each wait ends with a typed ImapConnectionError
 * (code CONNECTION_TIMEOUT). `Infinity` means no timeout; a finite value is
 * honoured up to 2^31 − 1 ms (~24.8 days), the longest a Node.js timer keeps.
 */
export interface Timeouts {
  /** TCP connect (default 30 s). */
  connect?: number;
  /** Server greeting after connect (default 30 s). */
  greeting?: number;
  /** TLS handshake (default 30 s). */
  tls?: number;
  /**
   * A command waiting without progress from the server — no complete
   * response and under 1 KiB of data — for this long (default 120 s; IDLE
   * excluded), so a server dripping bytes slowly times out too.
   */
  command?: number;
  /** Restart IDLE before this (default 25 min, under the 29 min of RFC 2177). */
  idleRestart?: number;
}

/** Options of {@link ImapConnection.connect}. */
export interface ConnectOptions {
  /** The server's host name or address (default `localhost`). */
  host?: string;
  /** Default 993, or 143 when `security` is `starttls` or `none`. */
  port?: number;
  /** Default `tls` (implicit TLS) when `port` is absent or 993, else `starttls` (required, never skipped). */
  security?: Security;
  /** Passed to Node's tls.connect (ca, servername, minVersion, cert, key, rejectUnauthorized...). Certificates are verified by default. */
  tls?: TlsConnectionOptions;
  /** Use this duplex stream as the transport instead of TCP (e.g. a spawned command's stdio; IMAP4_stream). */
  stream?: Duplex;
  /** Timeouts in milliseconds; see {@link Timeouts} for the defaults. */
  timeouts?: Timeouts;
  /** Where to log (nothing by default); secrets are redacted. */
  logger?: Logger;
  /** Parser limits. */
  limits?: ParserLimits;
  /** Literals larger than this are streamed to a command's literal sink when it has one (default 1 MiB). */
  streamThreshold?: number;
  /**
   * Most untagged data one command may collect before its tagged response
   * (LIST, SEARCH, STATUS, STORE's FETCH updates, `fetchAll`...), so a
   * server flooding responses cannot exhaust memory. Each collected response
   * counts its size on the wire plus 128 bytes for the objects it is parsed
   * into (a parsed `* LIST () "" a` takes ~360 bytes of heap for its 17);
   * literals streamed to a sink do not count. Default 128 MiB:
   * a LIST of 100,000 mailboxes counts ~20 MB, a SEARCH naming 10 million
   * 8-digit UIDs ~90 MB, a `fetchAll` of the UIDs and flags of 500,000
   * messages ~85 MB; the heap such a collection takes is about 2.5 times
   * the count for such responses (more for lines of many tiny nested
   * values, which `limits.maxLineLength` bounds per response). Streaming paths (`fetch()` iterators, `fetchStream`,
   * `download`) hand each response on as it arrives and are not limited.
   *
   * Over the limit the command rejects with an {@link ImapLimitError}
   * (code LIMIT, `limit` `maxCollectedBytes`) once its tagged response
   * arrives: what it collected is dropped and its further data is read and
   * discarded meanwhile, so the connection stays usable. That discarded
   * data counts as progress for the command timeout (`timeouts.command`)
   * until it adds up to another limit's worth; then a server that does not
   * complete the command within the timeout gets the connection closed
   * with that error.
`Infinity` turns the limit off;
   * {@link RunOptions.maxCollectedBytes} overrides it for one command.
   */
  maxCollectedBytes?: number;
  /** Log in right after connecting (and STARTTLS). */
  auth?: AuthOptions;
  /** Negotiate COMPRESS=DEFLATE after login when offered (default false: on fast links it only costs CPU). */
  compress?: boolean;
  /** Send ID (RFC 2971) with these fields after login when the server supports it. */
  id?: Map<string, string | null>;
  /** Extensions to ENABLE after login when offered (e.g. CONDSTORE, QRESYNC, UTF8=ACCEPT). */
  enable?: string[];
  /** Cap for the SCRAM iteration count a server may ask for (default 600000). */
  maxScramIterations?: number;
  /**
   * Smallest SCRAM iteration count a server may ask for (default 4096, RFC 7677
   * section 4's minimum): a hostile server asking for fewer (`i=1`) would get
   * a proof that is cheap to attack offline with a dictionary, so the login
   * fails with an AUTH error before the proof is computed or sent.
   */
  minScramIterations?: number;
  /** Tag prefix (default `A`); tags are the prefix followed by a counter starting at 0. */
  tagPrefix?: string;
  /** Keep each response's raw framing in `response.raw` (the imaplib facade needs it). Default false. */
  keepRaw?: boolean;
  /** Local address to connect from (TCP and TLS transports only). */
  localAddress?: string;
}

/** Connection states of RFC 9051 3. */
export type ConnectionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** What the engine tracks about the selected mailbox from untagged data. */
export interface SelectedMailbox {
  /** The mailbox name as the caller gave it (Unicode). */
  name: string;
  /** Selected read-only (EXAMINE, or the server said `[READ-ONLY]`). */
  readOnly: boolean;
  /**
   * Opened with EXAMINE: no change to its permanent state is permitted, per-user
   * state such as `\Seen` included (RFC 9051 6.3.3). A SELECT answered
   * `[READ-ONLY]` may still permit per-user changes (6.3.2).
   */
  examined: boolean;
  /** The number of messages (the last EXISTS). */
  exists: number;
  /** The number of messages with `\Recent` (the last RECENT). */
  recent: number;
  /** Flags defined in the mailbox (the last FLAGS). */
  flags: string[];
  /** `[PERMANENTFLAGS]`, null when the server sent none. */
  permanentFlags: string[] | null;
  /** `[UIDVALIDITY]`, null when the server sent none. */
  uidValidity: number | null;
  /** `[UIDNEXT]`, null when the server sent none. */
  uidNext: number | null;
  /** The last `[HIGHESTMODSEQ]` (CONDSTORE); null when none or after NOMODSEQ. */
  highestModseq: bigint | null;
  /** NOMODSEQ was announced. */
  noModseq: boolean;
}

/** Options of one command run through {@link ImapConnection.run}. */
export interface RunOptions {
  /**
   * Upper-case names of untagged responses this command collects into its
   * result (e.g. `['FETCH']`; collecting FETCH collects UIDFETCH too, its
   * form once UIDONLY is enabled, RFC 9586). An untagged response is offered to the
   * in-flight commands collecting its name until one takes it (first the
   * one that took the previous response, then the others, oldest first);
   * the rest become events.
   */
  collect?: readonly string[];
  /**
   * The command gets one collected response (SEARCH, SORT, THREAD): once it
   * has it, a further one goes to the next command in flight collecting it
   * (Dovecot sends pipelined commands' data in order but completes them
   * late, so an earlier command is still in flight when the next one's
   * result arrives). Without such a command it is collected all the same.
   * A command that completes OK without its response, while an older one
   * took exactly one after it was sent, gets that one back (a server that
   * completed the pipelined commands out of order).
   */
  single?: boolean;
  /**
   * Receive collected responses as they arrive instead of in the result.
   * Returning `false` declines one (another pipelined command's FETCH, or an
   * unsolicited flag update): it is offered to the next command collecting
   * it, else treated as unsolicited (a `fetch` event).
   *
   * Returning `'unless-wanted'` declines it unless no other command takes
   * it: a second response for a message the command already has is most
   * likely another pipelined command's answer to the same question (two
   * FETCHes or STOREs of one message), but may be its own (a server that
   * splits its answer). It is offered on; when no other command takes it,
   * `onUntagged` is called again with `unwanted` true and the response is
   * this command's whatever it returns.
   */
  onUntagged?: (response: UntaggedResponse, unwanted?: boolean) => void | boolean | 'unless-wanted';
  /**
   * Answer a `+` continuation that is not a literal's (AUTHENTICATE, IDLE).
   * Return the line to send (without CRLF), or null to send nothing.
   */
  onContinuation?: (response: ContinuationResponse) => Promise<string | null> | string | null;
  /**
   * Offered literals over the stream threshold of the responses this
   * command collects; return null for one that is not this command's (it
   * is offered to the next command collecting it, else buffered).
   */
  onLiteral?: (info: LiteralStartInfo) => LiteralSink | null;
  /**
   * Told the command's progress when the server reports it with an
   * `* OK [INPROGRESS ("tag" count total)]` naming this command's tag
   * (RFC 9585 4, capability INPROGRESS); a report without a tag (NIL) is
   * this command's when it is the only one in flight. Any response from
   * the server, these included, counts as progress for the command timeout.
   */
  onProgress?: (progress: CommandProgress) => void;
  /** Told the command's tag as soon as it is assigned (before anything is sent). */
  onTag?: (tag: string) => void;
  /** Cancel the command: it rejects with code ABORTED (the connection stays usable when it can). */
  signal?: AbortSignal;
  /** Per-command idle timeout override (ms). */
  timeout?: number;
  /**
   * Overrides the connection's {@link ConnectOptions.maxCollectedBytes} for
   * this command. A command whose `onUntagged` hands each response on
   * without keeping it (an iterator) passes `Infinity`; every other
   * collecting command, `onUntagged` or not, is limited.
   */
  maxCollectedBytes?: number;
  /**
   * May be sent while other pipelinable commands are in flight (RFC 9051 5.5).
   * Default false: the command waits for in-flight commands to finish, and
   * nothing is sent after it until it completes.
   */
  pipeline?: boolean;
}

/**
 * A long command's progress, from the server's `[INPROGRESS]` response code
 * (RFC 9585 4, capability INPROGRESS).
 */
export interface CommandProgress {
  /** The tag of the command it is about, or null when the server did not name one. */
  tag: string | null;
  /** Items processed so far; null when the server does not say. */
  count: number | null;
  /** Items to process in all; null when the server does not know. */
  total: number | null;
  /** The text of the server's `* OK` line. */
  text: string;
}

/** The result of a command: its tagged completion and the untagged data it collected. */
export interface CommandResult {
  /** The tagged OK, NO or BAD that completed the command. */
  tagged: TaggedResponse;
  /** The untagged responses the command collected ({@link RunOptions.collect}), in order. */
  untagged: UntaggedResponse[];
  /** The command line with secrets and literals redacted. */
  command: string;
}

/**
 * Receives the untagged responses correlated to one command's tag after that
 * command stops taking them: the `* ESEARCH (TAG "x") ...` updates of a
 * search or sort context (RFC 5267 4.3). See {@link CorrelatingContext}.
 */
export interface CorrelatedReceiver {
  /** An ESEARCH response carrying the tag that no command in flight took. */
  response(response: Extract<UntaggedResponse, { name: 'ESEARCH' }>): void;
  /**
   * No more will come: the selected mailbox changed (null; RFC 5267 4.3:
   * updates cease when the mailbox is no longer selected) or the connection
   * closed (its error).
   */
  end(error: Error | null): void;
}

/** A {@link CommandContext} that can route a command's later correlated responses (ImapConnection can). */
export interface CorrelatingContext extends CommandContext {
  /**
   * Routes the ESEARCH responses whose search correlator is `tag` and that
   * no command in flight takes to `receiver`, until the returned function
   * is called, the selected mailbox changes or the connection closes (then
   * `receiver.end` is called). A receiver registered for a command still
   * queued is not ended by a mailbox change queued before it.
   */
  correlate(tag: string, receiver: CorrelatedReceiver): () => void;
}

/** Events emitted by an ImapConnection. */
export interface ConnectionEvents {
  /** Every untagged response, collected or not (the imaplib facade records them). */
  untagged: [response: UntaggedResponse];
  /** `* n EXISTS` in the selected mailbox. */
  exists: [count: number, previous: number];
  /** `* n EXPUNGE` in the selected mailbox. */
  expunge: [seq: number];
  /** `* VANISHED` (QRESYNC). */
  vanished: [response: Extract<UntaggedResponse, { name: 'VANISHED' }>];
  /** An unsolicited FETCH (e.g. flags changed by another client). */
  fetch: [response: Extract<UntaggedResponse, { name: 'FETCH' }>];
  /**
   * An unsolicited UIDFETCH: what `fetch` reports, once UIDONLY is enabled
   * (RFC 9586, capability UIDONLY), where messages are named by UID only.
   */
  uidfetch: [response: Extract<UntaggedResponse, { name: 'UIDFETCH' }>];
  /**
   * The server reported a command's progress (`[INPROGRESS]`, RFC 9585),
   * whichever command it is about (the command's own `onProgress` is told too).
   */
  progress: [progress: CommandProgress];
  /**
   * `[ALERT]` text the user must see (RFC 9051 7.1). Alerts that arrive
   * before any `alert` listener is added (those of the greeting and the
   * login come before `connect()` returns) are kept, up to 16, and emitted
   * to the first listener right after it is added; those from before a
   * STARTTLS are dropped.
   */
  alert: [text: string];
  /** The server said BYE. */
  bye: [text: string];
  /** The mailbox became read-only ([READ-ONLY] outside SELECT/EXAMINE). */
  readonly: [];
  /**
   * The selected mailbox's UIDVALIDITY changed (`[UIDVALIDITY n]` outside
   * SELECT/EXAMINE): every UID known of it is void (RFC 9051 2.3.1.1).
   */
  uidvalidity: [previous: number, current: number];
  /**
   * The server sent mailbox data that cannot be right: EXISTS going down,
   * an EXPUNGE of a message that does not exist (ignored), a VANISHED of
   * more messages than there are (the count clamped at 0). `selected.exists`
   * may be wrong, and what sequence numbers map to is not known for sure.
   */
  inconsistent: [reason: string];
  /** The connection closed; `error` says why when it was not a clean LOGOUT. */
  close: [error: Error | null];
}

/**
 * What a command module needs from a connection. `ImapConnection` implements
 * it; commands depend on this interface only.
 */
export interface CommandContext {
  /** The server's capabilities, upper-cased. */
  readonly capabilities: ReadonlySet<string>;
  /** True when the server announced `name` (case-insensitive). */
  hasCapability(name: string): boolean;
  /** The connection state (RFC 9051 3). */
  readonly state: ConnectionState;
  /** The selected mailbox, or null when none is selected. */
  readonly selected: SelectedMailbox | null;
  /** Extensions enabled with ENABLE (upper-cased). */
  readonly enabled: ReadonlySet<string>;
  /** UTF8=ACCEPT (or IMAP4rev2) is enabled: mailbox names travel as UTF-8. */
  readonly utf8Enabled: boolean;
  /**
   * The server sent mailbox name `name`, which is not valid modified UTF-7:
   * commands send it as it is from now on, so the name a LIST returned
   * opens that mailbox (encoding it would name another one).
   */
  noteRawMailboxName?(name: string): void;
  /** Sends a command; resolves on OK, NO or BAD. */
  run(command: string, args?: CommandArg[], options?: RunOptions): Promise<CommandResult>;
  /** Sends a command; throws ImapProtocolError on NO or BAD. */
  exec(command: string, args?: CommandArg[], options?: RunOptions): Promise<CommandResult>;
}
