/**
 * AUTHENTICATE (RFC 9051 6.2.2) driven by the SASL sessions of `./sasl/`,
 * with SASL-IR (RFC 4959) when the server offers it. Challenges and
 * responses are base64 on the wire; they are never logged (the engine logs
 * `[redacted]` for both directions while AUTHENTICATE runs) and never appear
 * in an error message.
 * @internal
 */
import {
  ImapCapabilityError,
  ImapConnectionError,
  ImapError,
  ImapProtocolError,
} from '../model/errors.js';
import type { ContinuationResponse, TaggedResponse } from '../model/response.js';
import type { SecretLike } from '../model/secret.js';
import type { CommandArg } from '../wire/command-arg.js';
import {
  chooseMechanism,
  createSaslSession,
  SaslError,
  type OAuthErrorDetails,
  type SaslCredentials,
  type SaslSession,
} from './sasl/index.js';
import { sanitizeServerText } from './sasl/mechanism.js';
import type { AuthOptions, CommandResult } from './types.js';

/** What {@link authenticate} needs from the engine. @internal */
export interface AuthHost {
  readonly capabilities: ReadonlySet<string>;
  readonly host: string;
  readonly port: number;
  readonly maxScramIterations: number | undefined;
  readonly minScramIterations: number | undefined;
  /** The LOGIN command (RFC 9051 6.2.3). */
  login(username: string, password: SecretLike): Promise<CommandResult>;
  /**
   * Runs AUTHENTICATE with `args`, logging `redacted` instead of the
   * command, answering `+` with `onContinuation` (lines logged as
   * `[redacted]`), and calling `onOk` synchronously on the tagged OK before
   * anything else happens (a throw closes the connection).
   */
  runAuthenticate(
    args: CommandArg[],
    redacted: string,
    onContinuation: (response: ContinuationResponse) => string | Promise<string>,
    onOk: (tagged: TaggedResponse) => void,
  ): Promise<CommandResult>;
}

const MECHANISM_NAME = /^[A-Z0-9_-]{1,20}$/;

/**
 * Authenticates with `credentials`: the named mechanism, `LOGIN-COMMAND` for
 * the LOGIN command, or the strongest advertised mechanism the credentials
 * can use (falling back to LOGIN when no `AUTH=` mechanism fits and LOGIN is
 * not disabled). An authzid is never dropped: the LOGIN command cannot carry
 * one, so with an authzid both `LOGIN-COMMAND` and the fallback throw (AUTH
 * error, resp. {@link ImapCapabilityError}) before anything is sent. Throws {@link ImapProtocolError} when the server says NO/BAD
 * (e.g. `[AUTHENTICATIONFAILED]`), {@link ImapCapabilityError} when the
 * mechanism is not offered, an {@link ImapError} with code AUTH on a SASL
 * failure on our side (the exchange cancelled with `*`; also a SCRAM
 * server's own `e=` error), and an {@link ImapConnectionError} with code AUTH
 * (connection closed at once) when a SCRAM server fails to prove its identity:
 * a wrong, missing or malformed `v=`, in a challenge or with the tagged OK.
 */
export async function authenticate(
  host: AuthHost,
  credentials: AuthOptions,
): Promise<CommandResult> {
  const caps = host.capabilities;
  const sasl: SaslCredentials = {
    username: credentials.username,
    host: host.host,
    port: host.port,
    ...(credentials.password === undefined ? {} : { password: credentials.password }),
    ...(credentials.accessToken === undefined ? {} : { accessToken: credentials.accessToken }),
    ...(credentials.authzid === undefined ? {} : { authzid: credentials.authzid }),
  };
  const hasAuthzid = credentials.authzid !== undefined && credentials.authzid !== '';
  let mechanism = credentials.mechanism?.toUpperCase();
  if (mechanism === 'LOGIN-COMMAND') {
    if (credentials.password === undefined) {
      throw new ImapError('AUTH', 'the LOGIN command needs a password');
    }
    // The LOGIN command has no authorization identity: sending it would log
    // in as the authentication identity itself, silently.
    if (hasAuthzid) throw new ImapError('AUTH', authzidRefusal('the LOGIN command cannot'));
    return host.login(credentials.username, credentials.password);
  }
  if (mechanism === undefined) {
    mechanism = chooseMechanism(caps, sasl) ?? undefined;
    if (mechanism === undefined) {
      if (credentials.password !== undefined && !caps.has('LOGINDISABLED')) {
        if (hasAuthzid) {
          throw new ImapCapabilityError(
            'AUTH',
            authzidRefusal('neither the mechanisms the server offers nor the LOGIN command can'),
          );
        }
        return host.login(credentials.username, credentials.password);
      }
      throw new ImapCapabilityError(
        'AUTH',
        'the server offers no SASL mechanism these credentials can use',
      );
    }
  } else {
    if (!MECHANISM_NAME.test(mechanism)) {
      throw new ImapError('AUTH', `invalid SASL mechanism name ${JSON.stringify(mechanism)}`);
    }
    if (!caps.has(`AUTH=${mechanism}`)) {
      throw new ImapCapabilityError(`AUTH=${mechanism}`);
    }
  }

  let session: SaslSession;
  try {
    session = createSaslSession(
      mechanism,
      sasl,
      iterationLimits(host.maxScramIterations, host.minScramIterations),
    );
  } catch (err) {
    throw new ImapError('AUTH', `cannot authenticate with ${mechanism}: ${messageOf(err)}`, {
      cause: err,
    });
  }

  const args: CommandArg[] = [{ type: 'atom', value: mechanism }];
  let redacted = `AUTHENTICATE ${mechanism}`;
  if (caps.has('SASL-IR')) {
    const initial = session.initialResponse();
    if (initial !== null) {
      args.push({ type: 'raw', value: initial.length === 0 ? '=' : initial.toString('base64') });
      redacted += ' [redacted]';
    }
  }

  let saslError: SaslError | null = null;
  /** An answer is being prepared (SCRAM's key derivation) and not yet sent. */
  let answerPending = false;
  const onContinuation = (response: ContinuationResponse): string | Promise<string> => {
    if (answerPending) {
      // SASL is lock-step (RFC 4422 section 3, RFC 9051 6.2.2): one challenge,
      // one answer. A burst of challenges would start a key derivation each.
      throw new ImapConnectionError(
        'PROTOCOL',
        `protocol error: the server sent another AUTHENTICATE ${mechanism} challenge before the client answered the previous one`,
      );
    }
    if (saslError !== null) {
      // RFC 9051 6.2.2: after the client's `*` the server must answer BAD. A
      // server that challenges again would keep the exchange going forever.
      throw new ImapConnectionError(
        'PROTOCOL',
        `protocol error: the server sent another AUTHENTICATE ${mechanism} challenge after the client cancelled the exchange (${messageOf(saslError)})`,
      );
    }
    const challenge = Buffer.from(response.text, 'base64');
    const answer = (): string => {
      try {
        return session.respond(challenge).toString('base64');
      } catch (err) {
        if (err instanceof SaslError && err.serverUnverified) {
          // SCRAM's server signature is wrong or missing: the server is not
          // who it claims to be. No cancellation dance with it: close.
          throw new ImapConnectionError(
            'AUTH',
            `the server did not prove its identity (${mechanism}): ${messageOf(err)}; connection closed`,
            { cause: err },
          );
        }
        if (err instanceof SaslError) {
          saslError = err;
          return '*'; // cancel the exchange (RFC 9051 6.2.2)
        }
        throw err;
      }
    };
    // SCRAM derives its key on the thread pool first: the event loop goes on.
    if (session.prepare === undefined) return answer();
    answerPending = true;
    return session.prepare(challenge).then(() => {
      answerPending = false;
      return answer();
    });
  };
  const onOk = (): void => {
    if (saslError !== null) {
      // RFC 9051 6.2.2: a cancelled exchange ends with BAD; a server that
      // says OK would leave us logged in after we refused to go on.
      throw new ImapConnectionError(
        'AUTH',
        `the server accepted an AUTHENTICATE ${mechanism} exchange the client cancelled (${messageOf(saslError)}); connection closed`,
        { cause: saslError },
      );
    }
    try {
      session.complete();
    } catch (err) {
      throw new ImapConnectionError(
        'AUTH',
        `the server did not prove its identity (${mechanism}): ${messageOf(err)}; connection closed`,
        { cause: err },
      );
    }
  };

  const result = await host.runAuthenticate(args, redacted, onContinuation, onOk);
  const tagged = result.tagged;
  if (saslError !== null) {
    throw new ImapError('AUTH', `authentication cancelled: ${messageOf(saslError)}`, {
      cause: saslError,
      command: result.command,
      serverText: tagged.text,
      responseCode: tagged.code,
    });
  }
  if (tagged.status !== 'OK') {
    // XOAUTH2 / OAUTHBEARER: the server's JSON error says why the token failed.
    const oauth = 'lastError' in session ? (session.lastError as OAuthErrorDetails | null) : null;
    const why =
      oauth === null
        ? ''
        : // The server's JSON: control characters escaped (no CR/LF/ESC in logs).
          ` (OAuth status ${oauth.status === undefined ? 'unknown' : sanitizeServerText(oauth.status)}${oauth.scope ? `, scope ${sanitizeServerText(oauth.scope)}` : ''})`;
    throw new ImapProtocolError(
      tagged.status,
      `AUTHENTICATE ${mechanism} failed: ${tagged.text}${why}`,
      {
        command: result.command,
        serverText: tagged.text,
        responseCode: tagged.code,
      },
    );
  }
  return result;
}

/** Mechanisms of this library that can carry an authorization identity. */
const AUTHZID_MECHANISMS = 'SCRAM-SHA-256, SCRAM-SHA-1, PLAIN or OAUTHBEARER';

function authzidRefusal(what: string): string {
  return `${what} carry an authorization identity (authzid); only AUTHENTICATE ${AUTHZID_MECHANISMS} can: nothing was sent`;
}

function iterationLimits(
  max: number | undefined,
  min: number | undefined,
): { maxIterations?: number; minIterations?: number } {
  return {
    ...(max === undefined ? {} : { maxIterations: max }),
    ...(min === undefined ? {} : { minIterations: min }),
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
