/**
 * `--sort` of `imapkit search`: comma-separated RFC 5256 sort keys, each
 * optionally prefixed with `-` for REVERSE (`-date,from`).
 */
import { commands } from '../index.js';
import { UsageError } from './errors.js';

type SortKey = commands.SortKey;
type SortCriterion = commands.SortCriterion;

/** The sort keys `--sort` accepts: every one (RFC 5256 3, RFC 5957). */
export const SORT_KEYS = commands.SORT_KEYS;

function isSortKey(word: string): word is SortKey {
  return (SORT_KEYS as readonly string[]).includes(word);
}

/**
 * Parses `--sort` text (`-date,from`, case-insensitive) into sort
 * criteria; an unknown or empty key is a usage error.
 */
export function parseSortKeys(text: string): SortCriterion[] {
  const criteria: SortCriterion[] = [];
  for (const item of text.split(',')) {
    const word = item.trim();
    const reverse = word.startsWith('-');
    const key = (reverse ? word.slice(1) : word).toUpperCase();
    if (!isSortKey(key)) {
      throw new UsageError(
        word === '' || key === ''
          ? `--sort: empty sort key in ${JSON.stringify(text)}`
          : `--sort: unknown sort key ${JSON.stringify(word)} (keys: ${SORT_KEYS.map((k) => k.toLowerCase()).join(', ')}; -KEY for descending)`,
      );
    }
    criteria.push(reverse ? { reverse: key } : key);
  }
  return criteria;
}
