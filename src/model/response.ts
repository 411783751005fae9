import type { BodyStructure, RawValue } from './body-structure.js';
import type { Envelope } from './envelope.js';
import type { ResponseCode } from './response-code.js';
import type { SequenceSet } from './sequence-set.js';

/**
 * A literal too large to buffer (over the parser's streaming threshold): its
 * bytes went to the literal sink the parser was given, not into the value.
 */
export interface StreamedLiteral {
  readonly streamed: true;
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
  data: SectionData;
}

/**
 * The items of one FETCH response (RFC 9051 7.5.2 and extensions). Only items
 * the server sent are present.
 */
export interface FetchAttributes {
  uid?: number;
  flags?: string[];
  /** INTERNALDATE as sent (`17-Jul-1996 02:44:25 -0700`). */
  internalDate?: string;
  rfc822Size?: number;
  envelope?: Envelope;
  /** BODY (no extension data). */
  body?: BodyStructure;
  bodyStructure?: BodyStructure;
  /**
   * Body sections keyed by their canonical name without origin:
   * `BODY[]`, `BODY[1.2]`, `BODY[HEADER.FIELDS (SUBJECT)]`, `BINARY[1]`,
   * `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`.
   */
  sections?: Map<string, FetchedSection>;
  /** BINARY.SIZE[section], keyed by section (`1`, '' for the whole). */
  binarySize?: Map<string, number>;
  /** CONDSTORE MODSEQ (RFC 7162). */
  modseq?: bigint;
  /** OBJECTID (RFC 8474). */
  emailId?: string;
  threadId?: string | null;
  /** SAVEDATE (RFC 8514), as sent; null when the server has none. */
  saveDate?: string | null;
  /** PREVIEW (RFC 8970). */
  preview?: string | null;
  /** Gmail X-GM-EXT-1. */
  gmMsgId?: bigint;
  gmThrId?: bigint;
  gmLabels?: string[];
  /** Items this parser does not know, by upper-cased name, values kept raw. */
  other?: Map<string, RawValue>;
}

/** A node of a THREAD response (RFC 5256): a message and its replies. */
export interface ThreadNode {
  /** Sequence number or UID; null for a missing parent that only groups its children. */
  id: number | null;
  children: ThreadNode[];
}

/** One entry of a NAMESPACE response (RFC 2342). */
export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
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

interface ResponseBase {
  raw?: RawFraming;
}

/** `tag OK|NO|BAD [code] text` — the end of a command. */
export interface TaggedResponse extends ResponseBase {
  kind: 'tagged';
  tag: string;
  status: 'OK' | 'NO' | 'BAD';
  code: ResponseCode | null;
  text: string;
}

/** `+ text` or `+ base64` — the server waits for more from the client. */
export interface ContinuationResponse extends ResponseBase {
  kind: 'continuation';
  code: ResponseCode | null;
  /** The text after `+ ` (base64 for AUTHENTICATE challenges); '' when none. */
  text: string;
}

/** Untagged responses, discriminated by `name`. */
export type UntaggedResponse = ResponseBase &
  (
    | {
        kind: 'untagged';
        name: 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';
        code: ResponseCode | null;
        text: string;
      }
    | { kind: 'untagged'; name: 'CAPABILITY' | 'ENABLED'; capabilities: string[] }
    | {
        kind: 'untagged';
        name: 'LIST' | 'LSUB';
        /** Attributes as sent, e.g. `\HasNoChildren`, `\Sent`. */
        attributes: string[];
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
        mailbox: string;
        /** Items by upper-cased name: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, RECENT, DELETED, SIZE, APPENDLIMIT (number) or HIGHESTMODSEQ (bigint); MAILBOXID is a string; APPENDLIMIT NIL is null. */
        items: Map<string, number | bigint | string | null>;
      }
    | { kind: 'untagged'; name: 'FLAGS'; flags: string[] }
    | { kind: 'untagged'; name: 'EXISTS' | 'RECENT' | 'EXPUNGE'; number: number }
    | { kind: 'untagged'; name: 'VANISHED'; earlier: boolean; uids: SequenceSet }
    | {
        kind: 'untagged';
        name: 'SEARCH' | 'SORT';
        numbers: number[];
        /** `(MODSEQ n)` at the end of a CONDSTORE search. */
        modseq: bigint | null;
      }
    | {
        kind: 'untagged';
        name: 'ESEARCH';
        /** The command tag from `(TAG "a1")`, or null. */
        tag: string | null;
        uid: boolean;
        min?: number;
        max?: number;
        count?: number;
        all?: SequenceSet;
        modseq?: bigint;
        /** PARTIAL (RFC 9394): the range asked for and the matching numbers (null when none). */
        partial?: { range: string; set: SequenceSet | null };
        other: Map<string, RawValue>;
      }
    | { kind: 'untagged'; name: 'THREAD'; threads: ThreadNode[] }
    | {
        kind: 'untagged';
        name: 'NAMESPACE';
        personal: NamespaceEntry[] | null;
        otherUsers: NamespaceEntry[] | null;
        shared: NamespaceEntry[] | null;
      }
    | { kind: 'untagged'; name: 'ID'; params: Map<string, string | null> | null }
    | {
        kind: 'untagged';
        name: 'QUOTA';
        root: string;
        /** Resource name upper-cased (STORAGE, MESSAGE, ...) → usage and limit. */
        resources: Map<string, { usage: bigint; limit: bigint }>;
      }
    | { kind: 'untagged'; name: 'QUOTAROOT'; mailbox: string; roots: string[] }
    | { kind: 'untagged'; name: 'ACL'; mailbox: string; rights: Map<string, string> }
    | {
        kind: 'untagged';
        name: 'LISTRIGHTS';
        mailbox: string;
        identifier: string;
        required: string;
        optional: string[];
      }
    | { kind: 'untagged'; name: 'MYRIGHTS'; mailbox: string; rights: string }
    | {
        kind: 'untagged';
        name: 'METADATA';
        mailbox: string;
        /** Entry → value (null for NIL); for an unsolicited change notice, entries with no values are keys with value undefined. */
        entries: Map<string, Buffer | null | undefined>;
      }
    | { kind: 'untagged'; name: 'FETCH'; seq: number; attributes: FetchAttributes }
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

/** Narrow an untagged response type by its name. */
export type UntaggedOf<N extends UntaggedResponse['name']> = UntaggedResponse extends infer R
  ? R extends { name: infer M }
    ? N extends M
      ? R
      : never
    : never
  : never;
