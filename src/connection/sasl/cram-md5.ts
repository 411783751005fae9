import { createHmac } from 'node:crypto';
import { reveal, toSecret, type Secret, type SecretLike } from '../../model/secret.js';
import { SaslError, type SaslSession } from './mechanism.js';

/** Credentials of the CRAM-MD5 mechanism (RFC 2195). */
export interface CramMd5Credentials {
  /** User name, sent in the clear. */
  username: string;
  /** Password, used as the HMAC-MD5 key; never sent. */
  password: SecretLike;
}

/**
 * The CRAM-MD5 SASL mechanism (RFC 2195, with RFC 2104 HMAC): the server
 * sends a challenge (a msg-id like `<1896.697170952@host>`), the client
 * answers `username SP hex(HMAC-MD5(password, challenge))` in lower case.
 * No initial response and no server verification; the mechanism is weak
 * (MD5, server stores plaintext-equivalent keys) and is chosen last.
 */
export class CramMd5Session implements SaslSession {
  /** Always `CRAM-MD5`. */
  readonly mechanism = 'CRAM-MD5';
  /** CRAM-MD5 has no server verification step. */
  readonly needsServerFinal = false;
  readonly #username: string;
  readonly #password: Secret;
  #answered = false;

  constructor(credentials: CramMd5Credentials) {
    if (credentials.username === '') throw new SaslError('CRAM-MD5', 'the username is empty');
    if (reveal(credentials.password) === '') {
      throw new SaslError('CRAM-MD5', 'the password is empty');
    }
    this.#username = credentials.username;
    this.#password = toSecret(credentials.password);
  }

  /** CRAM-MD5 starts with a server challenge: always null. */
  initialResponse(): null {
    return null;
  }

  /** Answers the (non-empty) challenge with the keyed digest; a second challenge is refused. */
  respond(challenge: Buffer): Buffer {
    if (this.#answered) throw new SaslError('CRAM-MD5', 'unexpected second server challenge');
    if (challenge.length === 0) throw new SaslError('CRAM-MD5', 'the server challenge is empty');
    this.#answered = true;
    const digest = createHmac('md5', this.#password.reveal()).update(challenge).digest('hex');
    return Buffer.from(`${this.#username} ${digest}`);
  }

  /** Nothing to verify for CRAM-MD5. */
  complete(_serverFinal?: Buffer): void {}
}
