/**
 * Message commands that change mail, against the real Dovecot, each on a
 * scratch mailbox of its own (`t-msg-<random>`, deleted afterwards): STORE,
 * COPY, MOVE (native and emulated), EXPUNGE, UID EXPUNGE, CHECK, CLOSE,
 * UNSELECT, and STORE issued from inside a FETCH loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/commands/check.js';
import { close } from '../../src/commands/close.js';
import { copy } from '../../src/commands/copy.js';
import { expunge } from '../../src/commands/expunge.js';
import { fetch, fetchAll, type PausableContext } from '../../src/commands/fetch.js';
import { move } from '../../src/commands/move.js';
import { search } from '../../src/commands/search.js';
import { store } from '../../src/commands/store.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import { unselect } from '../../src/commands/unselect.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import { ImapCapabilityError, ImapStateError } from '../../src/model/errors.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { atom, list, literal, mailbox } from '../../src/wire/args.js';
import type { CommandArg } from '../../src/wire/command-arg.js';
import { connectAlice, testMessage } from '../helpers/dovecot.js';
import { countingContext } from '../helpers/pausable-context.js';

let conn: ImapConnection;
const created: string[] = [];

function scratchName(): string {
  return `t-msg-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a scratch mailbox with `count` messages (`scratch 1`...), optionally selects it. */
async function scratch(c: ImapConnection, count: number, select = true): Promise<string> {
  const name = scratchName();
  created.push(name);
  await c.exec('CREATE', [mailbox(name)]);
  if (count > 0) {
    // One MULTIAPPEND (RFC 3502, which the test Dovecot has) for all of them.
    const args: CommandArg[] = [mailbox(name)];
    for (let i = 1; i <= count; i++) args.push(list([]), literal(testMessage(`scratch ${i}`)));
    await c.exec('APPEND', args);
  }
  if (select) await c.exec('SELECT', [mailbox(name)]);
  return name;
}

/** MESSAGES of a mailbox through STATUS. */
async function messagesIn(c: ImapConnection, name: string): Promise<number> {
  const r = await c.exec('STATUS', [mailbox(name), list([atom('MESSAGES')])], {
    collect: ['STATUS'],
  });
  const s = r.untagged.find((u) => u.name === 'STATUS');
  if (s === undefined || s.name !== 'STATUS') throw new Error('no STATUS response');
  return s.items.get('MESSAGES') as number;
}

/** UIDs and flags of the selected mailbox. */
async function state(c: PausableContext): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  for (const m of await fetchAll(c, '1:*', { uid: true, flags: true })) {
    out.set(m.uid!, new Set([...m.flags!].filter((f) => f !== '\\Recent')));
  }
  return out;
}

beforeAll(async () => {
  conn = await connectAlice();
});

afterAll(async () => {
  if (conn === undefined) return;
  if (conn.state === 'selected') await conn.run('UNSELECT');
  for (const name of created) await conn.run('DELETE', [mailbox(name)]);
  await conn.logout();
});

describe('STORE', () => {
  it('+FLAGS, -FLAGS and FLAGS return the new flags; .SILENT returns none', async () => {
    await scratch(conn, 3);
    const added = await store(conn, '1:2', { add: ['\\Flagged', '$Work'], uid: true });
    expect(added.updated.map((m) => m.uid)).toEqual([1, 2]);
    for (const m of added.updated) {
      expect(m.flags!.has('\\Flagged')).toBe(true);
      expect(m.flags!.has('$Work')).toBe(true);
    }
    expect(added.modified).toBeNull();

    const removed = await store(conn, 2, { remove: ['$Work'] });
    expect(removed.updated).toHaveLength(1);
    expect(removed.updated[0]!.seq).toBe(2);
    expect(removed.updated[0]!.flags!.has('$Work')).toBe(false);

    const silent = await store(conn, 3, { set: ['\\Seen', '\\Answered'], silent: true, uid: true });
    expect(silent.updated).toEqual([]);

    const s = await state(conn);
    expect([...s.get(1)!].sort()).toEqual(['$Work', '\\Flagged']);
    expect([...s.get(2)!].sort()).toEqual(['\\Flagged']);
    expect([...s.get(3)!].sort()).toEqual(['\\Answered', '\\Seen']);
  });

  it('UID STOREs pipelined together all apply', async () => {
    await scratch(conn, 6);
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((uid) =>
        store(conn, uid, { add: [`$K${uid}`], uid: true, silent: true }),
      ),
    );
    expect(results).toHaveLength(6);
    const s = await state(conn);
    for (let uid = 1; uid <= 6; uid++) expect(s.get(uid)!.has(`$K${uid}`)).toBe(true);
  });

  it('UNCHANGEDSINCE with a stale MODSEQ reports the message in MODIFIED and leaves it alone', async () => {
    await scratch(conn, 2);
    const before = await fetchAll(conn, '1:*', { uid: true, modseq: true }, { uid: true });
    const known = before.reduce((max, m) => (m.modseq! > max ? m.modseq! : max), 0n);
    // Another change to UID 1 makes our `known` MODSEQ stale for it.
    await store(conn, 1, { add: ['\\Seen'], uid: true });
    const r = await store(conn, '1:2', { add: ['\\Flagged'], unchangedSince: known, uid: true });
    expect(r.modified?.toString()).toBe('1');
    const s = await state(conn);
    expect(s.get(1)!.has('\\Flagged')).toBe(false);
    expect(s.get(2)!.has('\\Flagged')).toBe(true);
  });

  it("a STORE by sequence number leaves another session's flag change outside its set to the fetch event", async () => {
    const name = await scratch(conn, 3);
    const other = await connectAlice();
    const events: { seq: number; flags: readonly string[] | undefined }[] = [];
    const onFetch = (r: { seq: number; attributes: { flags?: readonly string[] } }): void => {
      events.push({ seq: r.seq, flags: r.attributes.flags });
    };
    conn.on('fetch', onFetch);
    try {
      await other.exec('SELECT', [mailbox(name)]);
      await store(other, 1, { add: ['\\Flagged'] });
      // Dovecot announces the other session's change with this STORE's own answer.
      const r = await store(conn, 2, { add: ['$Mine'] });
      expect(r.updated.map((m) => m.seq)).toEqual([2]);
      expect(r.updated[0]!.flags).toContain('$Mine');
      await conn.exec('NOOP');
      expect(events.filter((e) => e.seq === 1).at(-1)?.flags).toContain('\\Flagged');
    } finally {
      conn.off('fetch', onFetch);
      await other.logout();
    }
  });

  it('STORE on the SEARCHRES result $', async () => {
    await scratch(conn, 4);
    await search(conn, { subject: 'scratch 3' }, { uid: true, return: ['SAVE'] });
    const r = await store(conn, SequenceSet.saved, { add: ['\\Flagged'], uid: true });
    expect(r.updated.map((m) => m.uid)).toEqual([3]);
  });
});

describe('a STORE inside a FETCH loop', () => {
  it('UID FETCH loop with UID STORE inside completes (no deadlock), buffer bounded', async () => {
    await scratch(conn, 30);
    const ctx = countingContext(conn);
    let n = 0;
    const loop = (async () => {
      for await (const m of fetch(
        ctx,
        '1:*',
        { uid: true, flags: true },
        { uid: true, highWaterMark: 2 },
      )) {
        await store(ctx, m.uid!, { add: ['$Visited'], uid: true, silent: true });
        n++;
      }
    })();
    await loop;
    expect(n).toBe(30);
    const s = await state(conn);
    expect([...s.values()].every((f) => f.has('$Visited'))).toBe(true);
    expect(ctx.pauses).toBeGreaterThan(0);
  });

  it('sequence-number FETCH loop with STORE by sequence number inside completes too', async () => {
    await scratch(conn, 12);
    const seqs: number[] = [];
    for await (const m of fetch(conn, '1:*', { flags: true }, { highWaterMark: 1 })) {
      const r = await store(conn, m.seq, { add: ['\\Seen'] });
      expect(r.updated[0]!.flags!.has('\\Seen')).toBe(true);
      seqs.push(m.seq);
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});

describe('COPY and MOVE', () => {
  let target: string;

  beforeAll(async () => {
    target = await scratch(conn, 0, false);
  });

  it('COPY returns COPYUID with the source and destination UIDs', async () => {
    const dest = await scratch(conn, 0, false);
    await scratch(conn, 3);
    const r = await copy(conn, '1:3', dest, { uid: true });
    expect(r).not.toBeNull();
    expect(r!.uidValidity).toBeGreaterThan(0);
    expect(r!.source.toString()).toBe('1:3');
    expect(r!.destination.toString()).toBe('1:3');
    expect(await messagesIn(conn, dest)).toBe(3);
    expect(conn.selected!.exists).toBe(3);
  });

  it('COPY to a mailbox that does not exist fails with TRYCREATE', async () => {
    await scratch(conn, 1);
    await expect(copy(conn, 1, `${scratchName()}-missing`)).rejects.toMatchObject({
      responseCode: { name: 'TRYCREATE' },
    });
  });

  it('MOVE moves atomically and returns COPYUID and the expunged sequence numbers', async () => {
    const dest = await scratch(conn, 0, false);
    await scratch(conn, 3);
    const r = await move(conn, 2, dest, { uid: true });
    expect(r.emulated).toBe(false);
    expect(r.copyUid!.source.toString()).toBe('2');
    expect(r.copyUid!.destination.toString()).toBe('1');
    expect(r.expunged).toEqual([2]);
    expect([...(await state(conn)).keys()]).toEqual([1, 3]);
    expect(await messagesIn(conn, dest)).toBe(1);
  });

  it('without MOVE (UIDPLUS present): COPY + STORE + UID EXPUNGE of just those UIDs', async () => {
    await scratch(conn, 4);
    // Another message already marked \Deleted must survive the emulated move.
    await store(conn, 1, { add: ['\\Deleted'], uid: true, silent: true });
    const ctx = countingContext(conn, ['MOVE']);
    const before = await messagesIn(conn, target);
    const r = await move(ctx, '3:4', target, { uid: true });
    expect(r.emulated).toBe(true);
    expect(r.copyUid!.source.toString()).toBe('3:4');
    expect(r.expunged).toHaveLength(2);
    const s = await state(conn);
    expect([...s.keys()]).toEqual([1, 2]);
    expect(s.get(1)!.has('\\Deleted')).toBe(true);
    expect(await messagesIn(conn, target)).toBe(before + 2);
  });

  it('without MOVE, by sequence numbers: UIDs are pinned with FETCH first', async () => {
    await scratch(conn, 3);
    const ctx = countingContext(conn, ['MOVE']);
    const r = await move(ctx, 2, target);
    expect(r.emulated).toBe(true);
    expect(r.copyUid!.source.toString()).toBe('2');
    expect([...(await state(conn)).keys()]).toEqual([1, 3]);
  });

  it('without MOVE and UIDPLUS: refused unless allowExpungeAll, which also expunges other \\Deleted', async () => {
    await scratch(conn, 3);
    await store(conn, 1, { add: ['\\Deleted'], uid: true, silent: true });
    const ctx = countingContext(conn, ['MOVE', 'UIDPLUS']);
    await expect(move(ctx, 2, target, { uid: true })).rejects.toBeInstanceOf(ImapCapabilityError);
    expect([...(await state(conn)).keys()]).toEqual([1, 2, 3]);
    const r = await move(ctx, 2, target, { uid: true, allowExpungeAll: true });
    expect(r.emulated).toBe(true);
    // The documented cost: message 1 (already \Deleted) is gone too.
    expect([...(await state(conn)).keys()]).toEqual([3]);
  });
});

describe('an EXAMINEd (read-only) mailbox', () => {
  it('STORE, EXPUNGE and MOVE (native and emulated) throw ImapStateError before sending; COPY works', async () => {
    // Dovecot answers a STORE there `OK Store ignored` and performs a MOVE.
    const name = await scratch(conn, 3, false);
    const dest = await scratch(conn, 0, false);
    await conn.exec('SELECT', [mailbox(name)]);
    await store(conn, 3, { add: ['\\Deleted'], uid: true, silent: true });
    await conn.exec('EXAMINE', [mailbox(name)]);
    const sent: string[] = [];
    const ctx = countingContext(conn);
    const emulating = countingContext(conn, ['MOVE']);
    for (const c of [ctx, emulating]) {
      const exec = c.exec;
      c.exec = ((command, ...rest) => {
        sent.push(command);
        return exec(command, ...rest);
      }) as typeof exec;
    }
    for (const attempt of [
      () => store(ctx, '1:2', { add: ['\\Seen'], uid: true }),
      () => store(ctx, 1, { set: [] }),
      () => expunge(ctx),
      () => uidExpunge(ctx, '3'),
      () => move(ctx, '1', dest, { uid: true }),
      () => move(ctx, 2, dest),
      () => move(emulating, '1', dest, { uid: true }),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(ImapStateError);
    }
    expect(sent).toEqual([]);
    const s = await state(conn);
    expect([...s.keys()]).toEqual([1, 2, 3]);
    expect(s.get(1)!.has('\\Seen')).toBe(false);
    expect(await messagesIn(conn, dest)).toBe(0);
    const r = await copy(ctx, '1', dest, { uid: true });
    expect(r!.source.toString()).toBe('1');
    expect(await messagesIn(conn, dest)).toBe(1);
    // Selected read-write again, the same STORE goes through.
    await conn.exec('SELECT', [mailbox(name)]);
    const w = await store(ctx, '1', { add: ['\\Seen'], uid: true });
    expect(w.updated[0]!.flags!.has('\\Seen')).toBe(true);
  });
});

describe('EXPUNGE, UID EXPUNGE, CHECK, CLOSE, UNSELECT', () => {
  it('EXPUNGE returns the expunged sequence numbers', async () => {
    await scratch(conn, 5);
    await store(conn, '2,4', { add: ['\\Deleted'], uid: true, silent: true });
    const r = await expunge(conn);
    expect(r.expunged).toHaveLength(2);
    expect(r.vanished).toBeNull();
    // Each number is relative to the mailbox after the previous expunges (Dovecot sends 4 then 2).
    const left = [1, 2, 3, 4, 5];
    for (const n of r.expunged) left.splice(n - 1, 1);
    expect(left).toEqual([1, 3, 5]);
    expect(conn.selected!.exists).toBe(3);
    expect([...(await state(conn)).keys()]).toEqual([1, 3, 5]);
  });

  it('UID EXPUNGE removes only the listed UIDs', async () => {
    await scratch(conn, 3);
    await store(conn, '1:2', { add: ['\\Deleted'], uid: true, silent: true });
    const r = await uidExpunge(conn, 2);
    expect(r.expunged).toEqual([2]);
    expect([...(await state(conn)).keys()]).toEqual([1, 3]);
  });

  it('with QRESYNC enabled, EXPUNGE reports VANISHED UIDs', async () => {
    const q = await connectAlice({ enable: ['QRESYNC'] });
    try {
      expect(q.enabled.has('QRESYNC')).toBe(true);
      await scratch(q, 4);
      await store(q, '2:3', { add: ['\\Deleted'], uid: true, silent: true });
      const r = await expunge(q);
      expect(r.vanished?.toString()).toBe('2:3');
      expect(r.expunged).toEqual([]);
    } finally {
      await q.run('UNSELECT');
      await q.logout();
    }
  });

  it('CHECK succeeds; UNSELECT leaves without expunging; CLOSE expunges silently', async () => {
    const name = await scratch(conn, 3);
    await check(conn);
    await store(conn, 1, { add: ['\\Deleted'], uid: true, silent: true });
    await unselect(conn);
    expect(conn.state).toBe('authenticated');
    expect(await messagesIn(conn, name)).toBe(3);
    await conn.exec('SELECT', [mailbox(name)]);
    await close(conn);
    expect(conn.state).toBe('authenticated');
    expect(await messagesIn(conn, name)).toBe(2);
  });
});
