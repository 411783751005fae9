import { reveal, toSecret, type Secret, type SecretLike } from '../../model/secret.js';
import { SaslError, type SaslSession } from './mechanism.js';

/** Credentials of the LOGIN mechanism. */
export interface LoginCredentials {
  /** User name, sent in answer to the first challenge. */
  username: string;
  /** Password, sent in answer to the second challenge. */
  password: SecretLike;
}

/**
 * The non-standard, obsolete LOGIN SASL mechanism (draft-murchison-sasl-login,
 * never an RFC; listed as OBSOLETE in the IANA SASL registry per RFC 4422):
 * the server sends two challenges, conventionally `Username:` and
 * `Password:` (in any case or wording); the first is answered with the user
 * name and the second with the password, whatever their text. There is no
 * initial response. Use only over TLS.
 */
export class LoginSession implements SaslSession {
  /** Always `LOGIN`. */
  readonly mechanism = 'LOGIN';
  /** LOGIN has no server verification step. */
  readonly needsServerFinal = false;
  readonly #username: string;
  readonly #password: Secret;
  #step = 0;

  constructor(credentials: LoginCredentials) {
    if (credentials.username === '') throw new SaslError('LOGIN', 'the username is empty');
    if (reveal(credentials.password) === '') throw new SaslError('LOGIN', 'the password is empty');
    this.#username = credentials.username;
    this.#password = toSecret(credentials.password);
  }

  /** LOGIN starts with a server challenge: always null. */
  initialResponse(): null {
    return null;
  }

  /** First challenge: the user name; second: the password; a third is refused. */
  respond(_challenge: Buffer): Buffer {
    this.#step++;
    if (this.#step === 1) return Buffer.from(this.#username);
    if (this.#step === 2) return Buffer.from(this.#password.reveal());
    throw new SaslError('LOGIN', 'unexpected third server challenge');
  }

  /** Nothing to verify for LOGIN. */
  complete(_serverFinal?: Buffer): void {}
}
