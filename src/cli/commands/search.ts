/** `imapkit search <mailbox> <criteria…>`: matching UIDs, or a summary table. */
import { boolOpt, intOpt } from '../args.js';
import type { CommandSpec } from '../command.js';
import { parseQuery } from '../query.js';
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
  usage: 'search <mailbox> [criteria...] [--summary] [--limit N]',
  description: [
    'Searches a mailbox (opened read-only) and prints the UIDs of the matching messages,',
    'one per line, or with --summary a table of date, sender, subject and flags. With',
    '--json: JSON Lines, one object per message.',
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
  ],
  options: {
    summary: { type: 'boolean', short: 's', description: 'print date, sender, subject and flags' },
    limit: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: 'only the last N matches (the newest UIDs)',
    },
  },
  queryTerms: true,
  args: { min: 1, max: Infinity },
  async run(ctx) {
    const [mailbox, ...criteria] = ctx.args as [string, ...string[]];
    const query = parseQuery(criteria);
    const limit = intOpt(ctx.values, 'limit');
    const client = await ctx.connect();
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      let uids = await client.search(query);
      if (limit !== undefined && uids.length > limit) uids = uids.slice(uids.length - limit);
      if (!boolOpt(ctx.values, 'summary')) {
        if (ctx.out.json) for (const uid of uids) await ctx.out.record({ uid });
        else for (const uid of uids) await ctx.out.line(String(uid));
        return;
      }
      const rows: MessageSummary[] = [];
      for (let i = 0; i < uids.length; i += CHUNK) {
        const chunk = uids.slice(i, i + CHUNK);
        for await (const m of client.fetch(chunk, SUMMARY_ITEMS)) {
          const s = summarize(m);
          if (ctx.out.json) await ctx.out.record(s);
          else rows.push(s);
        }
      }
      if (!ctx.out.json) {
        rows.sort((a, b) => (a.uid ?? 0) - (b.uid ?? 0));
        await ctx.out.table(SUMMARY_HEADERS, rows.map(summaryRow));
      }
    } finally {
      lock.release();
    }
  },
};
