import type { Envelope } from './envelope.js';

/**
 * A value of unknown meaning kept as sent: an atom or number is a string, a
 * quoted string or literal a Buffer, NIL null, a parenthesised list an array.
 */
export type RawValue = string | Buffer | null | RawValue[];

/** Content-Disposition as given in BODYSTRUCTURE extension data. */
export interface Disposition {
  /** Lower-cased, e.g. 'attachment'. */
  type: string;
  /** Parameter names lower-cased. */
  params: Map<string, string>;
}

/** Fields common to every body part. */
interface BodyPartBase {
  /** The part's section number, e.g. '1.2' ('' for a top-level multipart, '1' for a single-part message). */
  part: string;
  /** Lower-cased MIME subtype, e.g. 'plain'. */
  subtype: string;
  /** Content-Type parameters, names lower-cased (`charset`, `name`, `boundary`, ...). */
  params: Map<string, string>;
  /** Extension data (BODYSTRUCTURE only); null or undefined when absent. */
  disposition?: Disposition | null;
  /** Content-Language tags (extension data); null or undefined when absent. */
  language?: string[] | null;
  /** Content-Location URI (extension data); null or undefined when absent. */
  location?: string | null;
  /** Further extension values the server sent that no RFC defines yet. */
  extensions?: RawValue[];
}

/** A non-multipart part (RFC 9051 7.5.2 body-type-1part). */
export interface SinglePart extends BodyPartBase {
  /** Lower-cased MIME type, e.g. 'text', 'image', 'message'. */
  type: string;
  /** Content-ID, e.g. `<part1@example.com>`, or null. */
  id: string | null;
  /** Content-Description, or null. */
  description: string | null;
  /** Lower-cased Content-Transfer-Encoding, e.g. '7bit', 'base64'. */
  encoding: string;
  /** Size in octets of the encoded body (read up to 2^53-1). */
  size: number;
  /** text/* and message/rfc822: lines of the encoded body (read up to 2^53-1). */
  lines?: number;
  /** message/rfc822 (and message/global): the inner message's envelope and structure. */
  envelope?: Envelope;
  /** message/rfc822 (and message/global): the inner message's structure. */
  body?: BodyStructure;
  /** Content-MD5 (extension data); null or undefined when absent. */
  md5?: string | null;
}

/** A multipart part (RFC 9051 7.5.2 body-type-mpart). */
export interface MultiPart extends BodyPartBase {
  /** Always `'multipart'`; the subtype (`mixed`, `alternative`, ...) is in `subtype`. */
  type: 'multipart';
  /** The parts, in order. */
  childNodes: BodyStructure[];
}

/** BODY or BODYSTRUCTURE. */
export type BodyStructure = SinglePart | MultiPart;
