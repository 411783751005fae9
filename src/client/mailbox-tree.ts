/**
 * The mailbox hierarchy as a tree, built from a flat LIST answer: no I/O,
 * see {@link ImapClient.listTree} for the command side.
 */
import type { MailboxEntry } from '../commands/list.js';

/** Options of {@link ImapClient.listTree}. */
export interface ListTreeOptions {
  /** The LIST pattern (default `*`, every mailbox; `%` lists one level). */
  pattern?: string;
  /** Mark subscribed mailboxes (`subscribed` of each node); costs an LSUB without LIST-EXTENDED. */
  subscribed?: boolean;
}

/** One mailbox in {@link ImapClient.listTree}'s tree. */
export interface MailboxTreeNode {
  /** The full name (path), decoded to Unicode; `INBOX` always in upper case. */
  name: string;
  /** The last segment of the name, for display (the whole name when there is no delimiter). */
  displayName: string;
  /** The hierarchy delimiter, null when the server has no hierarchy. */
  delimiter: string | null;
  /** The LIST attributes as sent (`\HasChildren`, `\Noselect`, `\Sent`...); empty for an implied parent. */
  flags: ReadonlySet<string>;
  /** The special-use attribute (RFC 6154), e.g. `\Sent`, null when none. */
  specialUse: string | null;
  /** Subscribed (only known when asked for: `listTree({ subscribed: true })`; false otherwise). */
  subscribed: boolean;
  /**
   * The mailbox can be selected: it was listed without `\Noselect` or
   * `\NonExistent`. False for a parent that exists only as a level of the
   * hierarchy, listed as such or implied.
   */
  selectable: boolean;
  /**
   * The server listed it; false for a parent implied by a child's name but
   * missing from the answer (e.g. `a/b` listed without `a`).
   */
  listed: boolean;
  /** The LIST entry, null for an implied parent. */
  entry: MailboxEntry | null;
  /** The children, sorted: INBOX first, then by name (case-insensitive, numbers by value). */
  children: MailboxTreeNode[];
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** `INBOX` in any case is INBOX (RFC 9051 5.1), also as the first level of a path. */
function canonicalName(name: string, delimiter: string | null): string {
  const first = delimiter === null || delimiter === '' ? -1 : name.indexOf(delimiter);
  const head = first === -1 ? name : name.slice(0, first);
  return head.toUpperCase() === 'INBOX' ? 'INBOX' + name.slice(head.length) : name;
}

function hasAttribute(flags: ReadonlySet<string>, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  for (const f of flags) if (f.toLowerCase() === lower) return true;
  return false;
}

function compareNodes(a: MailboxTreeNode, b: MailboxTreeNode): number {
  const aInbox = a.name === 'INBOX';
  const bInbox = b.name === 'INBOX';
  if (aInbox !== bInbox) return aInbox ? -1 : 1;
  const byName = collator.compare(a.displayName, b.displayName);
  if (byName !== 0) return byName;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sortTree(nodes: MailboxTreeNode[]): void {
  nodes.sort(compareNodes);
  for (const n of nodes) sortTree(n.children);
}

/**
 * Builds the mailbox tree from LIST entries (any order): each name is split
 * at its delimiter; a parent missing from the entries is added as an
 * implied node (`listed` and `selectable` false); a name ending in its
 * delimiter (`a/`, how some servers list a hierarchy level) is the mailbox
 * without it; a repeated name keeps its first entry; `INBOX` in any case is
 * one node, `INBOX`, sorted first. Returns the top-level nodes.
 */
export function buildMailboxTree(entries: readonly MailboxEntry[]): MailboxTreeNode[] {
  const byName = new Map<string, MailboxTreeNode>();
  const roots: MailboxTreeNode[] = [];

  const attach = (node: MailboxTreeNode, parentName: string | null): void => {
    byName.set(node.name, node);
    if (parentName === null) roots.push(node);
    else byName.get(parentName)!.children.push(node);
  };

  for (const entry of entries) {
    const delimiter = entry.delimiter === '' ? null : entry.delimiter;
    let name = canonicalName(entry.name, delimiter);
    if (delimiter !== null && name.length > delimiter.length && name.endsWith(delimiter)) {
      name = name.slice(0, -delimiter.length);
    }
    const segments = delimiter === null ? [name] : name.split(delimiter);
    // Implied parents, top down.
    let parentName: string | null = null;
    for (let i = 0; i < segments.length - 1; i++) {
      const path = segments.slice(0, i + 1).join(delimiter!);
      if (!byName.has(path)) {
        attach(
          {
            name: path,
            displayName: segments[i]!,
            delimiter,
            flags: new Set<string>(),
            specialUse: null,
            subscribed: false,
            selectable: false,
            listed: false,
            entry: null,
            children: [],
          },
          parentName,
        );
      }
      parentName = path;
    }
    const selectable =
      !hasAttribute(entry.attributes, '\\Noselect') &&
      !hasAttribute(entry.attributes, '\\NonExistent');
    const existing = byName.get(name);
    if (existing !== undefined) {
      if (existing.listed) continue; // a repeated name: the first entry stays
      existing.flags = entry.attributes;
      existing.specialUse = entry.specialUse;
      existing.subscribed = entry.subscribed;
      existing.selectable = selectable;
      existing.listed = true;
      existing.entry = entry;
      continue;
    }
    attach(
      {
        name,
        displayName: segments[segments.length - 1]!,
        delimiter,
        flags: entry.attributes,
        specialUse: entry.specialUse,
        subscribed: entry.subscribed,
        selectable,
        listed: true,
        entry,
        children: [],
      },
      parentName,
    );
  }
  sortTree(roots);
  return roots;
}
