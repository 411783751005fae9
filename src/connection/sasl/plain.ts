import { reveal, toSecret, type Secret, type SecretLike } from '../../model/secret.js';
import { assertNoForbiddenChars, SaslError, type SaslSession } from './mechanism.js';

/** Credentials of the PLAIN mechanism (RFC 4616 section 2). */
export interface PlainCredentials {
  /** Authentication identity (authcid); must not be empty. */
  username: string;
  /** Password; must not be empty. */
  password: SecretLike;
  /** Optional authorization identity (act as this user). */
  authzid?: string;
}

const NUL = /\u0000/;

/**
 * The PLAIN SASL mechanism (RFC 4616): a single client message
 * `[authzid] NUL authcid NUL passwd`, sent as the SASL-IR initial response
 * (RFC 4959) or in answer to the server's first, empty, challenge. Use only
 * over TLS: the password travels in the clear.
 */
export class PlainSession implements SaslSession {
  /** Always `PLAIN`. */
  readonly mechanism = 'PLAIN';
  /** PLAIN has no server verification step. */
  readonly needsServerFinal = false;
  readonly #username: string;
  readonly #password: Secret;
  readonly #authzid: string;
  #sent = false;

  constructor(credentials: PlainCredentials) {
    const password = reveal(credentials.password);
    if (credentials.username === '') throw new SaslError('PLAIN', 'the username is empty');
    if (password === '') throw new SaslError('PLAIN', 'the password is empty');
    assertNoForbiddenChars('PLAIN', credentials.username, 'the username', NUL);
    assertNoForbiddenChars('PLAIN', password, 'the password', NUL);
    assertNoForbiddenChars('PLAIN', credentials.authzid ?? '', 'the authzid', NUL);
    this.#username = credentials.username;
    this.#password = toSecret(credentials.password);
    this.#authzid = credentials.authzid ?? '';
  }

  /** The RFC 4616 message `authzid NUL authcid NUL passwd`. */
  initialResponse(): Buffer {
    this.#sent = true;
    return Buffer.from(`${this.#authzid}\u0000${this.#username}\u0000${this.#password.reveal()}`);
  }

  /**
   * Answers the server's first challenge with the message when it was not
   * sent as an initial response (its content is ignored, RFC 4422 section 5);
   * any further challenge is a protocol violation.
   */
  respond(_challenge: Buffer): Buffer {
    if (!this.#sent) return this.initialResponse();
    throw new SaslError('PLAIN', 'unexpected server challenge after the credentials were sent');
  }

  /** Nothing to verify for PLAIN. */
  complete(_serverFinal?: Buffer): void {}
}
