import { reveal, toSecret, type Secret, type SecretLike } from '../../model/secret.js';
import {
  assertNoForbiddenChars,
  escapeSaslname,
  SaslError,
  type SaslSession,
} from './mechanism.js';
import { parseOAuthError, type OAuthErrorDetails } from './oauth-error.js';

/** Credentials of the OAUTHBEARER mechanism (RFC 7628). */
export interface OAuthBearerCredentials {
  /** The OAuth 2.0 access token (RFC 6750 bearer token). */
  accessToken: SecretLike;
  /** Authorization identity sent as `a=` in the GS2 header; omitted when empty or absent. */
  authzid?: string;
  /** Server host name, sent as the `host` key when given. */
  host?: string;
  /** Server port, sent as the `port` key when given. */
  port?: number;
}

const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The OAUTHBEARER SASL mechanism (RFC 7628): the initial response is the GS2
 * header `n,a=USER,` (RFC 5801, no channel binding) followed by
 * `^A host=HOST ^A port=PORT ^A auth=Bearer TOKEN ^A ^A` (host and port
 * only when known). If the token is refused the server sends a JSON error
 * challenge (RFC 7628 section 3.2.2; see {@link OAuthBearerSession.lastError});
 * the client answers it with the single byte `^A` (section 3.2.3) and the
 * server finishes with a tagged NO.
 */
export class OAuthBearerSession implements SaslSession {
  /** Always `OAUTHBEARER`. */
  readonly mechanism = 'OAUTHBEARER';
  /** OAUTHBEARER has no server verification step. */
  readonly needsServerFinal = false;
  /** The server's JSON error challenge, once one was received; null before. */
  lastError: OAuthErrorDetails | null = null;
  readonly #prefix: string;
  readonly #token: Secret;
  #sent = false;

  constructor(credentials: OAuthBearerCredentials) {
    const token = reveal(credentials.accessToken);
    if (token === '') throw new SaslError('OAUTHBEARER', 'the access token is empty');
    assertNoForbiddenChars('OAUTHBEARER', token, 'the access token', CONTROL_OR_SPACE);
    const authzid = credentials.authzid ?? '';
    assertNoForbiddenChars('OAUTHBEARER', authzid, 'the username', CONTROL);
    let prefix = authzid === '' ? 'n,,' : `n,a=${escapeSaslname(authzid)},`;
    if (credentials.host !== undefined && credentials.host !== '') {
      assertNoForbiddenChars('OAUTHBEARER', credentials.host, 'the host', CONTROL);
      prefix += `\u0001host=${credentials.host}`;
    }
    if (credentials.port !== undefined) {
      const port = credentials.port;
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new SaslError('OAUTHBEARER', `invalid port ${String(port)}`);
      }
      prefix += `\u0001port=${port}`;
    }
    this.#prefix = prefix;
    this.#token = toSecret(credentials.accessToken);
  }

  /** `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A` (RFC 7628 section 3.1). */
  initialResponse(): Buffer {
    this.#sent = true;
    return Buffer.from(`${this.#prefix}\u0001auth=Bearer ${this.#token.reveal()}\u0001\u0001`);
  }

  /**
   * Sends the credentials if they were not sent as an initial response;
   * afterwards a challenge is the server's error: it is parsed into
   * {@link lastError} and answered with `^A` (RFC 7628 section 3.2.3). A
   * challenge after that is refused.
   */
  respond(challenge: Buffer): Buffer {
    if (!this.#sent) return this.initialResponse();
    if (this.lastError !== null) {
      throw new SaslError('OAUTHBEARER', 'unexpected server challenge after the error response');
    }
    this.lastError = parseOAuthError(challenge);
    return Buffer.from([0x01]);
  }

  /**
   * After an error challenge the server must fail the exchange (RFC 7628
   * section 3.2.2); success then is refused.
   */
  complete(_serverFinal?: Buffer): void {
    if (this.lastError !== null) {
      throw new SaslError('OAUTHBEARER', 'the server reported success after an error challenge');
    }
  }
}
