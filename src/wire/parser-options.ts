import type { Response } from '../model/response.js';

/** Where the bytes of a streamed (large) literal go. */
export interface LiteralSink {
  /** Receives the next piece of the literal; pieces arrive in order, without copies where possible. */
  write(chunk: Buffer): void;
  /** The literal is complete. */
  end(): void;
}

/** What the parser knows about a large literal when it starts. */
export interface LiteralStartInfo {
  /** Announced size in bytes. */
  size: number;
  /** For `* n FETCH`: the message sequence number; else null. */
  seq: number | null;
  /** Upper-cased response name, e.g. 'FETCH'; null for tagged or unknown. */
  name: string | null;
  /** For FETCH and UIDFETCH (RFC 9586): the item that the literal is the value of, canonical (`BODY[1.2]`, `BINARY[]`, `RFC822`); else null. */
  item: string | null;
  /** The response's text so far (before the literal), for context. */
  prefix: Buffer;
}

/** Configurable limits; each exceeded one is an {@link ImapLimitError}. */
export interface ParserLimits {
  /**
   * Longest text of one response outside its buffered literals (default 8
   * MiB): of a line, and of a response's lines together (lines joined by
   * literals count as one text; literal bytes, buffered or streamed, do
   * not). See maxSearchLineLength for SEARCH, SORT, ESEARCH and VANISHED
   * results. Parsed text can take many times its size in memory (deeply
   * nested lists of tiny values: up to ~50×), which is what this bounds.
   */
  maxLineLength?: number;
  /**
   * Longest text of a `* SEARCH`, `* SORT`, `* ESEARCH` or `* VANISHED`
   * response (default 64 MiB; never below maxLineLength). Such a result is
   * one line of numbers: 1,000,000 UIDs of 7 digits are 8 MB, so the 1 MB of
   * Python imaplib's `_MAXLINE` (about 120,000 UIDs) is far too little for
   * large mailboxes, and ESORT's ALL (in sort order) or a sparse ESEARCH or
   * VANISHED set is as long. A SEARCH or SORT line takes at most 4× its
   * size in memory, a set of single numbers (`1,3,5,...`) about 10×. Only
   * numeric data gets this allowance: ESEARCH return data of an unknown
   * kind (parsed generically) longer than maxLineLength is an
   * ImapLimitError (`maxLineLength`). THREAD results keep maxLineLength
   * (their trees take more).
   */
  maxSearchLineLength?: number;
  /** Largest literal kept in memory (default 64 MiB); a larger one must be streamed or fails. */
  maxLiteralSize?: number;
  /** Deepest parenthesis nesting (default 64). */
  maxDepth?: number;
  /** Most bytes buffered for one response, text and literals (default 256 MiB). */
  maxResponseBytes?: number;
}

/** Options of the {@link ResponseParser}. */
export interface ParserOptions extends ParserLimits {
  /**
   * Literals larger than this many bytes (default: never) are offered to
   * `literalSink` instead of being buffered.
   */
  streamThreshold?: number;
  /** Called for each literal over the threshold; return a sink, or null to buffer it (subject to maxLiteralSize). */
  literalSink?: (info: LiteralStartInfo) => LiteralSink | null;
  /** Keep each response's raw framing (for the imaplib facade). Default false. */
  keepRaw?: boolean;
  /** Expect a greeting first (default false): the first response may be `* OK|PREAUTH|BYE` only. */
  greeting?: boolean;
  /**
   * Receive each response the moment it is complete, before the rest of the
   * chunk is parsed (push() then returns an empty array). A consumer whose
   * state decides where the next literal goes (e.g. a command completing just
   * before the next one's large literal) needs this ordering.
   */
  onResponse?: (response: Response) => void;
}
