/**
 * ESORT and CONTEXT=SEARCH (RFC 5267) against the real Dovecot 2.3, which
 * announces ESORT and CONTEXT=SEARCH (not CONTEXT=SORT). Each test works in
 * a fresh mailbox holding four messages with the subjects b, a, d, c (UIDs
 * 1-4), watched by one connection and changed by a second one.
 *
 * What Dovecot was seen to send (and these tests pin down):
 * - `UID SORT RETURN (MIN MAX COUNT ALL) (SUBJECT)`: `UID MIN 2 MAX 3 ALL
 *   2,1,4,3 COUNT 4`: MIN/MAX are the first/last in sort order.
 * - Updates of a `RETURN (ALL UPDATE)` context come at its next mailbox
 *   sync (NOOP, IDLE, or the end of any other command, even while that
 *   command is still in flight), always at position 0: `ADDTO (0 uid)`
 *   after the `EXISTS` of a new message, `REMOVEFROM (0 uid)` when a flag
 *   change makes one stop matching, and `REMOVEFROM` *before* the
 *   `EXPUNGE` of a deleted one (RFC 5267 4.3.4).
 * - A flag change seen by the context's own command before its completion
 *   comes as an ADDTO ahead of its tagged OK.
 * - SELECT / EXAMINE ends every context (CANCELUPDATE then says `NO
 *   Unknown tag`); `SORT RETURN (UPDATE)` is accepted without CONTEXT=SORT
 *   but with position 0, which is why sortContext() needs the capability.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { append } from '../../src/commands/append.js';
import {
  cancelUpdate,
  searchContext,
  sortContext,
  type SearchUpdate,
} from '../../src/commands/context.js';
import { create } from '../../src/commands/create.js';
import { deleteMailbox } from '../../src/commands/delete.js';
import { esearch } from '../../src/commands/esearch.js';
import { esort, sortedMembers } from '../../src/commands/esort.js';
import { expunge } from '../../src/commands/expunge.js';
import { noop } from '../../src/commands/noop.js';
import { examine, select } from '../../src/commands/select.js';
import { store } from '../../src/commands/store.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import { ImapCapabilityError, ImapConnectionError } from '../../src/model/errors.js';
import { connectAlice, testMessage, uniqueMailbox } from '../helpers/dovecot.js';

let watcher: ImapConnection;
let changer: ImapConnection;
let box: string;

beforeEach(async () => {
  watcher = await connectAlice();
  changer = await connectAlice();
  box = uniqueMailbox('context');
  await create(watcher, box);
  for (const subject of ['b', 'a', 'd', 'c']) await append(watcher, box, testMessage(subject));
  await select(watcher, box);
  await select(changer, box);
});

afterEach(async () => {
  await changer.logout();
  if (!watcher.closed) {
    await deleteMailbox(watcher, box).catch(() => undefined);
    await watcher.logout();
  }
});

/** The updates buffered so far, as `op position set` strings. */
function drain(updates: SearchUpdate[]): string[] {
  return updates.flatMap((u) => u.updates.map((c) => `${c.op} ${c.position} ${c.set.toString()}`));
}

/** Reads `n` updates from a context iterator. */
async function take(it: AsyncIterator<SearchUpdate>, n: number): Promise<SearchUpdate[]> {
  const out: SearchUpdate[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}

describe('ESORT (RFC 5267 3) on Dovecot', () => {
  it('UID SORT RETURN (MIN MAX COUNT ALL): MIN and MAX follow the sort order, ALL keeps it', async () => {
    const r = await esort(
      watcher,
      ['SUBJECT'],
      {},
      { uid: true, return: ['MIN', 'MAX', 'COUNT', 'ALL'] },
    );
    expect(r).toMatchObject({ uid: true, min: 2, max: 3, count: 4 });
    expect(r.all!.toString()).toBe('2,1,4,3');
    expect(sortedMembers(r.all!)).toEqual([2, 1, 4, 3]);
  });

  it('REVERSE SUBJECT: ALL arrives as ranges in sort order, listed upwards within each range', async () => {
    const r = await esort(watcher, [{ reverse: 'SUBJECT' }], {}, { return: ['ALL'] });
    expect(r.uid).toBe(false);
    // d(3) c(4) b(1) a(2): Dovecot sends 3:4,1:2.
    expect(r.all!.toString()).toBe('3:4,1:2');
    expect(sortedMembers(r.all!)).toEqual([3, 4, 1, 2]);
  });

  it('RETURN () means ALL (RFC 5267 3.3)', async () => {
    const r = await esort(watcher, ['SUBJECT'], { all: true });
    expect(r).toEqual({ uid: false, all: expect.anything() });
    expect(r.all!.toString()).toBe('2,1,4,3');
  });

  it('PARTIAL on SORT needs CONTEXT=SORT, which Dovecot lacks: refused before sending', async () => {
    await expect(esort(watcher, ['SUBJECT'], {}, { partial: '1:2' })).rejects.toThrow(
      ImapCapabilityError,
    );
    await expect(sortContext(watcher, ['SUBJECT'], {})).rejects.toThrow(/CONTEXT=SORT/);
  });

  it('SEARCH RETURN (PARTIAL 2:3) is allowed by CONTEXT=SEARCH (RFC 5267 4.4)', async () => {
    const r = await esearch(watcher, {}, { partial: '2:3' });
    expect(r.partial).toEqual({ range: '2:3', set: expect.anything() });
    expect(r.partial!.set!.toString()).toBe('2:3');
    // A range from the end is RFC 9394's, which needs PARTIAL: Dovecot would say BAD.
    await expect(esearch(watcher, {}, { partial: '-1:-2' })).rejects.toThrow(/PARTIAL/);
  });
});

describe('CONTEXT=SEARCH updates (RFC 5267 4.3) on Dovecot', () => {
  it('UID SEARCH RETURN (ALL UPDATE) UNSEEN: ADDTO on arrival, REMOVEFROM on \\Seen and before EXPUNGE', async () => {
    const live = await searchContext(watcher, { seen: false }, { uid: true });
    expect(live.tag).toMatch(/^A\d+$/);
    expect(live.result.all!.toString()).toBe('1:4');
    const it = live[Symbol.asyncIterator]();

    await append(changer, box, testMessage('e'));
    await noop(watcher);
    expect(drain(await take(it, 1))).toEqual(['ADDTO 0 5']);

    await store(changer, 1, { add: ['\\Seen'] });
    await noop(watcher);
    expect(drain(await take(it, 1))).toEqual(['REMOVEFROM 0 1']);

    // The REMOVEFROM comes before the EXPUNGE (RFC 5267 4.3.4).
    const order: string[] = [];
    const onExpunge = (seq: number): void => {
      order.push(`EXPUNGE ${seq} (buffered ${live.buffered})`);
    };
    watcher.on('expunge', onExpunge);
    await store(changer, 2, { add: ['\\Deleted'] });
    await expunge(changer);
    await noop(watcher);
    watcher.off('expunge', onExpunge);
    expect(order).toEqual(['EXPUNGE 2 (buffered 1)']);
    expect(drain(await take(it, 1))).toEqual(['REMOVEFROM 0 2']);

    await live.cancel();
    expect(live.endReason).toBe('cancelled');
    await append(changer, box, testMessage('f'));
    await noop(watcher);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('updates arrive during IDLE', async () => {
    const live = await searchContext(watcher, { all: true }, { uid: true, return: ['COUNT'] });
    expect(live.result).toEqual({ uid: true, count: 4 });
    const idle = await watcher.idle();
    const next = live.next();
    await append(changer, box, testMessage('e'));
    const u = await next;
    await idle.done();
    expect(u.done).toBe(false);
    expect(drain([u.value!])).toEqual(['ADDTO 0 5']);
    await live.cancel();
  });

  it('an update sent while another ESEARCH runs reaches the context, not that command', async () => {
    const live = await searchContext(watcher, { seen: false }, { uid: true });
    await append(changer, box, testMessage('e'));
    // Dovecot answers with `* ESEARCH (TAG "count") UID COUNT 4`, then the
    // context's `* ESEARCH (TAG "live") UID ADDTO (0 5)`, then completes.
    const count = await esearch(watcher, { all: true }, { uid: true, return: ['COUNT'] });
    expect(count).toEqual({ uid: true, count: 4 });
    expect(live.buffered).toBe(1);
    expect(drain(await take(live[Symbol.asyncIterator](), 1))).toEqual(['ADDTO 0 5']);
    await live.cancel();
  });

  it('a SEARCH (not UID) context gets sequence numbers, and keeps them apart from a second context', async () => {
    const unseen = await searchContext(watcher, { seen: false }, { return: ['COUNT'] });
    const seen = await searchContext(watcher, { seen: true });
    expect(unseen.result).toEqual({ uid: false, count: 4 });
    expect(seen.result).toEqual({ uid: false });
    await store(changer, 3, { add: ['\\Seen'] });
    await noop(watcher);
    expect(drain(await take(unseen[Symbol.asyncIterator](), 1))).toEqual(['REMOVEFROM 0 3']);
    expect(drain(await take(seen[Symbol.asyncIterator](), 1))).toEqual(['ADDTO 0 3']);
    await cancelUpdate(watcher, [unseen.tag, seen.tag]);
    // Both contexts are gone on the server: cancelling one again is refused.
    await expect(cancelUpdate(watcher, [seen.tag])).rejects.toThrow(/Unknown tag/);
  });

  it('a change the command itself sees before completing comes as an ADDTO, not as its result', async () => {
    await store(changer, 1, { add: ['\\Seen'] });
    // Dovecot: `* ESEARCH (TAG "x") UID`, `* 1 FETCH ...`, `* ESEARCH (TAG "x") UID ADDTO (0 1)`, OK.
    const live = await searchContext(watcher, { seen: true }, { uid: true });
    expect(live.result).toEqual({ uid: true });
    expect(drain(await take(live[Symbol.asyncIterator](), 1))).toEqual(['ADDTO 0 1']);
    await live.cancel();
  });

  it('selecting a mailbox (even the same one) ends the context; updates received before are kept', async () => {
    const live = await searchContext(watcher, { seen: false }, { uid: true });
    await append(changer, box, testMessage('e'));
    await noop(watcher);
    await examine(watcher, box);
    expect(live.endReason).toBe('mailbox');
    const got = await take(live[Symbol.asyncIterator](), 5);
    expect(drain(got)).toEqual(['ADDTO 0 5']);
    await live.cancel(); // nothing to cancel: no command sent
    await expect(cancelUpdate(watcher, [live.tag])).rejects.toThrow(/Unknown tag/);
  });

  it('the connection closing ends the iteration with its error', async () => {
    const live = await searchContext(watcher, { seen: false }, { uid: true });
    const next = live.next();
    watcher.close(new ImapConnectionError('CONNECTION_CLOSED', 'test closes it'));
    await expect(next).rejects.toThrow(/test closes it/);
    expect(live.endReason).toBe('closed');
    // The mailbox is deleted by a new connection.
    watcher = await connectAlice();
  });
});
