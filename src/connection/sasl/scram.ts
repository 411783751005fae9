import {
  createHash,
  createHmac,
  pbkdf2,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { reveal, Secret, type SecretLike } from '../../model/secret.js';
import { escapeSaslname, sanitizeServerText, SaslError, type SaslSession } from './mechanism.js';
import { saslprep, SaslprepError } from './saslprep.js';

/** The hash functions of the supported SCRAM mechanisms (RFC 5802, RFC 7677). */
export type ScramHash = 'SHA-1' | 'SHA-256';

/** Credentials of the SCRAM mechanisms (RFC 5802 section 5). */
export interface ScramCredentials {
  /** Authentication identity; prepared with SASLprep and escaped (`=3D`, `=2C`). */
  username: string;
  /** Password; prepared with SASLprep (RFC 4013), never sent. */
  password: SecretLike;
  /** Optional authorization identity, sent as `a=` in the GS2 header. */
  authzid?: string;
}

/** Options of the SCRAM mechanisms. */
export interface ScramOptions {
  /**
   * Largest PBKDF2 iteration count (`i=`) accepted from the server, so that a
   * hostile server cannot make the client burn CPU. Default
   * {@link DEFAULT_SCRAM_MAX_ITERATIONS}.
   */
  maxIterations?: number;
  /**
   * Smallest PBKDF2 iteration count (`i=`) accepted from the server. RFC 7677
   * section 4 says the count SHOULD be at least 4096: a server asking for
   * fewer (a hostile one, `i=1`) would get a proof that is cheap to attack
   * offline with a dictionary, so the exchange is refused before the proof is
   * computed. Default {@link DEFAULT_SCRAM_MIN_ITERATIONS} (or `maxIterations`
   * when that is lower); at most `maxIterations`. Lower it only for a server
   * known to use fewer rounds.
   */
  minIterations?: number;
  /**
   * The client nonce (printable ASCII without `,`). Only for tests; by default
   * 24 random bytes in base64 (RFC 5802 section 5.1 `r=`).
   */
  clientNonce?: string;
}

/**
 * Default upper bound on the SCRAM iteration count: 600,000 PBKDF2 rounds
 * (the OWASP 2023 recommendation for PBKDF2-HMAC-SHA256), far above the
 * 4096 of RFC 5802 / RFC 7677.
 */
export const DEFAULT_SCRAM_MAX_ITERATIONS = 600_000;

/**
 * Default lower bound on the SCRAM iteration count: 4096, the minimum RFC 7677
 * section 4 recommends ("SHOULD be at least 4096") and the count of its
 * example exchange and of RFC 5802's.
 */
export const DEFAULT_SCRAM_MIN_ITERATIONS = 4096;

const HASHES: Record<ScramHash, { node: string; mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256' }> = {
  'SHA-1': { node: 'sha1', mechanism: 'SCRAM-SHA-1' },
  'SHA-256': { node: 'sha256', mechanism: 'SCRAM-SHA-256' },
};

/** RFC 5802 section 7 `printable`: %x21-2B / %x2D-7E. */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

type State = 'start' | 'client-first-sent' | 'client-final-sent' | 'verified' | 'failed';

/**
 * A SCRAM-SHA-1 (RFC 5802) or SCRAM-SHA-256 (RFC 7677) client exchange,
 * without channel binding (GS2 flag `n`):
 *
 * ```
 * C: n,,n=user,r=CLIENT-NONCE                 (initial response)
 * S: r=CLIENT-NONCE+SERVER-NONCE,s=SALT,i=ITERATIONS
 * C: c=biws,r=CLIENT-NONCE+SERVER-NONCE,p=CLIENT-PROOF
 * S: v=SERVER-SIGNATURE                       (last `+` challenge)
 * C: (empty)
 * S: tag OK
 * ```
 *
 * The server must prove it knows the password: {@link complete} throws
 * unless `v=` was received and matched. The session refuses a server nonce
 * that does not extend the client's, an iteration count outside
 * `minIterations`..`maxIterations` (by default 4096..600,000), malformed or missing attributes, and mandatory
 * extensions (`m=`); an `e=` server error becomes a {@link SaslError} with
 * that text in {@link SaslError.serverError}.
 */
export class ScramSession implements SaslSession {
  /** `SCRAM-SHA-1` or `SCRAM-SHA-256`. */
  readonly mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256';
  /** Always true: success is trusted only after the server signature was verified. */
  readonly needsServerFinal = true;
  readonly #hash: string;
  readonly #password: Secret;
  readonly #maxIterations: number;
  readonly #minIterations: number;
  readonly #gs2Header: string;
  readonly #clientFirstBare: string;
  readonly #clientNonce: string;
  #serverSignature: Buffer | null = null;
  /** The salted password {@link prepare} derived, for the salt and count it was derived for. */
  #derived: { salt: string; iterations: number; key: Buffer } | null = null;
  /** The one derivation {@link prepare} started (never a second one per session). */
  #preparing: Promise<void> | null = null;
  #state: State = 'start';

  constructor(hash: ScramHash, credentials: ScramCredentials, options: ScramOptions = {}) {
    const { node, mechanism } = HASHES[hash];
    this.mechanism = mechanism;
    this.#hash = node;

    const maxIterations = options.maxIterations ?? DEFAULT_SCRAM_MAX_ITERATIONS;
    if (!Number.isSafeInteger(maxIterations) || maxIterations < 1) {
      throw new SaslError(mechanism, 'maxIterations must be a positive integer');
    }
    this.#maxIterations = maxIterations;
    const minIterations =
      options.minIterations ?? Math.min(DEFAULT_SCRAM_MIN_ITERATIONS, maxIterations);
    if (!Number.isSafeInteger(minIterations) || minIterations < 1) {
      throw new SaslError(mechanism, 'minIterations must be a positive integer');
    }
    if (minIterations > maxIterations) {
      throw new SaslError(
        mechanism,
        `minIterations (${minIterations}) must not be more than maxIterations (${maxIterations})`,
      );
    }
    this.#minIterations = minIterations;

    const clientNonce = options.clientNonce ?? randomBytes(24).toString('base64');
    if (!PRINTABLE.test(clientNonce)) {
      throw new SaslError(mechanism, 'the client nonce must be printable ASCII without ","');
    }
    this.#clientNonce = clientNonce;

    if (credentials.username === '') throw new SaslError(mechanism, 'the username is empty');
    const username = prepare(mechanism, credentials.username, 'the username');
    const password = prepare(mechanism, reveal(credentials.password), 'the password');
    if (password === '') throw new SaslError(mechanism, 'the password is empty');
    this.#password = new Secret(password);

    const authzid = credentials.authzid ?? '';
    this.#gs2Header =
      authzid === '' ? 'n,,' : `n,a=${escapeSaslname(prepare(mechanism, authzid, 'the authzid'))},`;
    this.#clientFirstBare = `n=${escapeSaslname(username)},r=${clientNonce}`;
  }

  /** The client-first message `n,,n=USER,r=NONCE` (RFC 5802 section 5.1). */
  initialResponse(): Buffer {
    if (this.#state !== 'start') {
      throw new SaslError(this.mechanism, 'the initial response was already sent');
    }
    this.#state = 'client-first-sent';
    return Buffer.from(this.#gs2Header + this.#clientFirstBare);
  }

  /**
   * Answers the server-first message with the client-final message, then the
   * server-final message (after verifying `v=`) with an empty response.
   * When no initial response was sent, the first (empty) challenge is
   * answered with the client-first message.
   */
  respond(challenge: Buffer): Buffer {
    switch (this.#state) {
      case 'start':
        return this.initialResponse();
      case 'client-first-sent':
        return this.#guard(() => this.#clientFinal(challenge));
      case 'client-final-sent':
        this.#guard(() => this.#verifyServerFinal(challenge));
        return Buffer.alloc(0);
      case 'verified':
        throw new SaslError(this.mechanism, 'unexpected server challenge after the exchange ended');
      case 'failed':
        throw new SaslError(this.mechanism, 'the exchange has already failed');
    }
  }

  /**
   * Derives the salted password for a server-first `challenge` on libuv's
   * thread pool (PBKDF2 with up to the iteration cap takes a noticeable
   * time), so that {@link respond} does not block the event loop with it.
   * Optional for callers: `respond()` derives it itself otherwise. A
   * challenge it cannot use is left for `respond()` to refuse. At most one
   * derivation per session: a later call (a server sending several
   * server-first messages) gets the first call's promise and starts none.
   */
  prepare(challenge: Buffer): Promise<void> {
    if (this.#state !== 'client-first-sent') return Promise.resolve();
    this.#preparing ??= this.#derive(challenge);
    return this.#preparing;
  }

  async #derive(challenge: Buffer): Promise<void> {
    let salt: string;
    let iterations: number;
    try {
      const attrs = this.#parse(
        this.#decode(challenge, 'server-first message'),
        'server-first message',
      );
      salt = this.#require(attrs, 's', 'server-first message');
      iterations = this.#iterations(this.#require(attrs, 'i', 'server-first message'));
      if (salt === '' || !BASE64.test(salt)) return;
    } catch {
      return; // respond() reports it
    }
    const length = createHash(this.#hash).digest().length;
    const key = await new Promise<Buffer | null>((resolve) => {
      pbkdf2(
        this.#password.reveal(),
        Buffer.from(salt, 'base64'),
        iterations,
        length,
        this.#hash,
        (err, k) => resolve(err === null ? k : null),
      );
    });
    if (key !== null) this.#derived = { salt, iterations, key };
  }

  /**
   * Accepts the success only if the server signature was verified, either in
   * a challenge or from `serverFinal` (success data outside a challenge).
   */
  complete(serverFinal?: Buffer): void {
    if (
      this.#state === 'client-final-sent' &&
      serverFinal !== undefined &&
      serverFinal.length > 0
    ) {
      this.#guard(() => this.#verify(serverFinal));
    }
    if (this.#state !== 'verified') {
      throw new SaslError(
        this.mechanism,
        'the server reported success without proving it knows the password (no valid server signature)',
      );
    }
  }

  #guard<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      this.#state = 'failed';
      this.#serverSignature?.fill(0);
      throw err;
    }
  }

  #clientFinal(challenge: Buffer): Buffer {
    const serverFirst = this.#decode(challenge, 'server-first message');
    const attrs = this.#parse(serverFirst, 'server-first message');
    this.#throwServerError(attrs);
    if (attrs.has('m')) {
      throw new SaslError(
        this.mechanism,
        'the server requires an unsupported SCRAM extension (m=)',
      );
    }
    const nonce = this.#require(attrs, 'r', 'server-first message');
    const saltText = this.#require(attrs, 's', 'server-first message');
    const iterText = this.#require(attrs, 'i', 'server-first message');

    if (!PRINTABLE.test(nonce)) {
      throw new SaslError(this.mechanism, 'the server nonce contains invalid characters');
    }
    if (!nonce.startsWith(this.#clientNonce) || nonce.length === this.#clientNonce.length) {
      throw new SaslError(this.mechanism, 'the server nonce does not extend the client nonce');
    }
    if (saltText === '' || !BASE64.test(saltText)) {
      throw new SaslError(this.mechanism, 'the salt is not valid base64');
    }
    const salt = Buffer.from(saltText, 'base64');
    const iterations = this.#iterations(iterText);

    const clientFinalWithoutProof = `c=${Buffer.from(this.#gs2Header).toString('base64')},r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;

    const derived = this.#derived;
    this.#derived = null;
    const saltedPassword =
      derived !== null && derived.salt === saltText && derived.iterations === iterations
        ? derived.key
        : pbkdf2Sync(
            this.#password.reveal(),
            salt,
            iterations,
            createHash(this.#hash).digest().length,
            this.#hash,
          );
    const clientKey = this.#hmac(saltedPassword, 'Client Key');
    const storedKey = createHash(this.#hash).update(clientKey).digest();
    const clientSignature = this.#hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    const serverKey = this.#hmac(saltedPassword, 'Server Key');
    this.#serverSignature = this.#hmac(serverKey, authMessage);
    for (const b of [saltedPassword, clientKey, storedKey, clientSignature, serverKey]) b.fill(0);

    this.#state = 'client-final-sent';
    const message = Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`);
    proof.fill(0);
    return message;
  }

  /**
   * {@link #verify} for a server-final challenge: every failure except the
   * server's own `e=` error is the server failing to prove its identity
   * ({@link SaslError.serverUnverified}).
   */
  #verifyServerFinal(challenge: Buffer): void {
    try {
      this.#verify(challenge);
    } catch (err) {
      if (!(err instanceof SaslError) || err.serverError !== undefined) throw err;
      const prefix = `${this.mechanism}: `;
      const message = err.message.startsWith(prefix)
        ? err.message.slice(prefix.length)
        : err.message;
      throw new SaslError(this.mechanism, message, { serverUnverified: true, cause: err });
    }
  }

  #verify(challenge: Buffer): void {
    const serverFinal = this.#decode(challenge, 'server-final message');
    const attrs = this.#parse(serverFinal, 'server-final message');
    this.#throwServerError(attrs);
    const verifier = this.#require(attrs, 'v', 'server-final message');
    if (!serverFinal.startsWith('v=')) {
      throw new SaslError(this.mechanism, 'the server-final message does not start with v=');
    }
    if (verifier === '' || !BASE64.test(verifier)) {
      throw new SaslError(this.mechanism, 'the server signature is not valid base64');
    }
    const received = Buffer.from(verifier, 'base64');
    const expected = this.#serverSignature!;
    const matches = received.length === expected.length && timingSafeEqual(received, expected);
    expected.fill(0);
    if (!matches) {
      throw new SaslError(
        this.mechanism,
        'the server signature does not match: the server did not prove it knows the password',
      );
    }
    this.#state = 'verified';
  }

  #iterations(text: string): number {
    if (!/^[0-9]+$/.test(text)) {
      throw new SaslError(this.mechanism, 'the iteration count is not a number');
    }
    const digits = text.replace(/^0+(?=.)/, '');
    const count = digits.length > 15 ? Infinity : Number(digits);
    if (count < 1) throw new SaslError(this.mechanism, 'the iteration count must be at least 1');
    if (count < this.#minIterations) {
      throw new SaslError(
        this.mechanism,
        `the server asks for ${count} iterations, fewer than the minimum of ${this.#minIterations} (RFC 7677 section 4): a proof with so few would be cheap to attack offline`,
      );
    }
    if (count > this.#maxIterations) {
      throw new SaslError(
        this.mechanism,
        `the server asks for ${digits.length > 15 ? 'more than 10^15' : String(count)} iterations, more than the limit of ${this.#maxIterations}`,
      );
    }
    return count;
  }

  #hmac(key: Buffer, text: string): Buffer {
    return createHmac(this.#hash, key).update(text).digest();
  }

  #decode(challenge: Buffer, what: string): string {
    try {
      return UTF8.decode(challenge);
    } catch {
      throw new SaslError(this.mechanism, `the ${what} is not valid UTF-8`);
    }
  }

  /** Splits `a=value,b=value` (RFC 5802 section 7 `attr-val`), refusing anything else. */
  #parse(message: string, what: string): Map<string, string> {
    const attrs = new Map<string, string>();
    if (message === '') throw new SaslError(this.mechanism, `the ${what} is empty`);
    for (const part of message.split(',')) {
      if (!/^[A-Za-z]=/.test(part)) {
        throw new SaslError(this.mechanism, `the ${what} has a malformed attribute`);
      }
      const key = part[0]!;
      if (attrs.has(key)) {
        throw new SaslError(this.mechanism, `the ${what} repeats the ${key}= attribute`);
      }
      attrs.set(key, part.slice(2));
    }
    return attrs;
  }

  #require(attrs: Map<string, string>, key: string, what: string): string {
    const value = attrs.get(key);
    if (value === undefined) {
      throw new SaslError(this.mechanism, `the ${what} lacks the ${key}= attribute`);
    }
    return value;
  }

  #throwServerError(attrs: Map<string, string>): void {
    const error = attrs.get('e');
    if (error !== undefined) {
      throw new SaslError(
        this.mechanism,
        `the server reports an error: ${sanitizeServerText(error)}`,
        {
          serverError: error,
        },
      );
    }
  }
}

function prepare(mechanism: string, value: string, what: string): string {
  try {
    return saslprep(value);
  } catch (err) {
    if (err instanceof SaslprepError) {
      throw new SaslError(mechanism, `${what} ${err.message}`);
    }
    throw err;
  }
}
