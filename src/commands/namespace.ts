import type { CommandContext } from '../connection/types.js';
import type { NamespaceEntry } from '../model/response.js';
import { requireCapability } from './capability.js';
import { decodeMailboxName } from './mailbox-name.js';

/** The server's namespaces (RFC 2342 5); an empty array where the server sent NIL. */
export interface NamespaceResult {
  /** The user's own mailboxes (usually one entry, prefix '' or 'INBOX.'). */
  personal: NamespaceEntry[];
  /** Other users' mailboxes (e.g. prefix `shared/` or `Other Users/`). */
  otherUsers: NamespaceEntry[];
  /** Shared mailboxes. */
  shared: NamespaceEntry[];
}

/**
 * NAMESPACE (RFC 2342 5, RFC 9051 6.3.10; capability NAMESPACE or
 * IMAP4rev2): the prefixes and delimiters of the server's namespaces.
 * Prefixes are decoded to Unicode like mailbox names.
 */
export async function namespace(ctx: CommandContext): Promise<NamespaceResult> {
  requireCapability(ctx, 'NAMESPACE', 'IMAP4rev2');
  const result = await ctx.exec('NAMESPACE', [], { collect: ['NAMESPACE'] });
  const decode = (list: NamespaceEntry[] | null): NamespaceEntry[] =>
    (list ?? []).map((e) => ({ ...e, prefix: decodeMailboxName(ctx, e.prefix) }));
  for (const r of result.untagged) {
    if (r.name === 'NAMESPACE') {
      return {
        personal: decode(r.personal),
        otherUsers: decode(r.otherUsers),
        shared: decode(r.shared),
      };
    }
  }
  return { personal: [], otherUsers: [], shared: [] };
}
