/**
 * Turns the connection options and environment variables into
 * {@link ClientOptions}: host, port, security, CA, login; `--insecure`
 * and plaintext logins to remote hosts are warned about loudly.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ClientOptions, Logger, Security } from '../index.js';
import { boolOpt, parseIntArg, stringOpt, type OptionValues } from './args.js';
import { CliError, EXIT, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { obtainPassword } from './password.js';

/** What {@link resolveConnectOptions} needs besides the parsed options. */
export interface ConnectContext {
  io: CliIo;
  values: OptionValues;
  warn: (text: string) => Promise<void>;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** The security mode from the flags or IMAPKIT_SECURITY; undefined for the library's default. */
export function securityFrom(values: OptionValues, env: CliIo['env']): Security | undefined {
  const flags = (['tls', 'starttls', 'plain'] as const).filter((f) => boolOpt(values, f));
  if (flags.length > 1) throw new UsageError(`--${flags.join(' and --')} exclude each other`);
  const chosen: string | undefined = flags[0] ?? env.IMAPKIT_SECURITY?.toLowerCase();
  if (chosen === undefined || chosen === '') return undefined;
  if (chosen === 'tls' || chosen === 'starttls') return chosen;
  if (chosen === 'plain' || chosen === 'none') return 'none';
  throw new UsageError(
    `IMAPKIT_SECURITY must be tls, starttls or plain, not ${JSON.stringify(chosen)}`,
  );
}

/** A logger printing the wire trace (already redacted by imapkit) on stderr. */
export function debugLogger(io: CliIo): Logger {
  const line =
    (level: string) =>
    (_obj: object, msg?: string): void => {
      io.stderr.write(`[${level}] ${msg ?? ''}\n`);
    };
  return {
    trace: line('trace'),
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
}

const PEM_CERTIFICATE =
  /-----BEGIN (?:TRUSTED )?CERTIFICATE-----\r?\n[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/g;

/**
 * Throws (exit 6) unless `bytes`, the CA file `path`, holds PEM
 * certificates that all parse: TLS would silently ignore anything else
 * (a DER file, a key) and the handshake then fail "unable to verify".
 */
export function checkPemCertificates(path: string, bytes: Buffer): void {
  const blocks = bytes.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  const bad = blocks.findIndex((block) => {
    try {
      new X509Certificate(block);
      return false;
    } catch {
      return true;
    }
  });
  if (blocks.length > 0 && bad < 0) return;
  throw new CliError(
    blocks.length === 0
      ? `the CA file ${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); ` +
          'a DER file can be converted: openssl x509 -inform der -in FILE -out ca.pem'
      : `the CA file ${path}: certificate ${bad + 1} of ${blocks.length} does not parse`,
    EXIT.LOCAL_IO,
  );
}

/** Builds the client's options, asking for the password when needed. */
export async function resolveConnectOptions(ctx: ConnectContext): Promise<ClientOptions> {
  const { io, values, warn } = ctx;
  const env = io.env;
  const host = stringOpt(values, 'host') ?? env.IMAPKIT_HOST;
  if (host === undefined || host === '') {
    throw new UsageError('no server: give --host HOST or set IMAPKIT_HOST');
  }
  const user = stringOpt(values, 'user') ?? env.IMAPKIT_USER;
  if (user === undefined || user === '') {
    throw new UsageError('no login name: give --user USER or set IMAPKIT_USER');
  }
  const security = securityFrom(values, env);
  const portText = stringOpt(values, 'port') ?? env.IMAPKIT_PORT;
  const port =
    portText !== undefined && portText !== ''
      ? parseIntArg(portText, '--port', 1, 65535)
      : security === 'tls'
        ? 993
        : security === undefined
          ? undefined
          : 143;
  const effective: Security = security ?? (port === undefined || port === 993 ? 'tls' : 'starttls');

  const options: ClientOptions = { host, security: effective, reconnect: false };
  if (port !== undefined) options.port = port;

  const tls: NonNullable<ClientOptions['tls']> = {};
  const caFile = stringOpt(values, 'ca') ?? env.IMAPKIT_CA;
  if (caFile !== undefined && caFile !== '') {
    try {
      tls.ca = readFileSync(caFile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError(`cannot read the CA file ${caFile} (${code})`, EXIT.LOCAL_IO);
    }
    checkPemCertificates(caFile, tls.ca);
  }
  if (boolOpt(values, 'insecure')) {
    if (effective === 'none') throw new UsageError('--insecure makes no sense with --plain');
    await warn(
      '--insecure: the server certificate is NOT verified. Anyone on the network path can ' +
        'impersonate the server, read this session and capture your password.',
    );
    tls.rejectUnauthorized = false;
  }
  if (Object.keys(tls).length > 0) options.tls = tls;
  if (effective === 'none' && !LOOPBACK.test(host)) {
    await warn(`--plain: the password and all mail travel unencrypted to ${host}`);
  }

  const timeoutText = stringOpt(values, 'timeout');
  const seconds = timeoutText === undefined ? 60 : parseIntArg(timeoutText, '--timeout', 1, 86_400);
  options.timeouts = {
    connect: seconds * 1000,
    greeting: seconds * 1000,
    tls: seconds * 1000,
    command: seconds * 1000,
  };
  const localAddress = stringOpt(values, 'local-address') ?? env.IMAPKIT_LOCAL_ADDRESS;
  if (localAddress !== undefined && localAddress !== '') {
    if (isIP(localAddress) === 0) {
      const where =
        stringOpt(values, 'local-address') === undefined
          ? 'IMAPKIT_LOCAL_ADDRESS'
          : '--local-address';
      throw new UsageError(`${where} must be an IP address, not ${JSON.stringify(localAddress)}`);
    }
    options.localAddress = localAddress;
  }
  if (boolOpt(values, 'debug')) options.logger = debugLogger(io);

  const passwordFile = stringOpt(values, 'password-file') ?? env.IMAPKIT_PASSWORD_FILE;
  const argvPassword = stringOpt(values, 'password');
  const password = await obtainPassword(
    io,
    {
      user,
      host,
      ...(argvPassword === undefined ? {} : { argv: argvPassword }),
      ...(passwordFile === undefined || passwordFile === '' ? {} : { file: passwordFile }),
    },
    warn,
  );
  options.auth = { username: user, password };
  return options;
}
