/**
 * One address of an ENVELOPE (RFC 9051 7.5.2). Strings are the server's bytes
 * decoded as UTF-8; RFC 2047 encoded words are left as sent (the typed client
 * decodes them).
 */
export interface Address {
  name: string | null;
  /** Source route (obsolete, almost always null). */
  adl: string | null;
  mailbox: string | null;
  host: string | null;
  /**
   * `mailbox@host`, or the mailbox alone when there is no host; null when
   * neither (computed once, by the parser).
   */
  address: string | null;
}

/** An RFC 5322 group (`undisclosed-recipients: ;`) inside an address list. */
export interface AddressGroup {
  group: string;
  members: Address[];
}

/** An ENVELOPE fetch item (RFC 9051 7.5.2). */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Array<Address | AddressGroup> | null;
  sender: Array<Address | AddressGroup> | null;
  replyTo: Array<Address | AddressGroup> | null;
  to: Array<Address | AddressGroup> | null;
  cc: Array<Address | AddressGroup> | null;
  bcc: Array<Address | AddressGroup> | null;
  inReplyTo: string | null;
  messageId: string | null;
}
