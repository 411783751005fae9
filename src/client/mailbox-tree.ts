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
  /**
   * Metadata entries to return with each mailbox, e.g. `['/shared/comment']`
   * (capability LIST-METADATA, RFC 9590): in each node's `entry.metadata`.
   */
  metadata?: readonly string[];
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
 * Levels of the tree at most: a deeper name's last node holds the rest of
 * its path as its `displayName`. A hostile server's name of a million
 * levels (a literal may be megabytes long) then costs work linear in its
 * length, and the tree stays shallow enough to walk recursively.
 */
export const MAX_TREE_DEPTH = 64;

/** Where each of `name`'s segments ends (at most MAX_TREE_DEPTH; the last takes the rest). */
function segmentEnds(name: string, delimiter: string | null): number[] {
  const ends: number[] = [];
  if (delimiter !== null) {
    for (let from = 0; ends.length < MAX_TREE_DEPTH - 1;) {
      const i = name.indexOf(delimiter, from);
      if (i === -1) break;
      ends.push(i);
      from = i + delimiter.length;
    }
  }
  ends.push(name.length);
  return ends;
}

/** A node for a level of the hierarchy that LIST did not return. */
function impliedNode(name: string, displayName: string, delimiter: string | null): MailboxTreeNode {
  return {
    name,
    displayName,
    delimiter,
    flags: new Set<string>(),
    specialUse: null,
    subscribed: false,
    selectable: false,
    listed: false,
    entry: null,
    children: [],
  };
}

/**
 * Builds the mailbox tree from LIST entries (any order): each name is split
 * at its delimiter; a parent missing from the entries is added as an
 * implied node (`listed` and `selectable` false); a name ending in its
 * delimiter (`a/`, how some servers list a hierarchy level) is the mailbox
 * without it; a repeated name keeps its first entry; `INBOX` in any case is
 * one node, `INBOX`, sorted first; a name deeper than {@link MAX_TREE_DEPTH}
 * levels ends in one node holding the rest. Returns the top-level nodes.
 */
export function buildMailboxTree(entries: readonly MailboxEntry[]): MailboxTreeNode[] {
  const roots: MailboxTreeNode[] = [];
  // Each level's nodes by segment: a path is never built or hashed whole.
  const rootIndex = new Map<string, MailboxTreeNode>();
  const childIndex = new Map<MailboxTreeNode, Map<string, MailboxTreeNode>>();
  const indexOf = (parent: MailboxTreeNode | null): Map<string, MailboxTreeNode> => {
    if (parent === null) return rootIndex;
    let index = childIndex.get(parent);
    if (index === undefined) childIndex.set(parent, (index = new Map()));
    return index;
  };

  for (const entry of entries) {
    const delimiter = entry.delimiter === '' ? null : entry.delimiter;
    let name = canonicalName(entry.name, delimiter);
    if (delimiter !== null && name.length > delimiter.length && name.endsWith(delimiter)) {
      name = name.slice(0, -delimiter.length);
    }
    const ends = segmentEnds(name, delimiter);
    let parent: MailboxTreeNode | null = null;
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const segment = name.slice(start, ends[i]);
      const index = indexOf(parent);
      let node = index.get(segment);
      const last = i === ends.length - 1;
      if (node === undefined) {
        node = last
          ? listedNode(entry, name, segment, delimiter)
          : impliedNode(name.slice(0, ends[i]), segment, delimiter);
        index.set(segment, node);
        (parent === null ? roots : parent.children).push(node);
      } else if (last && !node.listed) {
        Object.assign(node, listedNode(entry, node.name, segment, delimiter), {
          children: node.children,
        });
      }
      parent = node;
      start = ends[i]! + (delimiter?.length ?? 0);
    }
  }
  sortTree(roots);
  return roots;
}

/** The node of a listed mailbox. */
function listedNode(
  entry: MailboxEntry,
  name: string,
  displayName: string,
  delimiter: string | null,
): MailboxTreeNode {
  return {
    name,
    displayName,
    delimiter,
    flags: entry.attributes,
    specialUse: entry.specialUse,
    subscribed: entry.subscribed,
    selectable:
      !hasAttribute(entry.attributes, '\\Noselect') &&
      !hasAttribute(entry.attributes, '\\NonExistent'),
    listed: true,
    entry,
    children: [],
  };
}
