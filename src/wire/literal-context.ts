/**
 * What a FETCH response said before one of its literals is streamed: the
 * items ahead of it in {@link LiteralStartInfo.prefix}, parsed on their own
 * (e.g. the BODYSTRUCTURE of `FETCH (BODYSTRUCTURE BODY.PEEK[2])`, needed
 * before the part's bytes flow).
 */
import type { FetchAttributes } from '../model/response.js';
import { ResponseParser } from './parser.js';
import type { LiteralStartInfo, ParserLimits } from './parser-options.js';

const CLOSE = Buffer.from(')\r\n', 'latin1');

/**
 * The FETCH items `info`'s response sent before the literal's own item,
 * or null when there is no such FETCH prefix or it does not parse (the
 * caller then goes without them).
 */
export function attributesBeforeLiteral(
  info: LiteralStartInfo,
  limits: ParserLimits = {},
): FetchAttributes | null {
  if ((info.name !== 'FETCH' && info.name !== 'UIDFETCH') || info.item === null) return null;
  // The literal's item is the last one in the prefix: `... BODY[2] {1234}`.
  const cut = lastItemStart(info.prefix.toString('latin1'), info.item);
  if (cut === -1) return null;
  let found: FetchAttributes | null = null;
  const parser = new ResponseParser({
    ...limits,
    onResponse: (r) => {
      if (r.kind === 'untagged' && (r.name === 'FETCH' || r.name === 'UIDFETCH')) {
        found = r.attributes;
      }
    },
  });
  try {
    parser.push(Buffer.concat([info.prefix.subarray(0, cut), CLOSE]));
  } catch {
    return null;
  }
  return found;
}

/**
 * Where the items before the last ` BODY[` (the family of canonical
 * `item`, any case) end in `text`: at its space, or after the `(` when it
 * is the first item; -1 when it is not there.
 */
function lastItemStart(text: string, item: string): number {
  const bracket = item.indexOf('[');
  const head = bracket === -1 ? item : item.slice(0, bracket + 1);
  const re = new RegExp('[ (]' + head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  let last = -1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    last = text[m.index] === '(' ? m.index + 1 : m.index;
  }
  return last;
}
