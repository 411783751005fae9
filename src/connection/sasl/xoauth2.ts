import { reveal, toSecret, type Secret, type SecretLike } from '../../model/secret.js';
import { assertNoForbiddenChars, SaslError, type SaslSession } from './mechanism.js';
import { parseOAuthError, type OAuthErrorDetails } from './oauth-error.js';

/** Credentials of the XOAUTH2 mechanism. */
export interface XOAuth2Credentials {
  /** The account's e-mail address or user name. */
  username: string;
  /** The OAuth 2.0 access token (RFC 6750 bearer token). */
  accessToken: SecretLike;
}

/** Characters that cannot appear in a user name or token (they would break the framing). */
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Google's XOAUTH2 SASL mechanism (a non-standard predecessor of RFC 7628
 * OAUTHBEARER): the initial response is `user=USER ^A auth=Bearer TOKEN ^A ^A`.
 * If the token is refused the server sends a challenge holding a JSON error
 * (see {@link XOAuth2Session.lastError}); the client answers it with an empty
 * response so that the server finishes with a tagged NO.
 */
export class XOAuth2Session implements SaslSession {
  /** Always `XOAUTH2`. */
  readonly mechanism = 'XOAUTH2';
  /** XOAUTH2 has no server verification step. */
  readonly needsServerFinal = false;
  /** The server's JSON error challenge, once one was received; null before. */
  lastError: OAuthErrorDetails | null = null;
  readonly #username: string;
  readonly #token: Secret;
  #sent = false;

  constructor(credentials: XOAuth2Credentials) {
    const token = reveal(credentials.accessToken);
    if (credentials.username === '') throw new SaslError('XOAUTH2', 'the username is empty');
    if (token === '') throw new SaslError('XOAUTH2', 'the access token is empty');
    assertNoForbiddenChars('XOAUTH2', credentials.username, 'the username', CONTROL);
    assertNoForbiddenChars('XOAUTH2', token, 'the access token', CONTROL_OR_SPACE);
    this.#username = credentials.username;
    this.#token = toSecret(credentials.accessToken);
  }

  /** `user=USER\x01auth=Bearer TOKEN\x01\x01`. */
  initialResponse(): Buffer {
    this.#sent = true;
    return Buffer.from(
      `user=${this.#username}\u0001auth=Bearer ${this.#token.reveal()}\u0001\u0001`,
    );
  }

  /**
   * Sends the credentials if they were not sent as an initial response;
   * afterwards a challenge is the server's error: it is parsed into
   * {@link lastError} and answered with an empty response. A challenge after
   * that is refused.
   */
  respond(challenge: Buffer): Buffer {
    if (!this.#sent) return this.initialResponse();
    if (this.lastError !== null) {
      throw new SaslError('XOAUTH2', 'unexpected server challenge after the error response');
    }
    this.lastError = parseOAuthError(challenge);
    return Buffer.alloc(0);
  }

  /** After an error challenge the server must fail the exchange; success then is refused. */
  complete(_serverFinal?: Buffer): void {
    if (this.lastError !== null) {
      throw new SaslError('XOAUTH2', 'the server reported success after an error challenge');
    }
  }
}
