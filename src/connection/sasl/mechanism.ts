/**
 * The client side of SASL (RFC 4422) as used by IMAP AUTHENTICATE (RFC 9051
 * section 6.2.2) with the SASL-IR initial response (RFC 4959).
 *
 * Everything in this directory is pure: no sockets, no base64 (the connection
 * engine encodes and decodes the `+` continuation lines), only bytes in and
 * bytes out.
 */
import type { SecretLike } from '../../model/secret.js';

/**
 * One SASL exchange on the client side (RFC 4422 section 3).
 *
 * Challenges and responses are raw bytes; the engine does the base64 of
 * RFC 9051 section 6.2.2. How the engine drives a session:
 *
 * 1. If the server announces `SASL-IR` (RFC 4959), call
 *    {@link SaslSession.initialResponse}; when it returns a Buffer, send it
 *    with the AUTHENTICATE command (an empty Buffer is sent as `=`). Call it
 *    only when its result is going to be sent.
 * 2. Pass every `+` continuation to {@link SaslSession.respond} and send what
 *    it returns. A client-first mechanism whose initial response was not sent
 *    (no SASL-IR) answers the server's first, empty, challenge with it.
 * 3. If `respond` throws a {@link SaslError}, cancel the exchange by sending
 *    `*` (RFC 9051 section 6.2.2) and report the error.
 * 4. On the tagged OK, call {@link SaslSession.complete}; it throws when the
 *    server has not proved itself (SCRAM) and the login must not be trusted.
 */
export interface SaslSession {
  /** The registered SASL mechanism name, upper case, e.g. `SCRAM-SHA-256`. */
  readonly mechanism: string;
  /**
   * True when the mechanism must see a server-final message before it trusts
   * success (SCRAM, RFC 5802 section 3): `complete()` then throws unless the
   * server signature was verified.
   */
  readonly needsServerFinal: boolean;
  /**
   * The initial response for SASL-IR (RFC 4959), or null if the mechanism
   * starts with a server challenge. An empty initial response is
   * `Buffer.alloc(0)` (sent as `=` by the engine). Calling it records that
   * the initial response has been sent.
   */
  initialResponse(): Buffer | null;
  /**
   * Answers one server challenge (the decoded bytes of a `+` line). Throws
   * {@link SaslError} on an invalid or hostile challenge; the engine then
   * cancels with `*`.
   */
  respond(challenge: Buffer): Buffer;
  /**
   * Optional: does the slow part of answering `challenge` (SCRAM's key
   * derivation) off the event loop; the engine awaits it before
   * {@link respond}. Never rejects; `respond` works without it.
   */
  prepare?(challenge: Buffer): Promise<void>;
  /**
   * Called when the server reports success (tagged OK). `serverFinal` is
   * additional success data, if the server sent any outside a challenge.
   * Throws {@link SaslError} if the mechanism requires server verification
   * (SCRAM's `v=`) that did not happen or did not match.
   */
  complete(serverFinal?: Buffer): void;
}

/**
 * Credentials for {@link SaslSession}s (RFC 4422 section 3.4.1 terms):
 * `username` is the authentication identity, `authzid` the optional
 * authorization identity to act as.
 */
export interface SaslCredentials {
  /** Authentication identity (authcid); for OAuth mechanisms the account name. */
  username: string;
  /** Password for PLAIN, LOGIN, CRAM-MD5 and SCRAM-*. */
  password?: SecretLike;
  /** OAuth 2.0 bearer token (RFC 6750) for OAUTHBEARER and XOAUTH2. */
  accessToken?: SecretLike;
  /** Authorization identity (act as this user), when different from `username`. */
  authzid?: string;
  /** Server host name, sent by OAUTHBEARER (RFC 7628 section 3.1). */
  host?: string;
  /** Server port, sent by OAUTHBEARER (RFC 7628 section 3.1). */
  port?: number;
}

/**
 * A SASL exchange failed on the client side (RFC 4422 section 3.6): an
 * unsupported mechanism, a missing or unusable credential, a malformed or
 * hostile server challenge, a server error (`e=` in SCRAM) or a server that
 * failed to prove its identity. Messages never contain passwords or tokens.
 */
export class SaslError extends Error {
  /** Stable error code. */
  readonly code = 'SASL' as const;
  /** The mechanism that failed, or null when none was chosen. */
  readonly mechanism: string | null;
  /** The server's own error text (SCRAM `e=` attribute), when it sent one. */
  readonly serverError: string | undefined;
  /**
   * True when the server failed to prove its identity: a SCRAM server-final
   * message with a wrong, missing or malformed `v=` (RFC 5802 section 5.1).
   * The engine then closes the connection instead of cancelling.
   */
  readonly serverUnverified: boolean;

  constructor(
    mechanism: string | null,
    message: string,
    options: { serverError?: string; serverUnverified?: boolean; cause?: unknown } = {},
  ) {
    super(
      mechanism === null ? message : `${mechanism}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'SaslError';
    this.mechanism = mechanism;
    this.serverError = options.serverError;
    this.serverUnverified = options.serverUnverified === true;
  }
}

/**
 * Throws a {@link SaslError} naming `what` (never its value) when `value`
 * contains a character matching `forbidden`.
 * @internal
 */
export function assertNoForbiddenChars(
  mechanism: string,
  value: string,
  what: string,
  forbidden: RegExp,
): void {
  if (forbidden.test(value)) {
    throw new SaslError(mechanism, `${what} contains a character this mechanism cannot carry`);
  }
}

/**
 * Makes a server-supplied string safe to put in an error message: control
 * characters escaped, cut to `max` characters.
 * @internal
 */
export function sanitizeServerText(text: string, max = 200): string {
  const cut = text.length > max ? text.slice(0, max) + '...' : text;
  return cut.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'),
  );
}

/**
 * Escapes a `saslname` for a GS2 header or SCRAM `n=` attribute (RFC 5801
 * section 4, RFC 5802 section 5.1): `=` becomes `=3D` and `,` becomes `=2C`.
 */
export function escapeSaslname(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
