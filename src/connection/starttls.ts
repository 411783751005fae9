/**
 * STARTTLS (RFC 9051 6.2.1, RFC 2595) checks. The engine reads the server's
 * bytes line by line while STARTTLS is in flight, so it knows exactly which
 * bytes came after the tagged OK's CRLF: any such byte (in the same read, or
 * already buffered in the socket) was sent before the TLS handshake by
 * someone who could not have been the TLS peer — a command-injection attack
 * (CVE-2011-0411 style) — and the connection is closed with TLS_INJECTION.
 * After the handshake every pre-TLS state (capabilities, parser buffer) is
 * discarded and CAPABILITY is asked again.
 * @internal
 */
import { ImapConnectionError } from '../model/errors.js';
import type { TaggedResponse } from '../model/response.js';

/** The error for bytes received between the STARTTLS OK and the handshake. */
export function tlsInjectionError(bytes: number): ImapConnectionError {
  return new ImapConnectionError(
    'TLS_INJECTION',
    `the server sent ${bytes} byte(s) after the STARTTLS OK and before the TLS handshake ` +
      '(possible command injection); connection closed',
  );
}

/** The error for a server that does not offer STARTTLS when TLS is required. */
export function starttlsMissingError(): ImapConnectionError {
  return new ImapConnectionError(
    'TLS_REQUIRED',
    'the server does not offer STARTTLS and TLS is required; nothing was sent in the clear',
  );
}

/** The error for a server refusing STARTTLS. */
export function starttlsRefusedError(tagged: TaggedResponse, command: string): ImapConnectionError {
  return new ImapConnectionError(
    'TLS_REQUIRED',
    `the server refused STARTTLS (${tagged.status} ${tagged.text}) and TLS is required`,
    { command, serverText: tagged.text, responseCode: tagged.code },
  );
}

/** The error for a PREAUTH greeting when STARTTLS was required (RFC 9051 6.2.1: the client must close). */
export function preauthWithStarttlsError(): ImapConnectionError {
  return new ImapConnectionError(
    'TLS_REQUIRED',
    'the server greeted with PREAUTH, so STARTTLS is impossible and TLS is required; connection closed',
  );
}
