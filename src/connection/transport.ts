/**
 * Opening the byte stream under a connection: plain TCP, implicit TLS, a
 * caller-given Duplex, and the STARTTLS upgrade of an open socket. Every wait
 * has a timeout; TLS certificates are verified unless the caller's TLS
 * options say otherwise.
 * @internal
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ImapConnectionError } from '../model/errors.js';
import { BatchedReader } from './reader.js';
import { timerDelay } from './timer-delay.js';
import type { Security } from './types.js';

/** Default timeouts (ms). */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;
/** Default TLS handshake timeout (ms). */
export const DEFAULT_TLS_TIMEOUT = 30_000;

/** What {@link openTransport} needs. */
export interface TransportOptions {
  host: string;
  port: number;
  security: Security;
  tls?: tls.ConnectionOptions | undefined;
  stream?: Duplex | undefined;
  localAddress?: string | undefined;
  connectTimeout: number;
  tlsTimeout: number;
}

/** An open transport. */
export interface Transport {
  socket: Duplex;
  /** TLS is on (implicit TLS). */
  secure: boolean;
  /**
   * Where the socket's bytes arrive, when it was opened with `onread` (TCP
   * and implicit TLS); absent (a caller's stream): read its 'data' events.
   */
  reader?: BatchedReader;
}

/** TLS options for a host: SNI only for names (never for IP addresses), identity checked against `host`. */
function tlsOptionsFor(
  host: string,
  extra: tls.ConnectionOptions | undefined,
): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { host, ...extra };
  if (options.servername === undefined && net.isIP(host) === 0) options.servername = host;
  return options;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Waits for `event` on `socket`, failing on 'error', 'close' or after
 * `timeoutMs`. On failure the socket is destroyed.
 */
function waitFor(
  socket: net.Socket,
  event: string,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const delay = timerDelay(timeoutMs);
    const timer =
      delay === null
        ? undefined
        : setTimeout(() => {
            cleanup();
            socket.destroy();
            reject(
              new ImapConnectionError(
                'CONNECTION_TIMEOUT',
                `${what} timed out after ${timeoutMs} ms`,
              ),
            );
          }, delay);
    timer?.unref?.();
    const onEvent = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(
        new ImapConnectionError('CONNECTION_FAILED', `${what} failed: ${describeError(err)}`, {
          cause: err,
        }),
      );
    };
    const onClose = (): void => {
      cleanup();
      reject(new ImapConnectionError('CONNECTION_FAILED', `${what} failed: connection closed`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.once(event, onEvent);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** Opens the transport described by `options` (TCP, TLS or the given stream). */
export async function openTransport(options: TransportOptions): Promise<Transport> {
  if (options.stream !== undefined) return { socket: options.stream, secure: false };
  const { host, port } = options;
  if (options.security === 'tls') {
    const reader = new BatchedReader();
    const connectOptions: tls.ConnectionOptions & net.ConnectOpts = {
      ...tlsOptionsFor(host, options.tls),
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      onread: reader.onread,
    };
    const socket = tls.connect(connectOptions);
    socket.setNoDelay(true);
    await waitFor(socket, 'connect', options.connectTimeout, `connecting to ${host}:${port}`);
    await waitFor(socket, 'secureConnect', options.tlsTimeout, `TLS handshake with ${host}`);
    return { socket, secure: true, reader };
  }
  const reader = new BatchedReader();
  const socket = net.connect({
    host,
    port,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    onread: reader.onread,
  });
  socket.setNoDelay(true);
  await waitFor(socket, 'connect', options.connectTimeout, `connecting to ${host}:${port}`);
  return { socket, secure: false, reader };
}

/**
 * Starts TLS on an open socket (STARTTLS, RFC 9051 6.2.1). The caller must
 * have stopped reading from `socket`; the certificate is verified against
 * `host` unless the TLS options say otherwise.
 */
export async function upgradeToTls(
  socket: Duplex,
  host: string,
  extra: tls.ConnectionOptions | undefined,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  const secure = tls.connect({ ...tlsOptionsFor(host, extra), socket });
  await waitFor(secure, 'secureConnect', timeoutMs, `TLS handshake with ${host}`);
  return secure;
}
