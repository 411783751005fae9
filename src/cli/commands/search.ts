/**
 * `imapkit search <mailbox> <criteria…>`: matching UIDs, or a summary table;
 * `--sort` orders them on the server (ESORT, else SORT); `--watch` keeps
 * the search live (CONTEXT=SEARCH).
 */
import { commands } from '../../index.js';
import { boolOpt, intOpt, stringOpt } from '../args.js';
import type { CommandSpec } from '../command.js';
import { UsageError } from '../errors.js';
import { liveSearch } from '../live-search.js';
import { createServerProgress } from '../progress.js';
import { parseQuery } from '../query.js';
import { parseSortKeys } from '../sort-keys.js';
import {
  SUMMARY_HEADERS,
  SUMMARY_ITEMS,
  summarize,
  summaryRow,
  type MessageSummary,
} from '../summary.js';

/** UIDs fetched per FETCH for the summary. */
const CHUNK = 500;

export const searchCommand: CommandSpec = {
  name: 'search',
  aliases: ['find'],
  summary: 'search a mailbox (from:alice since:2024-01-01 unseen ...)',
  usage: 'search <mailbox> [criteria...] [--summary] [--limit N] [--sort KEYS | --watch]',
  description: [
    'Searches a mailbox (opened read-only) and prints the UIDs of the matching messages,',
    'one per line, or with --summary a table of date, sender, subject and flags. With',
    '--json: JSON Lines, one object per message.',
    '',
    '--sort KEYS: in the order the server sorts them (ESORT, else SORT; RFC 5256): KEYS',
    'separated by commas, -KEY descending: arrival, cc, date, from, size, subject, to,',
    'displayfrom, displayto (e.g. --sort -date,from). --limit N then keeps the first N.',
    '',
    '--watch: after the matches, prints each change of the result as the server reports',
    'it (CONTEXT=SEARCH, RFC 5267): "added uid N" / "removed uid N" (--json:',
    '{"event":"watching"|"added"|"removed",...}), until Ctrl-C (exit 0).',
    '',
    'Criteria (all must match; an empty query matches every message):',
    '  from:TEXT to:TEXT cc:TEXT bcc:TEXT subject:TEXT body:TEXT text:TEXT   substring',
    '  header:NAME:TEXT        header field contains TEXT (header:NAME: = has the field)',
    '  since:DATE before:DATE on:DATE                 arrival date, DATE = YYYY-MM-DD or Nd',
    '  sent-since: sent-before: sent-on:              the Date: header',
    '  larger:SIZE smaller:SIZE                       e.g. 100k, 2M',
    '  older:DURATION younger:DURATION                e.g. 30m, 12h, 7d (server needs WITHIN)',
    '  keyword:NAME unkeyword:NAME flag:NAME uid:SET  e.g. keyword:Work uid:1:100',
    '  seen unseen flagged unflagged answered unanswered deleted undeleted draft undraft',
    '  WORD or "a phrase"                             anywhere in the message (TEXT)',
    '  -TERM or NOT TERM       negation;  A OR B  alternatives;  ( ... )  grouping',
    'Quote values with spaces: subject:"foo bar" (or pass them as one shell argument).',
  ].join('\n'),
  examples: [
    'imapkit search INBOX from:alice since:2024-01-01 unseen',
    'imapkit search INBOX \'subject:"quarterly report"\' --summary',
    'imapkit search INBOX from:bob OR from:carol -flagged --json',
    'imapkit search INBOX since:7d --sort -date --limit 10 --summary',
    'imapkit search INBOX unseen --watch',
  ],
  options: {
    summary: { type: 'boolean', short: 's', description: 'print date, sender, subject and flags' },
    limit: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: 'only the last N matches (the newest UIDs); with --sort the first N',
    },
    sort: {
      type: 'string',
      value: 'KEYS',
      description: 'sort on the server, e.g. -date,from (- = descending)',
    },
    watch: {
      type: 'boolean',
      short: 'w',
      description: 'keep the search live: print matches added and removed until Ctrl-C',
    },
  },
  queryTerms: true,
  args: { min: 1, max: Infinity },
  async run(ctx) {
    const [mailbox, ...criteria] = ctx.args as [string, ...string[]];
    const query = parseQuery(criteria);
    const limit = intOpt(ctx.values, 'limit');
    const sortText = stringOpt(ctx.values, 'sort');
    const sortCriteria = sortText === undefined ? null : parseSortKeys(sortText);
    const summary = boolOpt(ctx.values, 'summary');
    if (boolOpt(ctx.values, 'watch')) {
      const other = [
        sortCriteria === null ? null : '--sort',
        limit === undefined ? null : '--limit',
        summary ? '--summary' : null,
      ].filter((o) => o !== null);
      if (other.length > 0) throw new UsageError(`--watch cannot be combined with ${other[0]}`);
      return liveSearch(ctx, mailbox, query);
    }
    const client = await ctx.connect();
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const progress = createServerProgress(ctx.io.stderr, ctx.progress, `searching ${mailbox}`);
      let uids: number[];
      try {
        const options = { onProgress: progress.onProgress };
        if (sortCriteria === null) {
          uids = await client.search(query, options);
        } else {
          // In the server's order: RFC 5267 ALL keeps the sort order.
          const sorted = await client.esort(sortCriteria, query, { ...options, return: ['ALL'] });
          uids = sorted.all === undefined ? [] : commands.sortedMembers(sorted.all);
        }
      } finally {
        progress.finish();
      }
      if (limit !== undefined && uids.length > limit) {
        uids = sortCriteria === null ? uids.slice(uids.length - limit) : uids.slice(0, limit);
      }
      if (!summary) {
        if (ctx.out.json) for (const uid of uids) await ctx.out.record({ uid });
        else for (const uid of uids) await ctx.out.line(String(uid));
        return;
      }
      const rows: MessageSummary[] = [];
      for (let i = 0; i < uids.length; i += CHUNK) {
        const chunk = uids.slice(i, i + CHUNK);
        // FETCH answers in mailbox order: print in the order of `uids` (the sort's).
        const byUid = new Map<number, MessageSummary>();
        for await (const m of client.fetch(chunk, SUMMARY_ITEMS)) {
          const s = summarize(m);
          if (s.uid !== null) byUid.set(s.uid, s);
        }
        for (const uid of chunk) {
          const s = byUid.get(uid);
          if (s === undefined) continue; // expunged since the search
          if (ctx.out.json) await ctx.out.record(s);
          else rows.push(s);
        }
      }
      if (!ctx.out.json) await ctx.out.table(SUMMARY_HEADERS, rows.map(summaryRow));
    } finally {
      lock.release();
    }
  },
};
