/**
 * What the client saves about the selected mailbox across reconnections,
 * on scripted servers (the sequences are hard to produce with a real one):
 * a resync attempt that fails part-way leaves the saved state as it was;
 * EXPUNGEs around a UID snapshot (during UID SEARCH, before or after its
 * data, between the parts of a snapshot cut by MESSAGELIMIT) keep the UIDs
 * of later expunge events right, another command's SEARCH data does not
 * count as the snapshot's; a resync emits no expunge, vanished or flags
 * event numbered by the new session before its `resync` event (flags come
 * after it), and `mailbox` shows the saved state until then; a tagged
 * `[HIGHESTMODSEQ]` is what the next QRESYNC asks from; a HIGHESTMODSEQ
 * going backwards is shown as reported, and one below the saved value at
 * the resync makes it a full flag resync (`method: 'full'`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import { noop } from '../../src/commands/noop.js';
import { search } from '../../src/commands/search.js';
import { select } from '../../src/commands/select.js';
import { ImapProtocolError } from '../../src/model/errors.js';
import {
  startScriptedServer,
  type ScriptedConnection,
  type ScriptedServer,
} from '../helpers/scripted-server.js';
import { nextEvent } from '../helpers/scripted-client.js';

let server: ScriptedServer | null = null;
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = null;
});

/** Runs `scripts[i]` on the i-th connection (the last one for any further). */
async function serveEach(
  scripts: Array<(c: ScriptedConnection) => Promise<void>>,
): Promise<ScriptedServer> {
  let n = 0;
  server = await startScriptedServer(async (c) => {
    const script = scripts[Math.min(n++, scripts.length - 1)]!;
    await script(c);
  });
  return server;
}

/** Greeting and LOGIN with `caps`. */
async function login(c: ScriptedConnection, caps: string): Promise<void> {
  await c.write(`* OK [CAPABILITY ${caps}] scripted\r\n`);
  await c.expect(/^\S+ LOGIN /);
  await c.write(`$tag OK [CAPABILITY ${caps}] logged in\r\n`);
}

async function connect(s: ScriptedServer, extra: { uidOnly?: boolean } = {}): Promise<ImapClient> {
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port: s.port,
    security: 'none',
    auth: { username: 'u', password: 'p' },
    reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 5 },
    timeouts: { connect: 2000, greeting: 2000, command: 2000 },
    ...extra,
  });
  clients.push(client);
  return client;
}

/** A SELECT answer: `exists` messages, UIDs 1..exists, HIGHESTMODSEQ `modseq`. */
function selected(exists: number, modseq: number): string {
  return (
    `* ${exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT ${exists + 1}] ok\r\n` +
    `* OK [HIGHESTMODSEQ ${modseq}] ok\r\n$tag OK [READ-WRITE] selected\r\n`
  );
}

const CONDSTORE = 'IMAP4rev1 CONDSTORE';

/**
 * A first session on a CONDSTORE server: the client selects INBOX
 * (`exists` messages, HIGHESTMODSEQ `modseq`) and takes its UID snapshot
 * (`uids`); the connection drops at the next NOOP.
 */
function dropAfterSnapshot(
  exists: number,
  modseq: number,
  uids: string,
): (c: ScriptedConnection) => Promise<void> {
  return async (c) => {
    await login(c, CONDSTORE);
    await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
    await c.write(selected(exists, modseq));
    await c.expect(/^\S+ UID SEARCH ALL$/);
    await c.write(`* SEARCH ${uids}\r\n$tag OK searched\r\n`);
    await c.expect(/^\S+ NOOP/);
    c.reset();
  };
}

describe('ImapClient saved mailbox state across reconnections', () => {
  it('a CONDSTORE resync that fails part-way leaves the saved HIGHESTMODSEQ alone: the next attempt asks for the same changes', async () => {
    const changedSince: string[] = [];
    const s = await serveEach([
      dropAfterSnapshot(3, 1000, '1 2 3'),
      // Attempt 1: the new SELECT reports 1500; the first change arrives, then the failure.
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1500));
        const line = await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE /);
        changedSince.push(/CHANGEDSINCE (\d+)/.exec(line)![1]!);
        // The attempt fails after reading one change (a NO is retried on a new connection).
        await c.write(
          '* 3 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (1500))\r\n$tag NO [SERVERBUG] fetch failed\r\n',
        );
        await c.closed();
      },
      // Attempt 2: completes.
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1500));
        const line = await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE /);
        changedSince.push(/CHANGEDSINCE (\d+)/.exec(line)![1]!);
        await c.write(
          '* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (1200))\r\n' +
            '* 3 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (1500))\r\n$tag OK fetched\r\n',
        );
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    expect(client.mailbox?.highestModseq).toBe(1000n);
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(changedSince).toEqual(['1000', '1000']);
    expect(event.method).toBe('condstore');
    expect(event.changed.map((m) => m.uid)).toEqual([1, 3]);
    expect(client.mailbox?.highestModseq).toBe(1500n);
  });

  it('EXPUNGEs during the resync snapshot: none reported before resync, all in its vanished, later expunges get the right UIDs', async () => {
    const s = await serveEach([
      dropAfterSnapshot(5, 1000, '1 2 3 4 5'),
      // Meanwhile UID 1 was expunged: UIDs 2 3 4 5 now.
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(4, 1000).replace('UIDNEXT 5', 'UIDNEXT 6'));
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 1000\)$/);
        await c.write('$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        // UID 3 goes before the data, UID 4 after it (allowed during UID SEARCH).
        await c.write('* 2 EXPUNGE\r\n* SEARCH 2 4 5\r\n* 2 EXPUNGE\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        await c.write('* 2 EXPUNGE\r\n$tag OK noop\r\n'); // UID 5
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const expunges: Array<[number, number | undefined]> = [];
    client.on('expunge', (e) => expunges.push([e.seq, e.uid]));
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(expunges).toEqual([]);
    expect([1, 2, 3, 4, 5].filter((u) => event.vanished?.has(u))).toEqual([1, 3, 4]);
    expect(event.count).toBe(2);
    await client.noop();
    expect(expunges).toEqual([[2, 5]]);
    expect(client.mailbox?.exists).toBe(1);
  });

  it('an EXPUNGE after the SELECT snapshot data but before its OK is applied: later expunges get the right UIDs', async () => {
    const s = await serveEach([
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3\r\n* 1 EXPUNGE\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        await c.write('* 1 EXPUNGE\r\n$tag OK noop\r\n'); // UID 2
        await c.closed();
      },
    ]);
    const client = await connect(s);
    const expunges: Array<[number, number | undefined]> = [];
    client.on('expunge', (e) => expunges.push([e.seq, e.uid]));
    await client.mailboxOpen('INBOX');
    expect(client.mailbox?.exists).toBe(2);
    await client.noop();
    expect(expunges).toEqual([
      [1, undefined],
      [1, 2],
    ]);
  });

  it('an EXPUNGE between the parts of a UID snapshot cut by MESSAGELIMIT makes it start over: later expunges get the right UIDs', async () => {
    const searches: string[] = [];
    const s = await serveEach([
      async (c) => {
        await login(c, `${CONDSTORE} MESSAGELIMIT=2`);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(4, 1000));
        searches.push(await c.expect(/^\S+ UID SEARCH /));
        // UID 3 goes after the first part's data: the second part cannot tell.
        await c.write('* SEARCH 3 4\r\n* 3 EXPUNGE\r\n$tag OK [MESSAGELIMIT 2 3] cut\r\n');
        searches.push(await c.expect(/^\S+ UID SEARCH /));
        await c.write('* SEARCH 1 2\r\n$tag OK searched\r\n');
        // Started over: UIDs 1 2 4 now.
        searches.push(await c.expect(/^\S+ UID SEARCH /));
        await c.write('* SEARCH 2 4\r\n$tag OK [MESSAGELIMIT 2 2] cut\r\n');
        searches.push(await c.expect(/^\S+ UID SEARCH /));
        await c.write('* SEARCH 1\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        await c.write('* 3 EXPUNGE\r\n$tag OK noop\r\n'); // UID 4
        await c.expect(/^\S+ NOOP/);
        await c.write('* 1 EXPUNGE\r\n$tag OK noop\r\n'); // UID 1
        await c.closed();
      },
    ]);
    const client = await connect(s);
    const expunges: Array<[number, number | undefined]> = [];
    client.on('expunge', (e) => expunges.push([e.seq, e.uid]));
    await client.mailboxOpen('INBOX');
    expect(searches.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'UID SEARCH ALL',
      'UID SEARCH UID 1:2',
      'UID SEARCH ALL',
      'UID SEARCH UID 1',
    ]);
    await client.noop();
    await client.noop();
    expect(expunges).toEqual([
      [3, undefined],
      [3, 4],
      [1, 1],
    ]);
    expect(client.mailbox?.exists).toBe(1);
  });

  it('a UID snapshot overtaken by EXPUNGEs between its parts five times fails the SELECT', async () => {
    let searches = 0;
    const s = await serveEach([
      async (c) => {
        await login(c, `${CONDSTORE} MESSAGELIMIT=2`);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(10, 1000));
        for (let i = 0; i < 5; i++) {
          await c.expect(/^\S+ UID SEARCH ALL$/);
          await c.write('* SEARCH 9 10\r\n* 3 EXPUNGE\r\n$tag OK [MESSAGELIMIT 2 9] cut\r\n');
          await c.expect(/^\S+ UID SEARCH UID 1:8$/);
          await c.write('* SEARCH 1 2 3 4\r\n$tag OK searched\r\n');
          searches++;
        }
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await expect(client.mailboxOpen('INBOX')).rejects.toThrow(ImapProtocolError);
    expect(searches).toBe(5);
    expect(client.mailbox).toBeNull();
  });

  it("another command's SEARCH data during the UID snapshot is not taken for the snapshot's", async () => {
    let sawSnapshot!: () => void;
    const snapshotSent = new Promise<void>((r) => (sawSnapshot = r));
    const s = await serveEach([
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1000));
        const snapshot = (await c.expect(/^\S+ UID SEARCH ALL$/)).split(' ')[0]!;
        sawSnapshot();
        const other = (await c.expect(/^\S+ UID SEARCH UID 3$/)).split(' ')[0]!;
        // The snapshot's data, then UID 1 goes, then the other search's data.
        await c.write(
          `* SEARCH 1 2 3\r\n* 1 EXPUNGE\r\n* SEARCH 2\r\n${other} OK searched\r\n` +
            `${snapshot} OK searched\r\n`,
        );
        await c.expect(/^\S+ NOOP/);
        await c.write('* 1 EXPUNGE\r\n$tag OK noop\r\n'); // UID 2
        await c.closed();
      },
    ]);
    const client = await connect(s);
    const expunges: Array<[number, number | undefined]> = [];
    client.on('expunge', (e) => expunges.push([e.seq, e.uid]));
    const opened = client.mailboxOpen('INBOX');
    await snapshotSent;
    const other = client.command((ctx) => search(ctx, { uid: '3' }, { uid: true }));
    await opened;
    expect((await other).numbers).toEqual([2]);
    await client.noop();
    expect(expunges).toEqual([
      [1, undefined],
      [1, 2],
    ]);
  });

  it('a VANISHED during the resync (UIDONLY) is held back and in its vanished; a message that came and went is not in changed', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE UIDONLY';
    const enable = async (c: ScriptedConnection): Promise<void> => {
      await login(c, caps);
      await c.expect(/^\S+ ENABLE /);
      await c.write('* ENABLED CONDSTORE UIDONLY\r\n$tag OK enabled\r\n');
    };
    const s = await serveEach([
      async (c) => {
        await enable(c);
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      // Meanwhile UID 4 arrived (flags changed on UID 1); during the resync UIDs 4 and 2 go.
      async (c) => {
        await enable(c);
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(4, 1001));
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 1000\)$/);
        await c.write(
          '* 1 UIDFETCH (FLAGS (\\Seen) MODSEQ (1001))\r\n' +
            '* 4 UIDFETCH (FLAGS () MODSEQ (1001))\r\n$tag OK fetched\r\n',
        );
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3 4\r\n* VANISHED 4\r\n* VANISHED 2\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        await c.write('* VANISHED 3\r\n$tag OK noop\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s, { uidOnly: true });
    await client.mailboxOpen('INBOX');
    const seen: string[] = [];
    client.on('vanished', (e) => seen.push(`vanished ${e.uids.toString()}`));
    client.on('resync', () => seen.push('resync'));
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(seen).toEqual(['resync']);
    expect([1, 2, 3, 4].filter((u) => event.vanished?.has(u))).toEqual([2, 4]);
    expect(event.changed.map((m) => m.uid)).toEqual([1]);
    expect(event.count).toBe(2);
    await client.noop();
    expect(seen).toEqual(['resync', 'vanished 3']);
    expect(client.mailbox?.exists).toBe(1);
  });

  it('a message the CONDSTORE resync reported changed but that is gone by its UID snapshot is not in changed', async () => {
    const s = await serveEach([
      dropAfterSnapshot(2, 1000, '1 2'),
      // UID 3 arrived meanwhile, and goes before the snapshot's data.
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1001));
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 1000\)$/);
        await c.write('* 3 FETCH (UID 3 FLAGS () MODSEQ (1001))\r\n$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* 3 EXPUNGE\r\n* SEARCH 1 2\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(event.changed).toEqual([]);
    expect(event.vanished).toBeNull();
    expect(event.count).toBe(2);
  });

  it('flag changes during the resync are emitted after resync, numbered as after it; those of expunged messages not at all', async () => {
    const s = await serveEach([
      dropAfterSnapshot(3, 1000, '1 2 3'),
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 1000\)$/);
        await c.write('$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        // UID 1 flagged then expunged, UID 3 seen: message 2 once UID 1 is gone.
        await c.write(
          '* 1 FETCH (FLAGS (\\Flagged))\r\n* 3 FETCH (FLAGS (\\Seen))\r\n' +
            '* SEARCH 1 2 3\r\n* 1 EXPUNGE\r\n$tag OK searched\r\n',
        );
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const seen: unknown[] = [];
    client.on('flags', (e) => seen.push(['flags', e.seq, e.uid, [...e.flags]]));
    client.on('resync', (e) => seen.push(['resync', e.vanished?.toString()]));
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    await resynced;
    expect(seen).toEqual([
      ['resync', '1'],
      ['flags', 2, 3, ['\\Seen']],
    ]);
  });

  it('held flag changes are not emitted once a resync listener has closed the client', async () => {
    const s = await serveEach([
      dropAfterSnapshot(3, 1000, '1 2 3'),
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 1000\)$/);
        await c.write('$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* 3 FETCH (FLAGS (\\Seen))\r\n* SEARCH 1 2 3\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const seen: string[] = [];
    client.on('flags', () => seen.push('flags'));
    client.on('resync', () => {
      seen.push('resync');
      client.close();
    });
    const closed = nextEvent(client, 'close');
    await expect(client.noop()).rejects.toThrow();
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['resync']);
  });

  it('a held flag change is renumbered by a VANISHED that follows it in the resync (QRESYNC)', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE QRESYNC';
    const enable = async (c: ScriptedConnection): Promise<void> => {
      await login(c, caps);
      await c.expect(/^\S+ ENABLE /);
      await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
    };
    const s = await serveEach([
      async (c) => {
        await enable(c);
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(5, 400).replace('UIDNEXT 6', 'UIDNEXT 51'));
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      async (c) => {
        await enable(c);
        await c.expect(/^\S+ SELECT INBOX \(QRESYNC /);
        // In the same chunk as the SELECT's OK: UID 50 (message 5) seen, then UID 10 (message 1) gone.
        await c.write(
          '* 5 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 51] ok\r\n' +
            '* OK [HIGHESTMODSEQ 400] ok\r\n$tag OK [READ-WRITE] selected\r\n' +
            '* 5 FETCH (UID 50 FLAGS (\\Seen) MODSEQ (401))\r\n* VANISHED 10\r\n',
        );
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const seen: unknown[] = [];
    client.on('flags', (e) => seen.push(['flags', e.seq, e.uid]));
    client.on('resync', (e) => seen.push(['resync', e.vanished?.toString(), e.count]));
    const flagged = nextEvent(client, 'flags');
    await expect(client.noop()).rejects.toThrow();
    await flagged;
    expect(seen).toEqual([
      ['resync', '10', 4],
      ['flags', 4, 50],
    ]);
  });

  it("while reconnecting, mailbox shows the state before the drop, not a new or failed session's", async () => {
    const gate = (): {
      reached: Promise<void>;
      reach: () => void;
      go: Promise<void>;
      open: () => void;
    } => {
      let reach!: () => void;
      let open!: () => void;
      const reached = new Promise<void>((r) => (reach = r));
      const go = new Promise<void>((r) => (open = r));
      return { reached, reach, go, open };
    };
    const inAttempt = gate();
    const beforeRetry = gate();
    const s = await serveEach([
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(`* FLAGS (\\Seen)\r\n${selected(3, 1000)}`);
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      // Attempt 1: the new session reports other values, then fails.
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(`* FLAGS (\\Seen \\Draft)\r\n${selected(9, 2000)}`);
        await c.expect(/^\S+ UID FETCH 1:\* /);
        inAttempt.reach();
        await inAttempt.go;
        await c.write('$tag NO [SERVERBUG] try again\r\n');
        await c.closed();
      },
      // Attempt 2: completes.
      async (c) => {
        beforeRetry.reach();
        await beforeRetry.go;
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(4, 1500));
        await c.expect(/^\S+ UID FETCH 1:\* /);
        await c.write('$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3 4\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const before = client.mailbox;
    expect(before).toMatchObject({
      exists: 3,
      uidNext: 4,
      highestModseq: 1000n,
      flags: ['\\Seen'],
    });
    const atResync: unknown[] = [];
    client.on('resync', () => atResync.push(client.mailbox?.exists));
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    await inAttempt.reached;
    expect(client.reconnecting).toBe(true);
    expect(client.mailbox).toEqual(before);
    inAttempt.open();
    await beforeRetry.reached;
    expect(client.mailbox).toEqual(before);
    beforeRetry.open();
    await resynced;
    expect(atResync).toEqual([4]);
    expect(client.mailbox).toMatchObject({ exists: 4, uidNext: 5, highestModseq: 1500n });
  });

  it('a FETCH MODSEQ does not become the saved HIGHESTMODSEQ: the QRESYNC reconnection asks from the last [HIGHESTMODSEQ]', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE QRESYNC';
    const qresyncModseq: string[] = [];
    const s = await serveEach([
      async (c) => {
        await login(c, caps);
        await c.expect(/^\S+ ENABLE /);
        await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(2, 400).replace('UIDNEXT 3', 'UIDNEXT 21'));
        // Another session expunged UID 10 (modseq 500), flagged UID 20 (501):
        // the EXPUNGE is held back during FETCH, the FETCH says MODSEQ 501.
        await c.expect(/^\S+ UID FETCH 20 \(MODSEQ\)$/);
        await c.write('* 2 FETCH (UID 20 MODSEQ (501))\r\n$tag OK fetched\r\n');
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      async (c) => {
        await login(c, caps);
        await c.expect(/^\S+ ENABLE /);
        await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
        const line = await c.expect(/^\S+ SELECT INBOX \(QRESYNC /);
        qresyncModseq.push(/QRESYNC \(7 (\d+)/.exec(line)![1]!);
        await c.write(
          '* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 21] ok\r\n' +
            '* OK [HIGHESTMODSEQ 501] ok\r\n* VANISHED (EARLIER) 10\r\n' +
            '* 1 FETCH (UID 20 FLAGS (\\Seen) MODSEQ (501))\r\n$tag OK [READ-WRITE] selected\r\n',
        );
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const m = await client.fetchOne(20, { modseq: true });
    expect(m?.modseq).toBe(501n);
    expect(client.mailbox?.highestModseq).toBe(400n);
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(qresyncModseq).toEqual(['400']);
    expect(event.vanished?.toString()).toBe('10');
  });

  it('a tagged OK [HIGHESTMODSEQ] after UID EXPUNGE becomes the saved HIGHESTMODSEQ the QRESYNC reconnection asks from', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE QRESYNC UIDPLUS';
    const qresync: string[] = [];
    const enable = async (c: ScriptedConnection): Promise<void> => {
      await login(c, caps);
      await c.expect(/^\S+ ENABLE /);
      await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
    };
    const s = await serveEach([
      async (c) => {
        await enable(c);
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(3, 400));
        await c.expect(/^\S+ UID STORE 2 \+FLAGS\.SILENT \(\\Deleted\)$/);
        await c.write('$tag OK stored\r\n');
        await c.expect(/^\S+ UID EXPUNGE 2$/);
        await c.write('* VANISHED 2\r\n$tag OK [HIGHESTMODSEQ 600] expunged\r\n');
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      async (c) => {
        await enable(c);
        qresync.push(await c.expect(/^\S+ SELECT INBOX \(QRESYNC /));
        await c.write(selected(2, 600));
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    await client.messageDelete(2);
    expect(client.mailbox?.highestModseq).toBe(600n);
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    await resynced;
    expect(qresync.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'SELECT INBOX (QRESYNC (7 600 1:3))',
    ]);
  });

  it('selecting another mailbox behind the client (command) does not give the tracked one its HIGHESTMODSEQ', async () => {
    const s = await serveEach([
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(1, 400));
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ SELECT Archive$/);
        await c.write(selected(1, 9000));
        await c.expect(/^\S+ NOOP/);
        await c.write('* 2 EXISTS\r\n$tag OK noop\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    await client.command((ctx) => select(ctx, 'Archive'));
    await client.command((ctx) => noop(ctx));
    expect(client.mailbox?.path).toBe('INBOX');
    expect(client.mailbox?.highestModseq).toBe(400n);
  });

  it('a resync SELECT refused with NO [UNAVAILABLE] is retried, not taken for a deleted mailbox', async () => {
    const s = await serveEach([
      dropAfterSnapshot(1, 400, '1'),
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write('$tag NO [UNAVAILABLE] mailbox backend down\r\n');
        await c.closed();
      },
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(1, 400));
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 400\)$/);
        await c.write('$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    const closes: string[] = [];
    client.on('mailboxClose', (e) => closes.push(e.path));
    await client.mailboxOpen('INBOX');
    const resynced = nextEvent(client, 'resync');
    const reconnected = nextEvent(client, 'reconnect');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect((await reconnected)[0].attempt).toBe(2);
    expect(event.method).toBe('condstore');
    expect(errors).toEqual([]);
    expect(closes).toEqual([]);
    expect(client.mailbox?.path).toBe('INBOX');
    expect(s.connections).toBe(3);
  });

  it('a [HIGHESTMODSEQ] lower than the saved one is what mailbox shows and what the next CONDSTORE resync asks from', async () => {
    const changedSince: string[] = [];
    const s = await serveEach([
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
        await c.expect(/^\S+ NOOP/);
        await c.write('* OK [HIGHESTMODSEQ 400] ok\r\n$tag OK noop\r\n');
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        await c.write(selected(3, 450));
        const line = await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE /);
        changedSince.push(/CHANGEDSINCE (\d+)/.exec(line)![1]!);
        await c.write('* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (450))\r\n$tag OK fetched\r\n');
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    await client.noop();
    expect(client.mailbox?.highestModseq).toBe(400n);
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(changedSince).toEqual(['400']);
    expect(event.method).toBe('condstore');
    expect(event.changed.map((m) => m.uid)).toEqual([2]);
  });

  it('a HIGHESTMODSEQ below the saved one at the resync SELECT (same UIDVALIDITY): every flag fetched, vanished from the tracked UIDs, method full', async () => {
    const fetches: string[] = [];
    const s = await serveEach([
      dropAfterSnapshot(3, 1000, '1 2 3'),
      async (c) => {
        await login(c, CONDSTORE);
        await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
        // UID 2 expunged, UID 4 arrived; the server lost its mod-sequences.
        await c.write(selected(3, 500).replace('UIDNEXT 4', 'UIDNEXT 5'));
        fetches.push(await c.expect(/^\S+ UID FETCH /));
        await c.write(
          '* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (480))\r\n' +
            '* 2 FETCH (UID 3 FLAGS () MODSEQ (20))\r\n' +
            '* 3 FETCH (UID 4 FLAGS (\\Flagged) MODSEQ (500))\r\n$tag OK fetched\r\n',
        );
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 3 4\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(fetches[0]).toMatch(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\)$/);
    expect(event.method).toBe('full');
    expect(event.vanished?.toString()).toBe('2');
    expect(event.changed.map((m) => m.uid)).toEqual([1, 3, 4]);
    expect(event.prevCount).toBe(3);
    expect(event.count).toBe(3);
    expect(client.mailbox?.highestModseq).toBe(500n);
  });

  it('a HIGHESTMODSEQ below the saved one at the QRESYNC resync: every flag fetched, vanished = known UIDs missing now, method full', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE QRESYNC';
    const s = await serveEach([
      async (c) => {
        await login(c, caps);
        await c.expect(/^\S+ ENABLE /);
        await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      async (c) => {
        await login(c, caps);
        await c.expect(/^\S+ ENABLE /);
        await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
        await c.expect(/^\S+ SELECT INBOX \(QRESYNC \(7 1000 1:3\)\)$/);
        await c.write(
          '* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n' +
            '* OK [HIGHESTMODSEQ 500] ok\r\n$tag OK [READ-WRITE] selected\r\n',
        );
        await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\)$/);
        await c.write(
          '* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (480))\r\n' +
            '* 2 FETCH (UID 3 FLAGS () MODSEQ (20))\r\n$tag OK fetched\r\n',
        );
        await c.expect(/^\S+ UID SEARCH ALL$/);
        await c.write('* SEARCH 1 3\r\n$tag OK searched\r\n');
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(event.method).toBe('full');
    expect(event.vanished?.toString()).toBe('2');
    expect(event.changed.map((m) => m.uid)).toEqual([1, 3]);
    expect(client.mailbox?.highestModseq).toBe(500n);
  });

  it('QRESYNC after an EXISTS past the known UIDs names every UID as known: the new message vanished meanwhile is in vanished', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE QRESYNC';
    const s = await serveEach([
      async (c) => {
        await login(c, caps);
        await c.expect(/^\S+ ENABLE /);
        await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
        await c.expect(/^\S+ SELECT INBOX$/);
        await c.write(selected(3, 1000));
        await c.expect(/^\S+ NOOP/);
        await c.write('* 4 EXISTS\r\n$tag OK noop\r\n'); // UID 4, never fetched
        await c.expect(/^\S+ NOOP/);
        c.reset();
      },
      async (c) => {
        await login(c, caps);
        await c.expect(/^\S+ ENABLE /);
        await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
        await c.expect(/^\S+ SELECT INBOX \(QRESYNC \(7 1000 1:4294967295\)\)$/);
        // UID 4 went, UID 5 arrived.
        await c.write(
          '* 4 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 6] ok\r\n' +
            '* OK [HIGHESTMODSEQ 1002] ok\r\n* VANISHED (EARLIER) 4\r\n' +
            '* 4 FETCH (UID 5 FLAGS () MODSEQ (1002))\r\n$tag OK [READ-WRITE] selected\r\n',
        );
        await c.closed();
      },
    ]);
    const client = await connect(s);
    await client.mailboxOpen('INBOX');
    await client.noop();
    expect(client.mailbox?.exists).toBe(4);
    const resynced = nextEvent(client, 'resync');
    await expect(client.noop()).rejects.toThrow();
    const [event] = await resynced;
    expect(event.vanished?.toString()).toBe('4');
    expect(event.changed.map((m) => m.uid)).toEqual([5]);
    expect(event).toMatchObject({ prevCount: 4, count: 4 });
  });

  it('QRESYNC: the messages that arrived above the known UIDs are fetched into changed; n:* naming the last known message adds nothing', async () => {
    const caps = 'IMAP4rev1 ENABLE CONDSTORE QRESYNC';
    const first = async (c: ScriptedConnection): Promise<void> => {
      await login(c, caps);
      await c.expect(/^\S+ ENABLE /);
      await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write(selected(3, 1000));
      await c.expect(/^\S+ NOOP/);
      c.reset();
    };
    const again = (exists: number, fetched: string) => async (c: ScriptedConnection) => {
      await login(c, caps);
      await c.expect(/^\S+ ENABLE /);
      await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ SELECT INBOX \(QRESYNC \(7 1000 1:3\)\)$/);
      await c.write(
        `* ${exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 5] ok\r\n` +
          '* OK [HIGHESTMODSEQ 1001] ok\r\n* VANISHED (EARLIER) 2\r\n$tag OK [READ-WRITE] selected\r\n',
      );
      await c.expect(/^\S+ UID FETCH 4:\* \(UID FLAGS MODSEQ\)$/);
      await c.write(`${fetched}$tag OK fetched\r\n`);
      await c.closed();
    };
    for (const [exists, fetched, uids] of [
      [3, '* 3 FETCH (UID 4 FLAGS (\\Seen) MODSEQ (1001))\r\n', [4]],
      // UID 4 arrived and went: 4:* names the last message, UID 3.
      [2, '* 2 FETCH (UID 3 FLAGS () MODSEQ (10))\r\n', []],
    ] as const) {
      const s = await serveEach([first, again(exists, fetched)]);
      const client = await connect(s);
      await client.mailboxOpen('INBOX');
      const resynced = nextEvent(client, 'resync');
      await expect(client.noop()).rejects.toThrow();
      const [event] = await resynced;
      expect(event.vanished?.toString()).toBe('2');
      expect(event.changed.map((m) => m.uid)).toEqual(uids);
      expect(event.count).toBe(event.prevCount - 1 + uids.length);
      client.close();
      await s.close();
      server = null;
    }
  });
});
