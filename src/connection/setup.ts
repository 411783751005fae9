/**
 * Opening a session, the steps of `ImapConnection.connect` around the
 * engine: where to connect and how (host, port, security from the options),
 * then, once the greeting is in, what to negotiate — capabilities, STARTTLS,
 * login, COMPRESS, ID and ENABLE — through the connection's public commands.
 * @internal
 */
import { ImapArgumentError } from '../model/errors.js';
import { preauthWithStarttlsError, starttlsMissingError } from './starttls.js';
import type { AuthOptions, ConnectionState, ConnectOptions, Security } from './types.js';

/** The commands session setup uses: ImapConnection's public ones. */
export interface SessionCommands {
  readonly state: ConnectionState;
  readonly capabilities: ReadonlySet<string>;
  hasCapability(name: string): boolean;
  capability(): Promise<unknown>;
  starttls(): Promise<void>;
  authenticate(credentials: AuthOptions): Promise<unknown>;
  compress(): Promise<void>;
  id(fields: Map<string, string | null> | null): Promise<unknown>;
  enable(extensions: readonly string[]): Promise<unknown>;
}

/** Where and how `ImapConnection.connect` connects. */
export interface Endpoint {
  host: string;
  port: number;
  security: Security;
}

/** The values of {@link Security}. */
const SECURITIES: ReadonlySet<unknown> = new Set<Security>(['tls', 'starttls', 'none']);

/**
 * The host, port and security `options` ask for. Neither port nor security:
 * implicit TLS on port 993 (RFC 8314 3.1 prefers it to STARTTLS). A port
 * alone: implicit TLS on 993, STARTTLS (required) on any other. A security
 * alone: its usual port (993 for `tls`, else 143). Throws
 * ImapArgumentError for TLS over a caller-given stream and for a `security`
 * that is not one of {@link Security}'s values.
 */
export function resolveEndpoint(options: ConnectOptions): Endpoint {
  if (options.security !== undefined && !SECURITIES.has(options.security)) {
    // Checked, not trusted to the type: any other value (`'ssl'`, `'STARTTLS'`
    // from a configuration file) would mean a plaintext session, credentials
    // included, where TLS was asked for.
    throw new ImapArgumentError(
      `security must be 'tls', 'starttls' or 'none', not ${describe(options.security)}: nothing was sent`,
    );
  }
  const host = options.host ?? 'localhost';
  const port =
    options.port ?? (options.security === undefined || options.security === 'tls' ? 993 : 143);
  if (options.stream !== undefined && (options.security ?? 'none') !== 'none') {
    // Never a silent plaintext session: a caller's stream cannot be upgraded here.
    throw new ImapArgumentError(
      `security '${options.security}' is impossible over a caller-given stream: wrap the stream in TLS first, or pass security: 'none'`,
    );
  }
  const security =
    options.stream !== undefined
      ? 'none'
      : (options.security ?? (port === 993 ? 'tls' : 'starttls'));
  return { host, port, security };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * After the greeting: learns the capabilities, runs STARTTLS when
 * `security` is `starttls`, logs in (`auth`), and negotiates `compress`,
 * `id` and `enable` when asked and offered.
 */
export async function setUpSession(
  conn: SessionCommands,
  options: ConnectOptions,
  security: Security,
): Promise<void> {
  if (security === 'starttls' && conn.state !== 'not-authenticated') {
    throw preauthWithStarttlsError();
  }
  if (conn.capabilities.size === 0) await conn.capability();
  if (security === 'starttls') {
    if (!conn.hasCapability('STARTTLS')) throw starttlsMissingError();
    await conn.starttls();
  }
  const auth = options.auth;
  if (auth !== undefined && conn.state === 'not-authenticated') {
    await conn.authenticate(auth);
  }
  if (conn.state === 'authenticated') {
    if (options.compress === true && conn.hasCapability('COMPRESS=DEFLATE')) {
      await conn.compress();
    }
    if (options.id !== undefined && conn.hasCapability('ID')) await conn.id(options.id);
    if (options.enable !== undefined && options.enable.length > 0) {
      const wanted = options.enable.filter((e) => conn.hasCapability(e));
      const canEnable = conn.hasCapability('ENABLE') || conn.hasCapability('IMAP4rev2');
      if (wanted.length > 0 && canEnable) await conn.enable(wanted);
    }
  }
}
