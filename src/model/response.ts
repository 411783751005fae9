import type { BodyStructure, RawValue } from './body-structure.js';
import type { Envelope } from './envelope.js';
import type { ResponseCode } from './response-code.js';
import type { SequenceSet } from './sequence-set.js';

/**
 * A literal too large to buffer (over the parser's streaming threshold): its
 * bytes went to the literal sink the parser was given, not into the value.
 */
export interface StreamedLiteral {
  /** Always true: marks the value as streamed rather than buffered. */
  readonly streamed: true;
  /** The literal's size in bytes, as announced by its `{n}` header. */
  readonly size: number;
}

/** The bytes of a body section: a Buffer, NIL (null), or a streamed literal. */
export type SectionData = Buffer | null | StreamedLiteral;

/** One BODY[...] / BINARY[...] / RFC822.* item of a FETCH response. */
export interface FetchedSection {
  /** `BODY`, `BINARY`, `RFC822`, `RFC822.HEADER` or `RFC822.TEXT`. */
  item: 'BODY' | 'BINARY' | 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT';
  /** The section spec between the brackets, upper-cased with single spaces (e.g. `1.2.MIME`, `HEADER.FIELDS (SUBJECT FROM)`), '' for the whole message. */
  section: string;
  /** `<origin>` when the server sent a partial, else null. */
  origin: number | null;
  /** The section's bytes; null for NIL; a {@link StreamedLiteral} when handed to the literal sink. */
  data: SectionData;
}

/**
 * The items of one FETCH response (RFC 9051 7.5.2 and extensions). Only items
 * the server sent are present.
 */
export interface FetchAttributes {
  /** UID of the message. */
  uid?: number;
  /** FLAGS as sent: system flags with their backslash (`\Seen`) and keywords. */
  flags?: string[];
  /** INTERNALDATE as sent (`17-Jul-1996 02:44:25 -0700`). */
  internalDate?: string;
  /**
   * RFC822.SIZE: the message's size in bytes (a number64 in RFC 9051; read up
   * to 2^53-1, so sizes over 4 GiB are exact). A larger value is not a parse
   * error: it is left out here and kept as its text in `other`
   * (`other.get('RFC822.SIZE')`).
   */
  rfc822Size?: number;
  /** ENVELOPE: the parsed header fields. */
  envelope?: Envelope;
  /** BODY (no extension data). */
  body?: BodyStructure;
  /** BODYSTRUCTURE (with extension data). */
  bodyStructure?: BodyStructure;
  /**
   * Body sections keyed by their canonical name: `BODY[]`, `BODY[1.2]`,
   * `BODY[HEADER.FIELDS (SUBJECT)]`, `BINARY[1]`, `RFC822`, `RFC822.HEADER`,
   * `RFC822.TEXT`; a partial range with its origin as sent (`BODY[1]<0>`,
   * `BODY[]<1024>`), so two ranges of one section are both kept.
   */
  sections?: Map<string, FetchedSection>;
  /**
   * BINARY.SIZE[section], keyed by section (`1`, '' for the whole); read up
   * to 2^53-1. A larger value (Dovecot 2.3 sends some quoted-printable
   * parts' sizes as negative numbers wrapped to 64 bits,
   * `18446744073709534636`) is left out here and kept as its text in
   * `other` under `BINARY.SIZE[section]`.
   */
  binarySize?: Map<string, number>;
  /** CONDSTORE MODSEQ (RFC 7162). */
  modseq?: bigint;
  /** OBJECTID (RFC 8474). */
  emailId?: string;
  /** THREADID (RFC 8474); null when the server sent NIL. */
  threadId?: string | null;
  /** SAVEDATE (RFC 8514), as sent; null when the server has none. */
  saveDate?: string | null;
  /** PREVIEW (RFC 8970). */
  preview?: string | null;
  /** Gmail X-GM-EXT-1. */
  gmMsgId?: bigint;
  /** Gmail X-GM-THRID: the thread id. */
  gmThrId?: bigint;
  /** Gmail X-GM-LABELS, as sent (system labels keep their backslash, e.g. `\Inbox`). */
  gmLabels?: string[];
  /**
   * Items this parser does not know, by upper-cased name, values kept raw;
   * also RFC822.SIZE and BINARY.SIZE values too large to hold exactly (the
   * digits as a string).
   */
  other?: Map<string, RawValue>;
}

/** A PARTIAL result (RFC 9394, RFC 5267): the range asked for and the matches in it. */
export interface PartialResult {
  /** The range as the server returned it, e.g. `1:100` or `-1:-50`. */
  range: string;
  /** The matching numbers in that range, or null when none. */
  set: SequenceSet | null;
}

/** A node of a THREAD response (RFC 5256): a message and its replies. */
export interface ThreadNode {
  /** Sequence number or UID; null for a missing parent that only groups its children. */
  id: number | null;
  /** The replies, each a node of its own; empty for a leaf. */
  children: ThreadNode[];
}

/** One entry of a NAMESPACE response (RFC 2342). */
export interface NamespaceEntry {
  /** The prefix of the namespace's mailbox names (e.g. `''`, `INBOX.`, `#shared/`). */
  prefix: string;
  /** The hierarchy delimiter, or null for a flat namespace (NIL). */
  delimiter: string | null;
  /** Namespace response extensions (RFC 2342 / 9051): name → values. */
  extensions: Map<string, string[]>;
}

/** The raw framing of a response, kept only when the parser is asked to (`keepRaw`). */
export interface RawFraming {
  /**
   * Alternating text and literal pieces: `[text, literal, text, ...]`, always
   * starting and ending with text. Text excludes the final CRLF and includes
   * each literal's `{n}` header; literals are their bytes (empty for streamed).
   */
  pieces: Buffer[];
}

/** What every response has. */
interface ResponseBase {
  /** The response's bytes as framed, present only with the parser option `keepRaw`. */
  raw?: RawFraming;
}

/** `tag OK|NO|BAD [code] text` — the end of a command. */
export interface TaggedResponse extends ResponseBase {
  /** Always `'tagged'`. */
  kind: 'tagged';
  /** The tag of the command it completes. */
  tag: string;
  /** OK: done; NO: the command failed; BAD: the command was not understood. */
  status: 'OK' | 'NO' | 'BAD';
  /** The response code in brackets, or null. */
  code: ResponseCode | null;
  /** The human-readable text after the code; '' when none. */
  text: string;
}

/** `+ text` or `+ base64` — the server waits for more from the client. */
export interface ContinuationResponse extends ResponseBase {
  /** Always `'continuation'`. */
  kind: 'continuation';
  /** A response code in brackets, or null. */
  code: ResponseCode | null;
  /** The text after `+ ` (base64 for AUTHENTICATE challenges); '' when none. */
  text: string;
}

/**
 * One change to a search or sort context (RFC 5267 4.3): `ADDTO (position
 * set)` or `REMOVEFROM (position set)`. The set is in the context's order (a
 * sort context's order, so it may descend); each range in it counts upwards
 * (RFC 5267 3.2: `12:10` is 10, 11, 12).
 */
export interface ContextUpdate {
  /** ADDTO: the messages joined the result; REMOVEFROM: they left it. */
  op: 'ADDTO' | 'REMOVEFROM';
  /**
   * Where in the result (1 = first): ADDTO inserts the set so its first
   * member lands at this position; REMOVEFROM removes the set starting at
   * it. 0 (only for SEARCH contexts): wherever they belong in mailbox order
   * / wherever they are.
   */
  position: number;
  /** The sequence numbers or UIDs added or removed. */
  set: SequenceSet;
}

/** Untagged responses, discriminated by `name`. */
export type UntaggedResponse = ResponseBase &
  (
    | {
        kind: 'untagged';
        name: 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';
        /** The response code in brackets, or null. */
        code: ResponseCode | null;
        /** The human-readable text; '' when none. */
        text: string;
      }
    | {
        kind: 'untagged';
        name: 'CAPABILITY' | 'ENABLED';
        /** Capability or extension names as sent (e.g. `IMAP4rev1`, `AUTH=PLAIN`). */
        capabilities: string[];
      }
    | {
        kind: 'untagged';
        name: 'LIST' | 'LSUB';
        /** Attributes as sent, e.g. `\HasNoChildren`, `\Sent`. */
        attributes: string[];
        /** The hierarchy delimiter, or null for a flat name space (NIL). */
        delimiter: string | null;
        /** The mailbox name as sent (modified UTF-7 unless UTF8=ACCEPT is enabled); INBOX in any case is `INBOX`. */
        mailbox: string;
        /** CHILDINFO (RFC 5258) subscription info, e.g. ['SUBSCRIBED']. */
        childInfo: string[] | null;
        /** OLDNAME (RFC 5465/9051) after a rename. */
        oldName: string | null;
        /** Other extended data items, tag upper-cased. */
        extended: Map<string, RawValue>;
      }
    | {
        kind: 'untagged';
        name: 'STATUS';
        /** The mailbox name as sent. */
        mailbox: string;
        /** Items by upper-cased name: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, RECENT, DELETED, SIZE, APPENDLIMIT (number) or HIGHESTMODSEQ (bigint); MAILBOXID is a string; APPENDLIMIT NIL is null. */
        items: Map<string, number | bigint | string | null>;
      }
    | {
        kind: 'untagged';
        name: 'FLAGS';
        /** The flags defined in the mailbox. */
        flags: string[];
      }
    | {
        kind: 'untagged';
        name: 'EXISTS' | 'RECENT' | 'EXPUNGE';
        /** The message count (EXISTS, RECENT) or the expunged message's sequence number (EXPUNGE). */
        number: number;
      }
    | {
        kind: 'untagged';
        name: 'VANISHED';
        /** True for `VANISHED (EARLIER)`: UIDs expunged before this session, not just now (RFC 7162). */
        earlier: boolean;
        /** The expunged UIDs. */
        uids: SequenceSet;
      }
    | {
        kind: 'untagged';
        name: 'SEARCH' | 'SORT';
        /** The matching sequence numbers or UIDs, in the server's order. */
        numbers: number[];
        /** `(MODSEQ n)` at the end of a CONDSTORE search. */
        modseq: bigint | null;
      }
    | {
        kind: 'untagged';
        name: 'ESEARCH';
        /** The command tag from `(TAG "a1")`, or null. */
        tag: string | null;
        /** True when the numbers are UIDs (the `UID` marker). */
        uid: boolean;
        /** MIN: the lowest matching number. */
        min?: number;
        /** MAX: the highest matching number. */
        max?: number;
        /** COUNT: how many messages match. */
        count?: number;
        /** ALL: the matching numbers, as a set of ranges. */
        all?: SequenceSet;
        /** MODSEQ (RFC 7162): the highest mod-sequence of the matches. */
        modseq?: bigint;
        /** PARTIAL (RFC 9394): the range asked for and the matching numbers (null when none). */
        partial?: PartialResult;
        /**
         * ADDTO and REMOVEFROM (RFC 5267 4.3.3, 4.3.4): changes to a search
         * or sort context, one entry per (position, set) pair, in the order
         * sent, which is the order they must be applied in (RFC 5267 4.3.2).
         */
        updates?: ContextUpdate[];
        /** Return data this parser does not know, by upper-cased name, values kept raw. */
        other: Map<string, RawValue>;
      }
    | {
        kind: 'untagged';
        name: 'THREAD';
        /** The threads, each a root node. */
        threads: ThreadNode[];
      }
    | {
        kind: 'untagged';
        name: 'NAMESPACE';
        /** The user's own namespaces, or null (NIL). */
        personal: NamespaceEntry[] | null;
        /** Other users' namespaces, or null (NIL). */
        otherUsers: NamespaceEntry[] | null;
        /** Shared namespaces, or null (NIL). */
        shared: NamespaceEntry[] | null;
      }
    | {
        kind: 'untagged';
        name: 'ID';
        /** The server's ID fields (RFC 2971), name → value; null when it sent NIL. */
        params: Map<string, string | null> | null;
      }
    | {
        kind: 'untagged';
        name: 'QUOTA';
        /** The quota root's name. */
        root: string;
        /** Resource name upper-cased (STORAGE, MESSAGE, ...) → usage and limit. */
        resources: Map<
          string,
          {
            /** Current usage (STORAGE in units of 1024 octets, MESSAGE in messages). */
            usage: bigint;
            /** The limit, in the same unit. */
            limit: bigint;
          }
        >;
      }
    | {
        kind: 'untagged';
        name: 'QUOTAROOT';
        /** The mailbox asked about. */
        mailbox: string;
        /** Its quota roots' names (possibly none). */
        roots: string[];
      }
    | {
        kind: 'untagged';
        name: 'ACL';
        /** The mailbox name as sent. */
        mailbox: string;
        /** Identifier → rights string (RFC 4314), e.g. `anyone` → `lr`. */
        rights: Map<string, string>;
      }
    | {
        kind: 'untagged';
        name: 'LISTRIGHTS';
        /** The mailbox name as sent. */
        mailbox: string;
        /** The identifier asked about. */
        identifier: string;
        /** The rights always granted to it (may be ''). */
        required: string;
        /** The rights that may be granted, each group granted together. */
        optional: string[];
      }
    | {
        kind: 'untagged';
        name: 'MYRIGHTS';
        /** The mailbox name as sent. */
        mailbox: string;
        /** The rights the logged-in user has on it (RFC 4314). */
        rights: string;
      }
    | {
        kind: 'untagged';
        name: 'METADATA';
        /** The mailbox name as sent; '' for server annotations. */
        mailbox: string;
        /** Entry → value (null for NIL); for an unsolicited change notice, entries with no values are keys with value undefined. */
        entries: Map<string, Buffer | null | undefined>;
      }
    | {
        kind: 'untagged';
        /** `* JMAPACCESS url`: the answer to GETJMAPACCESS (RFC 9698, capability JMAPACCESS). */
        name: 'JMAPACCESS';
        /** The JMAP session resource's URL, as sent. */
        url: string;
      }
    | {
        kind: 'untagged';
        name: 'FETCH';
        /** The message's sequence number. */
        seq: number;
        /** The data items sent. */
        attributes: FetchAttributes;
      }
    | {
        kind: 'untagged';
        /**
         * `* uid UIDFETCH (...)`: a FETCH response that names its message by
         * UID, sent instead of FETCH once UIDONLY is enabled (RFC 9586,
         * capability UIDONLY). Commands and listeners that take FETCH data
         * take it too.
         */
        name: 'UIDFETCH';
        /** The message's UID (also in `attributes.uid`). */
        uid: number;
        /** The data items sent, with `uid` always set. */
        attributes: FetchAttributes;
      }
    | {
        kind: 'untagged';
        name: 'OTHER';
        /** The response's name as sent (upper-cased), e.g. `XLIST` or `GOOGLE-X`. */
        atom: string;
        /** The number before the name, if any (`* 5 FOO`). */
        number: number | null;
        /** The rest of the line parsed as generic values. */
        data: RawValue[];
      }
  );

/** Any server response. */
export type Response = TaggedResponse | ContinuationResponse | UntaggedResponse;

/**
 * FETCH data about one message: a FETCH response, or its UIDFETCH form once
 * UIDONLY is enabled (RFC 9586), which names the message by UID only.
 */
export type FetchDataResponse = Extract<UntaggedResponse, { name: 'FETCH' | 'UIDFETCH' }>;

/** Narrow an untagged response type by its name. */
export type UntaggedOf<N extends UntaggedResponse['name']> = UntaggedResponse extends infer R
  ? R extends { name: infer M }
    ? N extends M
      ? R
      : never
    : never
  : never;
