/** `imapkit status <mailbox>`: counts of one mailbox, without selecting it. */
import type { commands } from '../../index.js';
import type { CommandSpec } from '../command.js';
import { formatBytes, printable } from '../output.js';

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'message counts of one mailbox',
  usage: 'status <mailbox>',
  description:
    'Shows the number of messages, unseen messages, UIDNEXT, UIDVALIDITY and, when the\n' +
    'server supports them, the size and HIGHESTMODSEQ of a mailbox (STATUS; the mailbox\n' +
    'is not selected, so nothing changes).',
  examples: ['imapkit status INBOX', 'imapkit status Archive/2024 --json'],
  options: {},
  args: { min: 1, max: 1 },
  async run(ctx) {
    const client = await ctx.connect();
    const caps = client.capabilities;
    const items: commands.StatusItem[] = ['MESSAGES', 'UNSEEN', 'UIDNEXT', 'UIDVALIDITY'];
    if (caps.has('STATUS=SIZE') || caps.has('IMAP4REV2')) items.push('SIZE');
    if (caps.has('CONDSTORE')) items.push('HIGHESTMODSEQ');
    const s = await client.status(ctx.args[0]!, items);
    if (ctx.out.json) {
      await ctx.out.document(s);
      return;
    }
    const rows: Array<[string, string]> = [['mailbox', s.name]];
    if (s.messages !== undefined) rows.push(['messages', String(s.messages)]);
    if (s.unseen !== undefined) rows.push(['unseen', String(s.unseen)]);
    if (s.size !== undefined) rows.push(['size', `${formatBytes(s.size)} (${s.size} bytes)`]);
    if (s.uidNext !== undefined) rows.push(['uidnext', String(s.uidNext)]);
    if (s.uidValidity !== undefined) rows.push(['uidvalidity', String(s.uidValidity)]);
    if (s.highestModseq !== undefined) rows.push(['highestmodseq', String(s.highestModseq)]);
    for (const [k, v] of rows) await ctx.out.line(`${(k + ':').padEnd(15)}${printable(v)}`);
  },
};
