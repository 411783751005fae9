/**
 * buildMailboxTree: the hierarchy from flat LIST entries — delimiters `/`
 * and `.`, parents implied by a child's name, INBOX in any case, non-ASCII
 * names, sorting, flat servers (NIL delimiter).
 */
import { describe, expect, it } from 'vitest';
import {
  buildMailboxTree,
  MAX_TREE_DEPTH,
  type MailboxTreeNode,
} from '../../src/client/mailbox-tree.js';
import type { MailboxEntry } from '../../src/commands/list.js';

const SPECIAL = new Set(['\\sent', '\\trash', '\\drafts', '\\junk', '\\archive', '\\all']);

/** A LIST entry as foldList makes it. */
function entry(name: string, delimiter: string | null, ...attributes: string[]): MailboxEntry {
  return {
    name,
    rawName: name,
    delimiter,
    attributes: new Set(attributes),
    specialUse: attributes.find((a) => SPECIAL.has(a.toLowerCase())) ?? null,
    subscribed: attributes.includes('\\Subscribed'),
    childInfo: [],
    oldName: null,
  };
}

/** The tree as `name[!]` (not selectable) / `name?` (implied) strings, nested as arrays. */
function shape(nodes: MailboxTreeNode[]): unknown[] {
  return nodes.map((n) => {
    const label = n.name + (n.listed ? (n.selectable ? '' : '!') : '?');
    return n.children.length === 0 ? label : [label, shape(n.children)];
  });
}

describe('buildMailboxTree', () => {
  it('nests by the "/" delimiter, INBOX first, children sorted, display names are the last segment', () => {
    const tree = buildMailboxTree([
      entry('Trash', '/', '\\HasNoChildren', '\\Trash'),
      entry('Projects', '/', '\\HasChildren'),
      entry('Projects/zeta', '/', '\\HasNoChildren'),
      entry('Projects/Alpha', '/', '\\HasNoChildren'),
      entry('Archive/2025', '/', '\\HasNoChildren'),
      entry('Archive', '/', '\\HasChildren', '\\Archive'),
      entry('Archive/2024', '/', '\\HasNoChildren'),
      entry('INBOX', '/', '\\HasNoChildren'),
    ]);
    expect(shape(tree)).toEqual([
      'INBOX',
      ['Archive', ['Archive/2024', 'Archive/2025']],
      ['Projects', ['Projects/Alpha', 'Projects/zeta']],
      'Trash',
    ]);
    const archive = tree[1]!;
    expect(archive).toMatchObject({
      displayName: 'Archive',
      delimiter: '/',
      specialUse: '\\Archive',
      selectable: true,
      listed: true,
    });
    expect([...archive.flags]).toEqual(['\\HasChildren', '\\Archive']);
    expect(archive.children[0]!.displayName).toBe('2024');
    expect(archive.children[0]!.entry?.name).toBe('Archive/2024');
    expect(tree[3]!.specialUse).toBe('\\Trash');
  });

  it('uses the "." delimiter; INBOX children (any case of INBOX) go under INBOX', () => {
    const tree = buildMailboxTree([
      entry('INBOX.Sent', '.', '\\Sent'),
      entry('inbox', '.'),
      entry('Inbox.Lists.node', '.'),
      entry('INBOX.Lists', '.', '\\HasChildren'),
      entry('Public', '.'),
    ]);
    expect(shape(tree)).toEqual([
      ['INBOX', [['INBOX.Lists', ['INBOX.Lists.node']], 'INBOX.Sent']],
      'Public',
    ]);
    expect(tree[0]!.displayName).toBe('INBOX');
    expect(tree[0]!.children[1]).toMatchObject({ displayName: 'Sent', specialUse: '\\Sent' });
  });

  it('adds parents implied by a name but missing from the list as non-selectable, unlisted nodes', () => {
    const tree = buildMailboxTree([
      entry('a/b/c', '/', '\\HasNoChildren'),
      entry('a/x', '/'),
      entry('shared', '/', '\\Noselect', '\\HasChildren'),
      entry('shared/bob/box', '/'),
    ]);
    expect(shape(tree)).toEqual([
      ['a?', [['a/b?', ['a/b/c']], 'a/x']],
      ['shared!', [['shared/bob?', ['shared/bob/box']]]],
    ]);
    const a = tree[0]!;
    expect(a).toMatchObject({
      name: 'a',
      displayName: 'a',
      delimiter: '/',
      selectable: false,
      listed: false,
      entry: null,
      specialUse: null,
    });
    expect(a.flags.size).toBe(0);
    expect(tree[1]).toMatchObject({ selectable: false, listed: true });
  });

  it('an implied parent listed later takes its entry; \\NonExistent is not selectable; repeats keep the first', () => {
    const tree = buildMailboxTree([
      entry('p/q', '/'),
      entry('p', '/', '\\HasChildren', '\\Subscribed'),
      entry('gone', '/', '\\NonExistent', '\\Subscribed'),
      entry('p/q', '/', '\\Noselect'),
    ]);
    expect(shape(tree)).toEqual(['gone!', ['p', ['p/q']]]);
    expect(tree[1]).toMatchObject({ listed: true, selectable: true, subscribed: true });
    expect(tree[0]).toMatchObject({ subscribed: true, selectable: false });
  });

  it('keeps non-ASCII names whole and sorts them by name', () => {
    const tree = buildMailboxTree([
      entry('Projects/日本語', '/', '\\HasNoChildren'),
      entry('Projects/Ärger', '/', '\\HasNoChildren'),
      entry('Projects/Zebra', '/'),
      entry('Projects/apfel', '/'),
    ]);
    expect(shape(tree)).toEqual([
      ['Projects?', ['Projects/apfel', 'Projects/Ärger', 'Projects/Zebra', 'Projects/日本語']],
    ]);
    expect(tree[0]!.children.map((n) => n.displayName)).toEqual([
      'apfel',
      'Ärger',
      'Zebra',
      '日本語',
    ]);
  });

  it('a flat server (NIL delimiter) gives top-level nodes only; a trailing delimiter is dropped', () => {
    expect(shape(buildMailboxTree([entry('a/b', null), entry('INBOX', null)]))).toEqual([
      'INBOX',
      'a/b',
    ]);
    expect(
      shape(buildMailboxTree([entry('lists/', '/', '\\Noselect'), entry('lists/x', '/')])),
    ).toEqual([['lists!', ['lists/x']]]);
    expect(buildMailboxTree([])).toEqual([]);
  });

  it('sorts numbers by value', () => {
    const tree = buildMailboxTree([entry('y/10', '/'), entry('y/9', '/'), entry('y/2024', '/')]);
    expect(tree[0]!.children.map((n) => n.displayName)).toEqual(['9', '10', '2024']);
  });

  it('a hostile name of 200,000 levels: the tree stops at MAX_TREE_DEPTH, the last node holds the rest', () => {
    const name = Array.from({ length: 200_000 }, (_, i) => `m${i}`).join('/');
    const tree = buildMailboxTree([entry(name, '/'), entry('m0/other', '/')]);
    let depth = 1;
    let node = tree[0]!;
    while (node.children.length > 0) {
      node = node.children.find((c) => c.listed || c.children.length > 0)!;
      depth++;
    }
    expect(depth).toBe(MAX_TREE_DEPTH);
    expect(node).toMatchObject({ name, listed: true, selectable: true });
    expect(node.displayName.startsWith(`m${MAX_TREE_DEPTH - 1}/m${MAX_TREE_DEPTH}/`)).toBe(true);
    expect(node.displayName.endsWith('/m199999')).toBe(true);
    // The implied levels above it are the name's prefixes; a sibling shares them.
    expect(tree[0]!.children.map((c) => c.name)).toEqual(['m0/m1', 'm0/other']);
  });

  it('a hostile name of 63 levels of 100 KB each is built in linear work (no path is joined whole per level)', () => {
    const segment = 'x'.repeat(100_000);
    const name = Array.from({ length: 63 }, () => segment).join('.');
    const tree = buildMailboxTree([entry(name, '.')]);
    let node = tree[0]!;
    let depth = 1;
    while (node.children.length > 0) {
      node = node.children[0]!;
      depth++;
    }
    expect(depth).toBe(63);
    expect(node.name).toBe(name);
  });
});
