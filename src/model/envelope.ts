/**
 * One address of an ENVELOPE (RFC 9051 7.5.2). Strings are the server's bytes
 * decoded as UTF-8; RFC 2047 encoded words are left as sent (the typed client
 * decodes them).
 */
export interface Address {
  /** The display name, or null. */
  name: string | null;
  /** Source route (obsolete, almost always null). */
  adl: string | null;
  /** The local part (before the `@`), or null. */
  mailbox: string | null;
  /** The domain (after the `@`), or null. */
  host: string | null;
  /**
   * `mailbox@host`, or the mailbox alone when there is no host; null when
   * neither (computed once, by the parser).
   */
  address: string | null;
}

/** An RFC 5322 group (`undisclosed-recipients: ;`) inside an address list. */
export interface AddressGroup {
  /** The group's display name, e.g. `undisclosed-recipients`. */
  group: string;
  /** The addresses in the group (possibly none). */
  members: Address[];
}

/**
 * An ENVELOPE fetch item (RFC 9051 7.5.2). Strings are the server's bytes as
 * UTF-8; a string whose bytes are not UTF-8 (a legacy 8-bit header such as
 * `Subject: caf\xe9`) is read as Latin-1, one code point per byte, so
 * `Buffer.from(s, 'latin1')` gives its bytes back. The same holds for
 * BODYSTRUCTURE parameter values and descriptions.
 */
export interface Envelope {
  /** The Date: header as sent (not parsed), or null. */
  date: string | null;
  /** The Subject: header, or null. */
  subject: string | null;
  /** From: addresses, or null. */
  from: Array<Address | AddressGroup> | null;
  /** Sender: addresses, or null (servers usually repeat From: when absent). */
  sender: Array<Address | AddressGroup> | null;
  /** Reply-To: addresses, or null (servers usually repeat From: when absent). */
  replyTo: Array<Address | AddressGroup> | null;
  /** To: addresses, or null. */
  to: Array<Address | AddressGroup> | null;
  /** Cc: addresses, or null. */
  cc: Array<Address | AddressGroup> | null;
  /** Bcc: addresses, or null. */
  bcc: Array<Address | AddressGroup> | null;
  /** The In-Reply-To: header as sent, or null. */
  inReplyTo: string | null;
  /** The Message-ID: header as sent (with its angle brackets), or null. */
  messageId: string | null;
}
