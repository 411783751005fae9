/**
 * RFC 5267 behaviour Dovecot 2.3 does not show, against scripted servers:
 * CONTEXT=SORT (positions in the sort order, several ADDTO items in one
 * response, PARTIAL of a sort), NOUPDATE, an update arriving before another
 * running command's own ESEARCH, a consumer that never reads, the exact
 * CANCELUPDATE line; plus the grammar's pure helpers.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  applyContextUpdates,
  searchContext,
  sortContext,
  type SearchUpdate,
} from '../../src/commands/context.js';
import { esearch } from '../../src/commands/esearch.js';
import { esort, sortedMembers } from '../../src/commands/esort.js';
import { noop } from '../../src/commands/noop.js';
import { sort } from '../../src/commands/sort.js';
import { offer } from '../../src/connection/router.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import {
  ImapArgumentError,
  ImapCapabilityError,
  ImapLimitError,
  ImapParseError,
} from '../../src/model/errors.js';
import type { ContextUpdate, UntaggedResponse } from '../../src/model/response.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';
import type { ScriptedConnection } from '../helpers/scripted-server.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers();

const CAPS = 'IMAP4rev1 SORT ESEARCH ESORT CONTEXT=SEARCH CONTEXT=SORT';

/** Greets with `caps`, answers SELECT INBOX, then runs `rest`. */
function script(caps: string, rest: (c: ScriptedConnection) => Promise<void>) {
  return async (c: ScriptedConnection): Promise<void> => {
    await c.write(`* OK [CAPABILITY ${caps}] ready\r\n`);
    await c.expect(/^\S+ SELECT INBOX$/);
    await c.write('* 3000 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
    await rest(c);
  };
}

async function opened(
  caps: string,
  rest: (c: ScriptedConnection) => Promise<void>,
  extra: Partial<ConnectOptions> = {},
) {
  const server = await serve(script(caps, rest));
  const conn = await connect(server, extra);
  await conn.run('SELECT', [{ type: 'atom', value: 'INBOX' }]);
  return conn;
}

const set = (s: string) => SequenceSet.parse(s);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const pairs = (u: SearchUpdate) =>
  u.updates.map((c) => `${c.op} ${c.position} ${c.set.toString()}`);

describe('CONTEXT=SORT (RFC 5267 4.3, scripted server)', () => {
  it('positions in the sort order, two ADDTO items in one response, REMOVEFROM, CANCELUPDATE "tag"', async () => {
    const lines: string[] = [];
    const conn = await opened(CAPS, async (c) => {
      lines.push(await c.expect(/UID SORT/));
      const tag = c.tag;
      await c.write(`* ESEARCH (TAG "${tag}") UID ALL 2735:2734\r\n${tag} OK sorted\r\n`);
      // The RFC's example (4.3.3), then a removal at position 2.
      await c.write(`* ESEARCH (TAG "${tag}") UID ADDTO (1 2733) ADDTO (1 2731:2732)\r\n`);
      await c.write(`* ESEARCH (TAG "${tag}") UID REMOVEFROM (2 2732)\r\n`);
      lines.push(await c.expect(/CANCELUPDATE/));
      await c.write('$tag OK cancelled\r\n');
    });
    const live = await sortContext(conn, [{ reverse: 'DATE' }], { deleted: false }, { uid: true });
    expect(lines[0]).toBe(
      `${live.tag} UID SORT RETURN (ALL UPDATE) (REVERSE DATE) UTF-8 UNDELETED`,
    );
    expect(live.command).toBe('SORT');
    expect(live.result.all!.toString()).toBe('2735:2734');
    const initial = sortedMembers(live.result.all!);
    expect(initial).toEqual([2734, 2735]);

    const it = live[Symbol.asyncIterator]();
    const first = await it.next();
    const second = await it.next();
    expect(pairs(first.value!)).toEqual(['ADDTO 1 2733', 'ADDTO 1 2731:2732']);
    expect(pairs(second.value!)).toEqual(['REMOVEFROM 2 2732']);
    const afterAdd = applyContextUpdates(initial, first.value!.updates);
    expect(afterAdd).toEqual([2731, 2732, 2733, 2734, 2735]);
    expect(applyContextUpdates(afterAdd, second.value!.updates)).toEqual([2731, 2733, 2734, 2735]);

    // Leaving the loop (its iterator's return()) cancels the context.
    expect(await it.return!()).toEqual({ value: undefined, done: true });
    expect(live.endReason).toBe('cancelled');
    expect(lines[1]).toMatch(new RegExp(`^T\\d+ CANCELUPDATE "${live.tag}"$`));
  });

  it('PARTIAL of a sort needs CONTEXT=SORT and comes back in sort order; ALL with PARTIAL is refused', async () => {
    const lines: string[] = [];
    const conn = await opened(CAPS, async (c) => {
      lines.push(await c.expect(/SORT/));
      await c.write('* ESEARCH (TAG "$tag") PARTIAL (1:2 2,1)\r\n$tag OK sorted\r\n');
    });
    const r = await esort(conn, ['SUBJECT'], {}, { partial: '1:2' });
    expect(lines).toEqual([
      expect.stringMatching(/^T\d+ SORT RETURN \(PARTIAL 1:2\) \(SUBJECT\) UTF-8 ALL$/),
    ]);
    expect(r).toEqual({ uid: false, partial: { range: '1:2', set: set('2,1') } });
    expect(sortedMembers(r.partial!.set!)).toEqual([2, 1]);
    await expect(esort(conn, ['SUBJECT'], {}, { return: ['ALL'], partial: '1:2' })).rejects.toThrow(
      ImapArgumentError,
    );
    await expect(esort(conn, ['SUBJECT'], {}, { partial: '-1:-2' })).rejects.toThrow(/PARTIAL/);
  });

  it('without ESORT, RETURN options on SORT are refused before sending; plain SORT still works', async () => {
    const conn = await opened('IMAP4rev1 SORT', async (c) => {
      await c.expect(/SORT \(SUBJECT\)/);
      await c.write('* SORT 2 1\r\n$tag OK sorted\r\n');
    });
    await expect(esort(conn, ['SUBJECT'], {}, { return: ['MIN'] })).rejects.toThrow(
      ImapCapabilityError,
    );
    await expect(searchContext(conn, {})).rejects.toThrow(/CONTEXT=SEARCH/);
    expect(await sort(conn, ['SUBJECT'], {})).toEqual([2, 1]);
  });
});

describe('CONTEXT=SEARCH edge cases (scripted server)', () => {
  it('NOUPDATE: the result is kept, the context is refused and iterates nothing (RFC 5267 4.3.1)', async () => {
    const conn = await opened(CAPS, async (c) => {
      await c.expect(/UID SEARCH RETURN \(COUNT UPDATE\) KEYWORD \$Junk$/);
      await c.write(
        '* ESEARCH (TAG "$tag") UID COUNT 23\r\n* NO [NOUPDATE "$tag"] Too many contexts\r\n' +
          '$tag OK Search completed, will not notify\r\n',
      );
    });
    const live = await searchContext(conn, { keyword: '$Junk' }, { uid: true, return: ['COUNT'] });
    expect(live.result).toEqual({ uid: true, count: 23 });
    expect(live.refused).toBe(true);
    expect(live.endReason).toBe('refused');
    expect(await live.next()).toEqual({ value: undefined, done: true });
  });

  it("an update arriving before another running SEARCH's own ESEARCH goes to its context", async () => {
    const conn = await opened(CAPS, async (c) => {
      await c.expect(/UID SEARCH RETURN \(ALL UPDATE\)/);
      const live = c.tag;
      await c.write(`* ESEARCH (TAG "${live}") UID ALL 1:3\r\n${live} OK done\r\n`);
      await c.expect(/SEARCH RETURN \(COUNT\)/);
      await c.write(
        `* ESEARCH (TAG "${live}") UID ADDTO (0 9)\r\n* ESEARCH (TAG "$tag") COUNT 3\r\n` +
          `* ESEARCH (TAG "${live}") UID REMOVEFROM (0 2)\r\n$tag OK done\r\n`,
      );
    });
    const live = await searchContext(conn, { all: true }, { uid: true });
    const count = await esearch(conn, { all: true }, { return: ['COUNT'] });
    expect(count).toEqual({ uid: false, count: 3 });
    const got = [await live.next(), await live.next()];
    expect(got.map((r) => pairs(r.value!))).toEqual([['ADDTO 0 9'], ['REMOVEFROM 0 2']]);
    const updates = got.flatMap((r) => r.value!.updates);
    expect(applyContextUpdates([...live.result.all!.values()], updates)).toEqual([1, 3, 9]);
  });

  it('a consumer that never reads: past maxBuffered the context ends with LIMIT and is cancelled', async () => {
    const lines: string[] = [];
    const conn = await opened(CAPS, async (c) => {
      await c.expect(/UID SEARCH RETURN \(ALL UPDATE\)/);
      const live = c.tag;
      await c.write(`* ESEARCH (TAG "${live}") UID ALL 1\r\n${live} OK done\r\n`);
      await c.expect(/NOOP/);
      for (let i = 2; i <= 4; i++)
        await c.write(`* ESEARCH (TAG "${live}") UID ADDTO (0 ${i})\r\n`);
      await c.write('$tag OK noop\r\n');
      lines.push(await c.expect(/CANCELUPDATE/));
      await c.write('$tag OK cancelled\r\n');
    });
    const live = await searchContext(conn, { all: true }, { uid: true, maxBuffered: 2 });
    await noop(conn);
    expect(live.endReason).toBe('limit');
    expect(pairs((await live.next()).value!)).toEqual(['ADDTO 0 2']);
    expect(pairs((await live.next()).value!)).toEqual(['ADDTO 0 3']);
    const err = await live.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapLimitError);
    expect(err).toMatchObject({ code: 'LIMIT', limit: 'contextUpdates' });
    await vi.waitFor(() =>
      expect(lines).toEqual([`${lines[0]!.split(' ')[0]} CANCELUPDATE "${live.tag}"`]),
    );
  });

  it('past maxBufferedBytes (ranges counted, never expanded) the context ends with LIMIT and is cancelled', async () => {
    const lines: string[] = [];
    const conn = await opened(CAPS, async (c) => {
      await c.expect(/UID SEARCH RETURN \(ALL UPDATE\)/);
      const live = c.tag;
      await c.write(`* ESEARCH (TAG "${live}") UID ALL 1\r\n${live} OK done\r\n`);
      await c.expect(/NOOP/);
      // 264, 264 (800,001 UIDs, one range) and 480 estimated bytes: 1008 > 1000.
      await c.write(`* ESEARCH (TAG "${live}") UID ADDTO (0 2)\r\n`);
      await c.write(`* ESEARCH (TAG "${live}") UID ADDTO (0 100000:900000)\r\n`);
      await c.write(`* ESEARCH (TAG "${live}") UID ADDTO (0 4,6,8,10:12)\r\n`);
      await c.write('$tag OK noop\r\n');
      lines.push(await c.expect(/CANCELUPDATE/));
      await c.write('$tag OK cancelled\r\n');
    });
    await expect(
      searchContext(conn, { all: true }, { uid: true, maxBufferedBytes: 0 }),
    ).rejects.toThrow(ImapArgumentError);
    const live = await searchContext(conn, { all: true }, { uid: true, maxBufferedBytes: 1000 });
    expect(live.bufferedBytes).toBe(0);
    await noop(conn);
    expect(live.endReason).toBe('limit');
    expect(live.buffered).toBe(2);
    expect(live.bufferedBytes).toBe(528);
    expect(pairs((await live.next()).value!)).toEqual(['ADDTO 0 2']);
    expect(live.bufferedBytes).toBe(264);
    expect(pairs((await live.next()).value!)).toEqual(['ADDTO 0 100000:900000']);
    expect(live.bufferedBytes).toBe(0);
    const err = await live.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapLimitError);
    expect(err).toMatchObject({ code: 'LIMIT', limit: 'contextUpdateBytes' });
    expect((err as Error).message).toMatch(/1008 bytes, over maxBufferedBytes 1000/);
    await vi.waitFor(() =>
      expect(lines).toEqual([`${lines[0]!.split(' ')[0]} CANCELUPDATE "${live.tag}"`]),
    );
  });

  it('aborted once sent: CANCELUPDATE "tag" follows its tagged response; aborted before, nothing is sent', async () => {
    const controller = new AbortController();
    let contextTag = '';
    let beforeTagged = '';
    const lines: string[] = [];
    const sent = deferred();
    const aborted = deferred();
    const conn = await opened(CAPS, async (c) => {
      await c.expect(/UID SEARCH RETURN \(ALL UPDATE\) ALL$/);
      contextTag = c.tag;
      sent.resolve();
      await aborted.promise;
      // An early CANCELUPDATE would be here by now.
      await new Promise((r) => setTimeout(r, 50));
      beforeTagged = c.received().toString('latin1');
      await c.write(
        `* ESEARCH (TAG "${contextTag}") UID ALL 1:3\r\n${contextTag} OK Search done\r\n`,
      );
      lines.push(await c.expect(/CANCELUPDATE/));
      await c.write('$tag OK cancelled\r\n');
      lines.push(await c.expect(/^\S+ NOOP$/));
      await c.write('$tag OK noop\r\n');
    });
    const opening = searchContext(conn, { all: true }, { uid: true, signal: controller.signal });
    await sent.promise;
    controller.abort();
    await expect(opening).rejects.toMatchObject({ code: 'ABORTED' });
    // Already aborted: rejected before anything is sent, so no CANCELUPDATE for it.
    await expect(
      searchContext(conn, { seen: true }, { uid: true, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    aborted.resolve();
    await noop(conn);
    expect(beforeTagged).not.toMatch(/CANCELUPDATE/);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^T\\d+ CANCELUPDATE "${contextTag}"$`)),
      expect.stringMatching(/^T\d+ NOOP$/),
    ]);
    expect(conn.closed).toBe(false);
  });

  it('over its collection limit: the command fails with LIMIT and CANCELUPDATE "tag" follows', async () => {
    const lines: string[] = [];
    const conn = await opened(
      CAPS,
      async (c) => {
        await c.expect(/UID SORT RETURN \(ALL UPDATE\)/);
        const tag = c.tag;
        const all = Array.from({ length: 100 }, (_, i) => String(2 * i + 1)).join(',');
        await c.write(`* ESEARCH (TAG "${tag}") UID ALL ${all}\r\n${tag} OK sorted\r\n`);
        lines.push(await c.expect(/CANCELUPDATE/));
        await c.write('$tag OK cancelled\r\n');
      },
      { maxCollectedBytes: 300 },
    );
    const err = await sortContext(conn, ['DATE'], {}, { uid: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapLimitError);
    expect(err).toMatchObject({ code: 'LIMIT', limit: 'maxCollectedBytes' });
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toMatch(/^T\d+ CANCELUPDATE "T\d+"$/);
    expect(lines[0]!.split(' ')[2]).toBe(`"${(err as ImapLimitError).command!.split(' ')[0]}"`);
  });

  it('a malformed ADDTO closes the connection with a parse error; the context ends with it', async () => {
    const conn = await opened(CAPS, async (c) => {
      await c.expect(/UID SEARCH RETURN \(ALL UPDATE\)/);
      const live = c.tag;
      await c.write(`* ESEARCH (TAG "${live}") UID ALL 1\r\n${live} OK done\r\n`);
      await c.write(`* ESEARCH (TAG "${live}") UID ADDTO (0 0:*)\r\n`);
      await c.run([{ stall: true }]);
    });
    const live = await searchContext(conn, { all: true }, { uid: true });
    await expect(live.next()).rejects.toThrow(ImapParseError);
    expect(live.endReason).toBe('closed');
    expect(conn.closed).toBe(true);
  });
});

describe('the router and the helpers (RFC 5267 4.3.2, 3.2)', () => {
  it('an ESEARCH whose correlator names no command in flight is unsolicited, not taken by another', () => {
    const update: UntaggedResponse = {
      kind: 'untagged',
      name: 'ESEARCH',
      tag: 'A5',
      uid: true,
      updates: [{ op: 'ADDTO', position: 0, set: set('9') }],
      other: new Map(),
    };
    const taken: string[] = [];
    const inFlight = [{ tag: 'A7', collect: new Set(['ESEARCH']) }];
    expect(offer(inFlight, update, 0, (c) => (taken.push(c.tag), true))).toBe(false);
    expect(taken).toEqual([]);
    // Its own command, in flight, gets it.
    expect(
      offer(
        [...inFlight, { tag: 'A5', collect: new Set(['ESEARCH']) }],
        update,
        0,
        (c) => (taken.push(c.tag), true),
      ),
    ).toBe(true);
    expect(taken).toEqual(['A5']);
  });

  it('sortedMembers lists each range upwards (12:10 is 10, 11, 12) in the order sent', () => {
    expect(sortedMembers(set('5,12:10,3'))).toEqual([5, 10, 11, 12, 3]);
    expect(() => sortedMembers(set('1:*'))).toThrow(ImapArgumentError);
  });

  it('applyContextUpdates: position 0 keeps mailbox order, non-zero positions insert and remove in place', () => {
    const u = (op: ContextUpdate['op'], position: number, s: string): ContextUpdate => ({
      op,
      position,
      set: set(s),
    });
    expect(applyContextUpdates([2, 5, 9], [u('ADDTO', 0, '7,1,5')])).toEqual([1, 2, 5, 7, 9]);
    expect(applyContextUpdates([2, 5, 9], [u('REMOVEFROM', 0, '9,2,4')])).toEqual([5]);
    expect(applyContextUpdates([8, 3, 6], [u('ADDTO', 2, '1'), u('ADDTO', 9, '4')])).toEqual([
      8, 1, 3, 6, 4,
    ]);
    // REMOVEFROM at a position that does not hold the member: removed wherever it is.
    expect(applyContextUpdates([8, 3, 6], [u('REMOVEFROM', 1, '6')])).toEqual([8, 3]);
    const input = [1, 2];
    applyContextUpdates(input, [u('ADDTO', 1, '3')]);
    expect(input).toEqual([1, 2]);
  });
});
