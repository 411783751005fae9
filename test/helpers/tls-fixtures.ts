/**
 * A test-only self-signed certificate for `localhost` and `127.0.0.1`
 * (test/fixtures/tls, valid 2000-2126, CA:TRUE so it can be its own trust
 * anchor). Never use it for anything but tests: the private key is public.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConnectionOptions, TlsOptions } from 'node:tls';

const dir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

/** The PEM certificate (also the CA to trust). */
export const TEST_CERT: Buffer = readFileSync(dir + 'cert.pem');

/** The PEM private key of {@link TEST_CERT}. */
export const TEST_KEY: Buffer = readFileSync(dir + 'key.pem');

/** Options for a TLS server presenting the test certificate. */
export function tlsServerOptions(): TlsOptions {
  return { key: TEST_KEY, cert: TEST_CERT };
}

/** Client options trusting only the test certificate (verification stays on). */
export function tlsClientOptions(): ConnectionOptions {
  return { ca: TEST_CERT, servername: 'localhost' };
}
