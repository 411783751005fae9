/**
 * Client-side SASL mechanisms for IMAP AUTHENTICATE (RFC 9051 section 6.2.2,
 * RFC 4422, SASL-IR RFC 4959). Pure: no I/O, no base64.
 */
import { reveal } from '../../model/secret.js';
import { CramMd5Session } from './cram-md5.js';
import { LoginSession } from './login.js';
import { SaslError, type SaslCredentials, type SaslSession } from './mechanism.js';
import { OAuthBearerSession } from './oauthbearer.js';
import { PlainSession } from './plain.js';
import { ScramSession, type ScramOptions } from './scram.js';
import { XOAuth2Session } from './xoauth2.js';

export { SaslError, escapeSaslname, type SaslCredentials, type SaslSession } from './mechanism.js';
export { PlainSession, type PlainCredentials } from './plain.js';
export { LoginSession, type LoginCredentials } from './login.js';
export { CramMd5Session, type CramMd5Credentials } from './cram-md5.js';
export { XOAuth2Session, type XOAuth2Credentials } from './xoauth2.js';
export { OAuthBearerSession, type OAuthBearerCredentials } from './oauthbearer.js';
export type { OAuthErrorDetails } from './oauth-error.js';
export {
  ScramSession,
  DEFAULT_SCRAM_MAX_ITERATIONS,
  DEFAULT_SCRAM_MIN_ITERATIONS,
  type ScramHash,
  type ScramCredentials,
  type ScramOptions,
} from './scram.js';
export { saslprep, SaslprepError } from './saslprep.js';

/**
 * Every SASL mechanism this library implements (RFC 4422 names), in order of
 * preference for automatic choice: the OAuth 2.0 ones first (RFC 7628
 * OAUTHBEARER, then Google's XOAUTH2; used only when an access token is
 * given), then the password ones (SCRAM-SHA-256 RFC 7677, SCRAM-SHA-1
 * RFC 5802, PLAIN RFC 4616, LOGIN, CRAM-MD5 RFC 2195).
 */
export const SUPPORTED_SASL_MECHANISMS = [
  'OAUTHBEARER',
  'XOAUTH2',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
  'PLAIN',
  'LOGIN',
  'CRAM-MD5',
] as const;

/** The name of a SASL mechanism in {@link SUPPORTED_SASL_MECHANISMS}. */
export type SaslMechanismName = (typeof SUPPORTED_SASL_MECHANISMS)[number];

/** Mechanisms that need an access token (RFC 7628, XOAUTH2). */
const TOKEN_MECHANISMS: ReadonlySet<string> = new Set(['OAUTHBEARER', 'XOAUTH2']);

/** Options for {@link createSaslSession}. */
export type SaslOptions = ScramOptions;

function isSupported(name: string): name is SaslMechanismName {
  return (SUPPORTED_SASL_MECHANISMS as readonly string[]).includes(name);
}

function hasValue(value: SaslCredentials['password']): boolean {
  return value !== undefined && reveal(value) !== '';
}

/** Mechanisms that cannot carry an authorization identity. */
const NO_AUTHZID: ReadonlySet<string> = new Set(['LOGIN', 'CRAM-MD5', 'XOAUTH2']);

function rejectAuthzid(name: string, credentials: SaslCredentials): void {
  if (credentials.authzid !== undefined && credentials.authzid !== '') {
    throw new SaslError(name, 'this mechanism cannot carry an authorization identity (authzid)');
  }
}

/**
 * Starts a client SASL exchange (RFC 4422) for `mechanism` (case-insensitive;
 * one of {@link SUPPORTED_SASL_MECHANISMS}). Throws {@link SaslError} for an
 * unsupported mechanism or a missing or unusable credential (a password for
 * PLAIN, LOGIN, CRAM-MD5 and SCRAM-*, an access token for OAUTHBEARER and
 * XOAUTH2), or an authzid given to a mechanism that cannot carry one
 * (LOGIN, CRAM-MD5, XOAUTH2). `options` apply to SCRAM (iteration limit, test nonce).
 */
export function createSaslSession(
  mechanism: string,
  credentials: SaslCredentials,
  options: SaslOptions = {},
): SaslSession {
  const name = mechanism.toUpperCase();
  if (!isSupported(name)) {
    throw new SaslError(null, `unsupported SASL mechanism ${JSON.stringify(mechanism)}`);
  }
  if (TOKEN_MECHANISMS.has(name)) {
    const accessToken = credentials.accessToken;
    if (accessToken === undefined || reveal(accessToken) === '') {
      throw new SaslError(name, 'an access token is required');
    }
    if (name === 'XOAUTH2') {
      rejectAuthzid(name, credentials);
      return new XOAuth2Session({ username: credentials.username, accessToken });
    }
    return new OAuthBearerSession({
      accessToken,
      authzid: credentials.authzid || credentials.username,
      ...(credentials.host === undefined ? {} : { host: credentials.host }),
      ...(credentials.port === undefined ? {} : { port: credentials.port }),
    });
  }
  const password = credentials.password;
  if (password === undefined || reveal(password) === '') {
    throw new SaslError(name, 'a password is required');
  }
  const { username } = credentials;
  switch (name) {
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-1':
      return new ScramSession(
        name === 'SCRAM-SHA-256' ? 'SHA-256' : 'SHA-1',
        { username, password, ...(credentials.authzid ? { authzid: credentials.authzid } : {}) },
        options,
      );
    case 'PLAIN':
      return new PlainSession({
        username,
        password,
        ...(credentials.authzid ? { authzid: credentials.authzid } : {}),
      });
    case 'LOGIN':
      rejectAuthzid(name, credentials);
      return new LoginSession({ username, password });
    case 'CRAM-MD5':
      rejectAuthzid(name, credentials);
      return new CramMd5Session({ username, password });
    default:
      throw new SaslError(null, `unsupported SASL mechanism ${JSON.stringify(mechanism)}`);
  }
}

/**
 * Picks the strongest mechanism the server advertises as `AUTH=<name>`
 * (RFC 9051 section 6.2.2) that the credentials can use: with an access
 * token OAUTHBEARER (RFC 7628) then XOAUTH2; with a password SCRAM-SHA-256
 * (RFC 7677), SCRAM-SHA-1 (RFC 5802), PLAIN (RFC 4616), LOGIN, CRAM-MD5
 * (RFC 2195). Capability names are compared case-insensitively. Returns
 * null when nothing fits (the caller may fall back to the LOGIN command).
 * LOGIN, CRAM-MD5 and XOAUTH2 are chosen only when the credentials have no
 * authzid, which they cannot carry.
 */
export function chooseMechanism(
  serverCaps: ReadonlySet<string>,
  credentials: SaslCredentials,
): SaslMechanismName | null {
  const advertised = new Set<string>();
  for (const cap of serverCaps) {
    const upper = cap.toUpperCase();
    if (upper.startsWith('AUTH=')) advertised.add(upper.slice(5));
  }
  const hasToken = hasValue(credentials.accessToken);
  const hasPassword = hasValue(credentials.password);
  const hasAuthzid = credentials.authzid !== undefined && credentials.authzid !== '';
  for (const name of SUPPORTED_SASL_MECHANISMS) {
    if (!advertised.has(name) || (hasAuthzid && NO_AUTHZID.has(name))) continue;
    if (TOKEN_MECHANISMS.has(name)) {
      if (hasToken) return name;
    } else if (hasPassword) {
      return name;
    }
  }
  return null;
}
