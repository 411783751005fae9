/**
 * Streaming downloads of one message or body part, with what the body
 * structure says about it (type, charset, file name), in one round trip:
 * `UID FETCH n (BODYSTRUCTURE BODY.PEEK[part])` (or BINARY.PEEK), whose
 * literal flows from the socket into the caller's stream with back-pressure
 * — no chunked partial fetches. The structure comes ahead of the part (in
 * the order asked) and is parsed when the literal starts; a server that
 * sent it after the part would leave the meta without it rather than have
 * the part buffered.
 *
 * One command, not a BODYSTRUCTURE FETCH pipelined with the content FETCH:
 * with two in flight a read pause cannot hold (it only holds while its
 * command is alone in flight), and Dovecot, which runs pipelined FETCHes
 * side by side, completes the first only after the second's data.
 * @internal
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import { fetchStream, type FetchStreamOptions } from '../commands/fetch.js';
import type { CommandContext } from '../connection/types.js';
import type { BodyStructure } from '../model/body-structure.js';
import { ImapArgumentError, ImapProtocolError } from '../model/errors.js';
import { decodeCharset } from '../wire/charset.js';
import { decodeEncodedWords } from '../wire/encoded-words.js';

/** What is known about downloaded content. */
export interface DownloadMeta {
  /**
   * Bytes in `content` (as announced by the server; with `maxBytes`, at
   * most `maxBytes`).
   */
  size: number;
  /**
   * True when `maxBytes` cut the section: it has more bytes than `content`
   * holds. Always known exactly, also where the section's size is not (a
   * decoded BINARY section, a `TEXT` or `HEADER` section): the client asks
   * for `maxBytes + 1` bytes and keeps `maxBytes`. False without `maxBytes`.
   */
  truncated: boolean;
  /**
   * `type/subtype`, lower-cased: the part's, when the body structure
   * describes it; `message/rfc822` for the whole message (`''`: the stored
   * message, headers and body); `text/rfc822-headers` for a header section
   * (`HEADER`, `HEADER.FIELDS (...)`, `n.MIME`...); for `TEXT` (or `n.TEXT`)
   * the type of that message's body.
   */
  contentType?: string;
  /** The `charset` parameter, when present. */
  charset?: string;
  /** The file name (Content-Disposition `filename`, else Content-Type `name`), RFC 2231/2047 decoded. */
  filename?: string;
  /**
   * How the bytes of `content` are encoded, when they are as stored: the
   * part's (or, for `TEXT`, the message body's) Content-Transfer-Encoding
   * (`base64`, `quoted-printable`...). Absent for the whole message and
   * header sections (not transfer-encoded as a unit: the headers are text,
   * and the body's encoding is in its headers) and for multiparts.
   */
  encoding?: string;
  /** True when the server decoded the transfer encoding (BINARY, RFC 3516): `content` is the raw data. */
  decoded: boolean;
}

/** A download: its meta data and its bytes as they arrive. */
export interface DownloadResult {
  /** What is known of the part before its bytes: type, size, encoding, file name. */
  meta: DownloadMeta;
  /**
   * The bytes, streamed from the socket (back-pressure pauses the
   * connection's reading). Chunks may be views into the connection's 64 KiB
   * read buffers (as {@link fetchStream}'s): copy those you keep.
   */
  content: Readable;
}

/** Options of {@link ImapClient.download}. */
export interface DownloadOptions {
  /** `id` is a UID (default true); false: a sequence number. */
  uid?: boolean;
  /**
   * Ask the server to undo the transfer encoding (BINARY.PEEK, RFC 3516)
   * when it has BINARY and the section is a single part (default true);
   * when the server refuses (e.g. `[UNKNOWN-CTE]`), the encoded bytes are
   * returned instead (`meta.decoded` false).
   */
  decode?: boolean;
  /** Set `\Seen` (default false). */
  markSeen?: boolean;
  /** Cancels the download. */
  signal?: AbortSignal;
  /** Bytes the stream buffers before the connection stops reading (default 1 MiB). */
  highWaterMark?: number;
  /**
   * At most this many bytes (a positive integer) of the section: the first
   * `maxBytes` bytes of the stored section (a partial FETCH, `BODY.PEEK[part]<0.n>`),
   * or of the decoded bytes when the server decodes (`BINARY.PEEK[part]<0.n>`).
   * `meta.truncated` says whether the section was longer.
   */
  maxBytes?: number;
}

const PART_NUMBER = /^[1-9][0-9]*(?:\.[1-9][0-9]*)*$/;

/** The body part numbered `part` ('' for the whole message), or null. */
export function findPart(structure: BodyStructure, part: string): BodyStructure | null {
  if (part === '') return structure;
  if (structure.part === part) return structure;
  if ('childNodes' in structure) {
    for (const child of structure.childNodes) {
      const found = findPart(child, part);
      if (found !== null) return found;
    }
    return null;
  }
  return structure.body === undefined ? null : findPart(structure.body, part);
}

/** A `%XX` escape, or a run of other characters (kept whole: never split inside a surrogate pair). */
const PERCENT_TOKEN = /%([0-9A-Fa-f]{2})|[^%]+|%/g;

/**
 * Percent-decodes RFC 2231 `extended-other-values` into bytes; characters
 * that are not escapes (raw UTF-8 as RFC 6532 allows) are encoded as UTF-8.
 */
function percentBytes(encoded: string, out: number[]): void {
  for (const m of encoded.matchAll(PERCENT_TOKEN)) {
    if (m[1] !== undefined) out.push(parseInt(m[1], 16));
    else for (const b of Buffer.from(m[0], 'utf8')) out.push(b);
  }
}

/** Splits `charset'language'rest` (the first segment of an extended value). */
function splitCharset(value: string): { charset: string; rest: string } {
  const m = /^([^']*)'[^']*'(.*)$/s.exec(value);
  return m === null ? { charset: 'utf-8', rest: value } : { charset: m[1] || 'utf-8', rest: m[2]! };
}

function decodeBytes(bytes: number[], charset: string): string {
  const buf = Buffer.from(bytes);
  return decodeCharset(buf, charset) ?? buf.toString('utf8');
}

/**
 * A MIME parameter, lower-case `name`: plain (`name`, RFC 2047 words
 * decoded), extended (`name*`), or continued (`name*0`, `name*1*`, ...;
 * RFC 2231 3-4: only `*`-marked segments are percent-decoded).
 */
export function mimeParam(params: ReadonlyMap<string, string>, name: string): string | undefined {
  const extended = params.get(`${name}*`);
  if (extended !== undefined) {
    const { charset, rest } = splitCharset(extended);
    const bytes: number[] = [];
    percentBytes(rest, bytes);
    return decodeBytes(bytes, charset);
  }
  if (params.has(`${name}*0`) || params.has(`${name}*0*`)) {
    const bytes: number[] = [];
    let charset = 'utf-8';
    for (let i = 0; ; i++) {
      let enc = params.get(`${name}*${i}*`);
      const plain = params.get(`${name}*${i}`);
      if (enc !== undefined) {
        if (i === 0) {
          const split = splitCharset(enc);
          charset = split.charset;
          enc = split.rest;
        }
        percentBytes(enc, bytes);
      } else if (plain !== undefined) {
        for (const b of Buffer.from(plain, 'utf8')) bytes.push(b);
      } else {
        break;
      }
    }
    return decodeBytes(bytes, charset);
  }
  const plain = params.get(name);
  return plain === undefined ? undefined : decodeEncodedWords(plain);
}

type SectionMeta = Omit<DownloadMeta, 'size' | 'truncated' | 'decoded'>;

/** A section text (`HEADER`, `HEADER.FIELDS (...)`, `TEXT`, `MIME`) after an optional part number. */
const SECTION_TEXT = /^(?:([1-9][0-9]*(?:\.[1-9][0-9]*)*)\.)?(HEADER|TEXT|MIME)(.*)$/is;

/**
 * Meta data of a section: the whole message (`''`) is `message/rfc822`
 * with no transfer encoding (its bytes are the stored message, headers and
 * encoded body); header sections (`HEADER`, `HEADER.FIELDS (...)`,
 * `n.MIME`...) are `text/rfc822-headers`; `TEXT` (or `n.TEXT` of a
 * message/rfc822 part) is the body of that message, described by its body
 * structure (bytes encoded as its Content-Transfer-Encoding says); a part
 * number is that part, from the body structure.
 */
export function partMeta(structure: BodyStructure | undefined, part: string): SectionMeta {
  if (part === '') return { contentType: 'message/rfc822' };
  const text = SECTION_TEXT.exec(part);
  if (text === null) {
    const node = structure === undefined ? null : findPart(structure, part);
    return node === null ? {} : nodeMeta(node);
  }
  if (text[2]!.toUpperCase() !== 'TEXT') return { contentType: 'text/rfc822-headers' };
  if (structure === undefined || text[3] !== '') return {};
  // The body of the top-level message, or of the message/rfc822 part numbered text[1].
  if (text[1] === undefined) return nodeMeta(structure);
  const node = findPart(structure, text[1]);
  return node !== null && 'body' in node && node.body !== undefined ? nodeMeta(node.body) : {};
}

/** Meta data of a body part from its body structure. */
function nodeMeta(node: BodyStructure): SectionMeta {
  const out: SectionMeta = {
    contentType: `${node.type}/${node.subtype}`,
  };
  const charset = node.params.get('charset');
  if (charset !== undefined) out.charset = charset;
  const filename =
    (node.disposition?.params === undefined
      ? undefined
      : mimeParam(node.disposition.params, 'filename')) ?? mimeParam(node.params, 'name');
  if (filename !== undefined) out.filename = filename;
  if (!('childNodes' in node)) out.encoding = node.encoding;
  return out;
}

/** The largest length a partial FETCH can ask for (a 32-bit number). */
const MAX_U32 = 0xffff_ffff;

/** Checks `maxBytes` (a positive integer) and returns it, or undefined when not given. */
function checkMaxBytes(maxBytes: unknown): number | undefined {
  if (maxBytes === undefined) return undefined;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ImapArgumentError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  return maxBytes;
}

/**
 * Passes the first `limit` bytes of `source` on and drops the rest, ending
 * when `source` ends (so the command has completed its literal); destroying
 * the result destroys `source`.
 */
function limitBytes(source: Readable, limit: number, highWaterMark: number | undefined): Readable {
  let left = limit;
  const cut = new Transform({
    ...(highWaterMark === undefined ? {} : { highWaterMark }),
    transform(chunk: Buffer, _encoding, callback) {
      if (left <= 0) return callback();
      const keep = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= keep.length;
      callback(null, keep);
    },
  });
  pipeline(source, cut, () => undefined);
  return cut;
}

/**
 * Downloads message `id` (a UID by default), or one of its sections
 * (`part`: `1`, `2.1`, `TEXT`, `HEADER`...; '' for the whole message), as
 * a stream, with meta data from its BODYSTRUCTURE. Rejects with
 * ImapArgumentError (code `ARGUMENT`) when there is no such message, or
 * no such part in its body structure.
 */
export async function download(
  ctx: CommandContext,
  id: number,
  part: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const maxBytes = checkMaxBytes(options.maxBytes);
  const uid = options.uid !== false;
  // A sequence number past the last message: the server would answer BAD.
  const exists = ctx.selected?.exists;
  if (!uid && Number.isInteger(id) && id <= 0xffffffff && exists !== undefined && id > exists) {
    throw new ImapArgumentError(`no message ${id} (the mailbox has ${exists} messages)`);
  }
  const binary = options.decode !== false && PART_NUMBER.test(part) && ctx.hasCapability('BINARY');
  const streamOptions: FetchStreamOptions = { uid, bodyStructure: true };
  if (options.markSeen === true) streamOptions.markSeen = true;
  if (options.signal !== undefined) streamOptions.signal = options.signal;
  if (options.highWaterMark !== undefined) streamOptions.highWaterMark = options.highWaterMark;
  // One byte more than wanted tells whether there is more (`truncated`).
  if (maxBytes !== undefined) {
    streamOptions.partial = { start: 0, length: Math.min(maxBytes + 1, MAX_U32) };
  }

  let stream;
  let decoded = binary;
  try {
    stream = await fetchStream(ctx, id, part, { ...streamOptions, binary });
  } catch (err) {
    // A part the server will not decode (RFC 3516 [UNKNOWN-CTE]): send it as stored.
    if (!binary || !(err instanceof ImapProtocolError)) throw err;
    stream = await fetchStream(ctx, id, part, streamOptions);
    decoded = false;
  }
  // A part the structure does not have: the server sends an empty (or NIL) section.
  const number = PART_NUMBER.test(part) ? part : SECTION_TEXT.exec(part)?.[1];
  const structure = stream.bodyStructure;
  if (number !== undefined && structure !== undefined && findPart(structure, number) === null) {
    stream.stream.destroy();
    throw new ImapArgumentError(
      `no part ${number} in message ${uid ? 'UID ' : ''}${id} (its body structure has no such part)`,
    );
  }
  const meta: DownloadMeta = {
    ...partMeta(structure, part),
    size: stream.size,
    truncated: false,
    decoded,
  };
  if (maxBytes === undefined) return { meta, content: stream.stream };
  // A server that ignored the range, or sent the extra byte: keep maxBytes.
  meta.truncated = stream.size > maxBytes;
  meta.size = Math.min(stream.size, maxBytes);
  return {
    meta,
    content: meta.truncated
      ? limitBytes(stream.stream, maxBytes, options.highWaterMark)
      : stream.stream,
  };
}
