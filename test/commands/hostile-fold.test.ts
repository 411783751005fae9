/**
 * Folding functions against hostile server data: work that must stay
 * linear in what the server sent and bounded in memory.
 */
import { describe, expect, it } from 'vitest';
import { search } from '../../src/commands/search.js';
import type {
  CommandContext,
  CommandResult,
  ConnectionState,
  SelectedMailbox,
} from '../../src/connection/types.js';
import { ImapLimitError } from '../../src/model/errors.js';
import type { UntaggedResponse } from '../../src/model/response.js';
import { SequenceSet } from '../../src/model/sequence-set.js';

/** A context whose every command is answered by `untagged` and a tagged OK. */
function context(caps: string[], untagged: UntaggedResponse[], exists = 0): CommandContext {
  const selected = { exists } as SelectedMailbox;
  const result = (): CommandResult => ({
    tagged: { kind: 'tagged', tag: 'T', status: 'OK', code: null, text: 'done' },
    untagged,
    command: 'T',
  });
  return {
    capabilities: new Set(caps),
    hasCapability: (name) => caps.includes(name.toUpperCase()),
    state: 'selected' as ConnectionState,
    selected,
    enabled: new Set(),
    utf8Enabled: false,
    run: () => Promise.resolve(result()),
    exec: () => Promise.resolve(result()),
  };
}

function esearchAll(all: string): UntaggedResponse {
  return {
    kind: 'untagged',
    name: 'ESEARCH',
    tag: 'T',
    uid: true,
    all: SequenceSet.parse(all),
    other: new Map(),
  };
}

describe('SEARCH answered by ESEARCH ALL (IMAP4rev2)', () => {
  it('a set naming more messages than the mailbox has is a limit error, not an array of them', async () => {
    // 2,000,000 members in 9 bytes; `1:4294967295` ran the process out of memory.
    const ctx = context(['IMAP4REV2'], [esearchAll('1:2000000')], 10);
    await expect(search(ctx, {}, { uid: true })).rejects.toThrow(ImapLimitError);
    // Reached only once the first assertion holds (before the fix, it did not).
    const huge = context(['IMAP4REV2'], [esearchAll('1:4294967295')], 10);
    await expect(search(huge, {}, { uid: true })).rejects.toThrow(/4294967295 messages/);
  });

  it('a set with * is a limit error', async () => {
    const ctx = context(['IMAP4REV2'], [esearchAll('5:*')], 10);
    await expect(search(ctx, {}, { uid: true })).rejects.toThrow(ImapLimitError);
  });

  it('a set as large as the mailbox is expanded', async () => {
    const ctx = context(['IMAP4REV2'], [esearchAll('1:200000')], 200_000);
    const r = await search(ctx, {}, { uid: true });
    expect(r.numbers).toHaveLength(200_000);
    expect(r.numbers![199_999]).toBe(200_000);
    expect(r.all!.ranges).toHaveLength(1);
  });
});
