/**
 * Folding functions against hostile server data: work that must stay
 * linear in what the server sent and bounded in memory.
 */
import { describe, expect, it, vi } from 'vitest';
import { appendUid } from '../../src/commands/append.js';
import { foldExpunged } from '../../src/commands/expunge.js';
import { mailboxIdOf } from '../../src/commands/mailbox-name.js';
import { getQuotaRoot } from '../../src/commands/quota.js';
import { search } from '../../src/commands/search.js';
import { sort } from '../../src/commands/sort.js';
import { thread } from '../../src/commands/thread.js';
import { formatTable } from '../../src/cli/output.js';
import { select } from '../../src/commands/select.js';
import type {
  CommandContext,
  CommandResult,
  ConnectionState,
  SelectedMailbox,
} from '../../src/connection/types.js';
import { ImapLimitError } from '../../src/model/errors.js';
import type { ResponseCode } from '../../src/model/response-code.js';
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

describe('EXPUNGE answered by many VANISHED responses', () => {
  it('folds them into one set with one parse, not one per response', () => {
    const n = 3000;
    const untagged: UntaggedResponse[] = Array.from({ length: n }, (_, i) => ({
      kind: 'untagged',
      name: 'VANISHED',
      earlier: false,
      uids: SequenceSet.from(2 * i + 1),
    }));
    const parse = vi.spyOn(SequenceSet, 'parse');
    try {
      const r = foldExpunged({
        tagged: { kind: 'tagged', tag: 'T', status: 'OK', code: null, text: 'done' },
        untagged,
        command: 'T EXPUNGE',
      });
      // Re-parsing the set so far per response was quadratic (10,000 responses: 7 s).
      expect(parse.mock.calls.length).toBeLessThanOrEqual(1);
      expect(r.vanished!.ranges).toHaveLength(n);
      expect(r.vanished!.has(2 * n - 1)).toBe(true);
      expect(r.vanished!.has(2)).toBe(false);
    } finally {
      parse.mockRestore();
    }
  });
});

describe('SELECT (QRESYNC) answered by many VANISHED (EARLIER) responses', () => {
  it('folds them into one set with one parse, not one per response', async () => {
    const n = 3000;
    const untagged: UntaggedResponse[] = Array.from({ length: n }, (_, i) => ({
      kind: 'untagged',
      name: 'VANISHED',
      earlier: true,
      uids: SequenceSet.from(2 * i + 1),
    }));
    const ctx = context(['IMAP4REV1'], untagged);
    const parse = vi.spyOn(SequenceSet, 'parse');
    try {
      const r = await select(ctx, 'INBOX');
      expect(parse.mock.calls.length).toBeLessThanOrEqual(1);
      expect(r.vanished!.ranges).toHaveLength(n);
      expect(r.vanished!.has(2 * n - 1)).toBe(true);
    } finally {
      parse.mockRestore();
    }
  });
});

describe('[MAILBOXID] with a long run of spaces', () => {
  function mailboxIdCode(text: string): UntaggedResponse {
    return {
      kind: 'untagged',
      name: 'OK',
      code: { name: 'OTHER', atom: 'MAILBOXID', text },
      text: 'id',
    } as UntaggedResponse;
  }

  it('is read in linear time (the trimming regex backtracked quadratically)', async () => {
    // 40,000 spaces took ~1.2 s with the regex; 400,000 take minutes (past the
    // test's timeout); the linear code needs a few ms, so the bound is generous.
    const spaces = ' '.repeat(400_000);
    const ctx = context(['IMAP4REV1'], [mailboxIdCode(`(x${spaces}y)`)]);
    const started = performance.now();
    const r = await select(ctx, 'INBOX');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.mailboxId).toBe(`x${spaces}y`);
  });

  it('keeps the id without its parentheses and the spaces inside them', () => {
    expect(mailboxIdOf('( F2212ea87-6097 )')).toBe('F2212ea87-6097');
    expect(mailboxIdOf('(F1)')).toBe('F1');
    expect(mailboxIdOf('F1')).toBe('F1');
  });
});

describe('results of 130,000+ items in one response', () => {
  // The parser lets a 1 MiB line carry ~500,000 of them; push(...items)
  // overflowed the stack (a RangeError, not an imapkit error).
  const n = 200_000;

  it('SORT keeps every number', async () => {
    const numbers = Array.from({ length: n }, (_, i) => i + 1);
    const ctx = context(['SORT'], [{ kind: 'untagged', name: 'SORT', numbers, modseq: null }]);
    const r = await sort(ctx, ['DATE'], {});
    expect(r).toHaveLength(n);
    expect(r[n - 1]).toBe(n);
  });

  it('THREAD keeps every thread', async () => {
    const threads = Array.from({ length: n }, (_, i) => ({ id: i + 1, children: [] }));
    const ctx = context(['THREAD=REFERENCES'], [{ kind: 'untagged', name: 'THREAD', threads }]);
    const r = await thread(ctx, 'REFERENCES', {});
    expect(r).toHaveLength(n);
    expect(r[n - 1]!.id).toBe(n);
  });

  it('GETQUOTAROOT keeps every root', async () => {
    const roots = Array.from({ length: n }, (_, i) => `r${i}`);
    const ctx = context(
      ['QUOTA'],
      [{ kind: 'untagged', name: 'QUOTAROOT', mailbox: 'INBOX', roots } as UntaggedResponse],
    );
    const r = await getQuotaRoot(ctx, 'INBOX');
    expect(r.roots).toHaveLength(n);
  });

  it('the CLI table pads a column of that many rows', () => {
    const rows = Array.from({ length: n }, (_, i) => [String(i), 'x']);
    const text = formatTable(['N', 'X'], rows);
    expect(text.split('\n')[n]).toBe(`${n - 1}  x`);
  });
});

describe('[APPENDUID] naming more UIDs than messages were sent', () => {
  it('is not expanded: 1:4294967295 for one message gives no UID', () => {
    const code = (uids: string): ResponseCode => ({
      name: 'APPENDUID',
      uidValidity: 7,
      uids: SequenceSet.parse(uids),
    });
    // 99,999 UIDs were expanded into an array (up to 100,000) for one message.
    expect(appendUid(code('1:99999'))).toBeNull();
    expect(appendUid(code('1:4294967295'))).toBeNull();
    expect(appendUid(code('12'))).toEqual({ uidValidity: 7, uids: [12] });
    expect(appendUid(code('12:13'), 2)).toEqual({ uidValidity: 7, uids: [12, 13] });
  });
});
