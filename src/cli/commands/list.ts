/** `imapkit list`: the mailboxes, their special use and optionally their counts. */
import {
  buildMailboxTree,
  type commands,
  type ImapClient,
  type MailboxTreeNode,
} from '../../index.js';
import { boolOpt, stringOpt } from '../args.js';
import type { CommandSpec } from '../command.js';
import { formatBytes } from '../output.js';

type MailboxEntry = commands.MailboxEntry;
type StatusResult = NonNullable<MailboxEntry['status']>;
type StatusItem = 'MESSAGES' | 'UNSEEN' | 'SIZE';

/** A mailbox as printed by `list --json`. */
export interface ListedMailbox {
  name: string;
  delimiter: string | null;
  attributes: string[];
  specialUse: string | null;
  subscribed: boolean;
  status?: { messages?: number; unseen?: number; size?: number };
}

function selectable(attributes: Iterable<string>): boolean {
  return ![...attributes].some((a) => /^\\(noselect|nonexistent)$/i.test(a));
}

function statusItems(client: ImapClient): StatusItem[] {
  const items: StatusItem[] = ['MESSAGES', 'UNSEEN'];
  if (client.capabilities.has('STATUS=SIZE') || client.capabilities.has('IMAP4REV2'))
    items.push('SIZE');
  return items;
}

function pick(s: StatusResult): NonNullable<ListedMailbox['status']> {
  const out: NonNullable<ListedMailbox['status']> = {};
  if (s.messages !== undefined) out.messages = s.messages;
  if (s.unseen !== undefined) out.unseen = s.unseen;
  if (s.size !== undefined) out.size = s.size;
  return out;
}

/** A mailbox as printed by `list --tree --json`: the hierarchy, with implied parents. */
export interface ListedMailboxNode {
  name: string;
  /** The last level of the name. */
  displayName: string;
  specialUse: string | null;
  /** False for a level of the hierarchy that cannot be selected (`\Noselect`, or not listed). */
  selectable: boolean;
  status?: ListedMailbox['status'];
  children: ListedMailboxNode[];
}

/** The tree of `entries` with each mailbox's counts from `boxes`. */
function mailboxTree(
  entries: readonly MailboxEntry[],
  boxes: readonly ListedMailbox[],
): ListedMailboxNode[] {
  const statusOf = new Map(boxes.map((b) => [b.name, b.status]));
  const convert = (n: MailboxTreeNode): ListedMailboxNode => {
    const status = n.entry === null ? undefined : statusOf.get(n.entry.name);
    return {
      name: n.name,
      displayName: n.displayName,
      specialUse: n.specialUse,
      selectable: n.selectable,
      ...(status === undefined ? {} : { status }),
      children: n.children.map(convert),
    };
  };
  return buildMailboxTree(entries).map(convert);
}

/** The nodes depth first, each with its depth. */
function flatten(nodes: readonly ListedMailboxNode[], depth = 0): [ListedMailboxNode, number][] {
  return nodes.flatMap((n): [ListedMailboxNode, number][] => [
    [n, depth],
    ...flatten(n.children, depth + 1),
  ]);
}

/** LIST (with LIST-STATUS in one round trip when offered, else STATUS per mailbox). */
async function listMailboxes(
  client: ImapClient,
  pattern: string,
  withStatus: boolean,
): Promise<{ boxes: ListedMailbox[]; entries: MailboxEntry[] }> {
  const caps = client.capabilities;
  const items = statusItems(client);
  const oneTrip = withStatus && caps.has('LIST-STATUS');
  const specialUse = caps.has('SPECIAL-USE') && caps.has('LIST-EXTENDED');
  const entries = await client.list(pattern, {
    ...(oneTrip || specialUse
      ? { return: { ...(oneTrip ? { status: items } : {}), ...(specialUse ? { specialUse } : {}) } }
      : {}),
  });
  const out: ListedMailbox[] = [];
  for (const e of entries) {
    const m: ListedMailbox = {
      name: e.name,
      delimiter: e.delimiter,
      attributes: [...e.attributes],
      specialUse: e.specialUse,
      subscribed: e.subscribed,
    };
    if (withStatus && selectable(e.attributes)) {
      const s = e.status ?? (oneTrip ? undefined : await client.status(e.name, items));
      if (s !== undefined) m.status = pick(s);
    }
    out.push(m);
  }
  out.sort((a, b) =>
    a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name.localeCompare(b.name),
  );
  return { boxes: out, entries };
}

export const listCommand: CommandSpec = {
  name: 'list',
  aliases: ['ls'],
  summary: 'list mailboxes (special use, optional message counts)',
  usage: 'list [--status] [--tree] [--pattern PATTERN]',
  description:
    'Lists the mailboxes with their special use (\\Sent, \\Trash, ...). With --status, also\n' +
    'the number of messages, unseen messages and the size of each (one LIST-STATUS\n' +
    'round trip when the server offers it). With --tree, as the hierarchy: each level\n' +
    'indented under its parent (levels that are not mailboxes included), JSON nested.',
  examples: [
    'imapkit list',
    'imapkit list --status --json',
    'imapkit list --tree',
    "imapkit list --pattern 'Archive/*'",
  ],
  options: {
    status: { type: 'boolean', short: 's', description: 'also show message counts (and size)' },
    tree: { type: 'boolean', short: 't', description: 'show the hierarchy, indented' },
    pattern: { type: 'string', value: 'PATTERN', description: 'LIST pattern (default *)' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const client = await ctx.connect();
    const withStatus = boolOpt(ctx.values, 'status');
    const pattern = stringOpt(ctx.values, 'pattern') ?? '*';
    const { boxes, entries } = await listMailboxes(client, pattern, withStatus);
    const tree = boolOpt(ctx.values, 'tree') ? mailboxTree(entries, boxes) : null;
    if (ctx.out.json) {
      await ctx.out.document(tree ?? boxes);
      return;
    }
    const headers = withStatus
      ? ['MAILBOX', 'SPECIAL', 'MESSAGES', 'UNSEEN', 'SIZE']
      : ['MAILBOX', 'SPECIAL'];
    const lines =
      tree === null
        ? boxes.map((b) => ({ label: b.name, selectable: selectable(b.attributes), ...b }))
        : flatten(tree).map(([n, depth]) => ({
            label: '  '.repeat(depth) + n.displayName,
            ...n,
          }));
    const rows = lines.map((b) => {
      const row = [b.label, b.specialUse ?? (b.selectable ? '' : '(no select)')];
      if (withStatus) {
        row.push(
          b.status?.messages === undefined ? '' : String(b.status.messages),
          b.status?.unseen === undefined ? '' : String(b.status.unseen),
          b.status?.size === undefined ? '' : formatBytes(b.status.size),
        );
      }
      return row;
    });
    await ctx.out.table(headers, rows);
  },
};
