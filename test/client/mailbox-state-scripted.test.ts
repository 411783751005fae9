/**
 * The client's view of the selected mailbox when the server changes what
 * it cannot change or says what cannot be (scripted servers): a
 * UIDVALIDITY change mid-session emits `uidValidityChange` and rebuilds the
 * UID map (RFC 9051 2.3.1.1: the old UIDs are void); EXISTS going down
 * without EXPUNGE, an EXPUNGE of a message that does not exist and a
 * VANISHED of more messages than there are are reported as an `error`
 * (ImapError PROTOCOL), do not corrupt the count, and the UID map is
 * rebuilt rather than attaching wrong UIDs to later events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import type { ExpungeEvent } from '../../src/client/events.js';
import { ImapError } from '../../src/model/errors.js';
import {
  startScriptedServer,
  type ScriptedConnection,
  type ScriptedServer,
} from '../helpers/scripted-server.js';

let server: ScriptedServer | null = null;
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = null;
});

/**
 * A client (reconnection on: it keeps a UID map without QRESYNC) whose
 * server logs in with `caps` and runs `script`; its events recorded.
 */
async function scripted(
  caps: string,
  script: (c: ScriptedConnection) => Promise<void>,
): Promise<{ client: ImapClient; events: string[]; expunges: ExpungeEvent[]; errors: Error[] }> {
  server = await startScriptedServer(async (c) => {
    await c.write(`* OK [CAPABILITY ${caps}] scripted\r\n`);
    await c.expect(/^\S+ LOGIN /);
    await c.write(`$tag OK [CAPABILITY ${caps}] logged in\r\n`);
    await script(c);
    await c.closed();
  });
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    auth: { username: 'u', password: 'p', mechanism: 'LOGIN-COMMAND' },
    reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 1 },
    timeouts: { connect: 2000, greeting: 2000, command: 2000 },
  });
  clients.push(client);
  const events: string[] = [];
  const expunges: ExpungeEvent[] = [];
  const errors: Error[] = [];
  client.on('uidValidityChange', (e) =>
    events.push(`uidValidityChange ${e.previous}->${e.current}`),
  );
  client.on('exists', (e) => events.push(`exists ${e.prevCount}->${e.count}`));
  client.on('expunge', (e) => {
    expunges.push(e);
    events.push(`expunge ${e.seq}`);
  });
  client.on('vanished', (e) => events.push(`vanished ${e.uids.toString()}`));
  client.on('error', (e) => {
    errors.push(e);
    events.push('error');
  });
  return { client, events, expunges, errors };
}

/** SELECT INBOX answered for `exists` messages, UIDVALIDITY 7, then its UID snapshot `uids`. */
async function selectWithSnapshot(c: ScriptedConnection, exists: number, uids: string) {
  await c.expect(/^\S+ SELECT INBOX/);
  await c.write(
    `* ${exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT ${exists + 1}] ok\r\n` +
      '$tag OK [READ-WRITE] selected\r\n',
  );
  await c.expect(/^\S+ UID SEARCH ALL$/);
  await c.write(`* SEARCH ${uids}\r\n$tag OK searched\r\n`);
}

async function answerNoop(c: ScriptedConnection, untagged: string): Promise<void> {
  await c.expect(/^\S+ NOOP$/);
  await c.write(`${untagged}$tag OK noop\r\n`);
}

describe('UIDVALIDITY changed mid-session', () => {
  it('emits uidValidityChange and rebuilds the UID map from UID SEARCH ALL: later expunges name new UIDs', async () => {
    const { client, events, expunges } = await scripted('IMAP4rev1', async (c) => {
      await selectWithSnapshot(c, 3, '1 2 3');
      await answerNoop(c, '* OK [UIDVALIDITY 99] changed\r\n');
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('* SEARCH 50 51 52\r\n$tag OK searched\r\n');
      await answerNoop(c, '* 2 EXPUNGE\r\n');
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    expect(events).toEqual(['uidValidityChange 7->99']);
    expect(client.mailbox?.uidValidity).toBe(99);
    await client.noop();
    expect(expunges).toEqual([{ path: 'INBOX', seq: 2, uid: 51 }]);
    expect(client.mailbox?.exists).toBe(2);
  });

  it('a failed rebuild is reported as an error, nothing hangs, and events carry no stale UIDs', async () => {
    const { client, events, expunges, errors } = await scripted('IMAP4rev1', async (c) => {
      await selectWithSnapshot(c, 3, '1 2 3');
      await answerNoop(c, '* OK [UIDVALIDITY 99] changed\r\n');
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('$tag NO [SERVERBUG] search failed\r\n');
      await answerNoop(c, '* 1 EXPUNGE\r\n');
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    await client.noop();
    expect(events).toEqual(['uidValidityChange 7->99', 'error', 'expunge 1']);
    expect(errors[0]?.message).toContain('search failed');
    expect(expunges).toEqual([{ path: 'INBOX', seq: 1 }]);
  });
});

describe('mailbox data that cannot be right', () => {
  it('EXISTS going down without EXPUNGE: reported, UID map rebuilt, a later expunge names the right UID', async () => {
    const { client, events, expunges, errors } = await scripted('IMAP4rev1', async (c) => {
      await selectWithSnapshot(c, 5, '1 2 3 4 5');
      await answerNoop(c, '* 3 EXISTS\r\n');
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('* SEARCH 3 4 5\r\n$tag OK searched\r\n');
      await answerNoop(c, '* 1 EXPUNGE\r\n');
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    await client.noop();
    expect(events).toEqual(['exists 5->3', 'error', 'expunge 1']);
    expect(errors[0]).toBeInstanceOf(ImapError);
    expect(errors[0]).toMatchObject({ code: 'PROTOCOL' });
    expect(errors[0]?.message).toContain('EXISTS went down from 5 to 3');
    expect(expunges).toEqual([{ path: 'INBOX', seq: 1, uid: 3 }]);
    expect(client.mailbox?.exists).toBe(2);
  });

  it('an EXPUNGE of a message that does not exist is ignored (count kept) and reported; the map is rebuilt', async () => {
    const { client, events, expunges } = await scripted('IMAP4rev1', async (c) => {
      await selectWithSnapshot(c, 3, '1 2 3');
      await answerNoop(c, '* 7 EXPUNGE\r\n');
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
      await answerNoop(c, '* 3 EXPUNGE\r\n');
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    expect(client.mailbox?.exists).toBe(3);
    await client.noop();
    expect(events).toEqual(['error', 'expunge 3']);
    expect(expunges).toEqual([{ path: 'INBOX', seq: 3, uid: 3 }]);
    expect(client.mailbox?.exists).toBe(2);
  });

  it('a VANISHED of more messages than there are (QRESYNC) clamps the count at 0 and is reported', async () => {
    const caps = 'IMAP4rev1 CONDSTORE QRESYNC ENABLE';
    const { client, events, errors } = await scripted(caps, async (c) => {
      await c.expect(/^\S+ ENABLE /);
      await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ SELECT INBOX/);
      await c.write(
        '* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n' +
          '* OK [HIGHESTMODSEQ 10] ok\r\n$tag OK [READ-WRITE] selected\r\n',
      );
      await answerNoop(c, '* VANISHED 100:200\r\n');
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    expect(events).toEqual(['vanished 100:200', 'error']);
    expect(errors[0]?.message).toContain('VANISHED of 101 messages with 3 in the mailbox');
    expect(client.mailbox?.exists).toBe(0);
  });
});

describe('review of round 8 (a second look at these fixes)', () => {
  it('a UIDVALIDITY change also voids the saved HIGHESTMODSEQ: the mailbox shows none, not the old validity one', async () => {
    const caps = 'IMAP4rev1 CONDSTORE ENABLE';
    const { client, events } = await scripted(caps, async (c) => {
      await c.expect(/^\S+ ENABLE CONDSTORE$/);
      await c.write('* ENABLED CONDSTORE\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ SELECT INBOX/);
      await c.write(
        '* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n' +
          '* OK [HIGHESTMODSEQ 1000] ok\r\n$tag OK [READ-WRITE] selected\r\n',
      );
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('* SEARCH 1 2 3\r\n$tag OK searched\r\n');
      await answerNoop(c, '* OK [UIDVALIDITY 99] changed\r\n');
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('* SEARCH 50 51 52\r\n$tag OK searched\r\n');
      await answerNoop(c, '');
    });
    await client.mailboxOpen('INBOX');
    expect(client.mailbox?.highestModseq).toBe(1000n);
    await client.noop();
    await client.noop();
    expect(events).toEqual(['uidValidityChange 7->99']);
    expect(client.mailbox?.highestModseq).toBeNull();
  });

  it('UIDs of a UID SEARCH are not learned when a message was expunged during it (they may name other positions)', async () => {
    const { client, expunges } = await scripted('IMAP4rev1', async (c) => {
      await selectWithSnapshot(c, 3, '1 2 3');
      await answerNoop(c, '* 4 EXISTS\r\n'); // UID 4 arrives, not fetched
      await c.expect(/^\S+ UID SEARCH ALL$/);
      // The data names UID 4; then (allowed during a UID command) 4 goes and UID 5 arrives.
      await c.write('* SEARCH 1 2 3 4\r\n* 4 EXPUNGE\r\n* 4 EXISTS\r\n$tag OK searched\r\n');
      await answerNoop(c, '* 4 EXPUNGE\r\n'); // UID 5, whose UID the client never saw
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    expect(await client.search({ all: true })).toEqual([1, 2, 3, 4]);
    await client.noop();
    expect(expunges).toEqual([
      { path: 'INBOX', seq: 4 },
      { path: 'INBOX', seq: 4 },
    ]);
  });

  it('UIDs of a UID SEARCH with no removal during it fill in the messages known only by count', async () => {
    const { client, expunges } = await scripted('IMAP4rev1', async (c) => {
      await selectWithSnapshot(c, 3, '1 2 3');
      await answerNoop(c, '* 4 EXISTS\r\n');
      await c.expect(/^\S+ UID SEARCH ALL$/);
      await c.write('* SEARCH 1 2 3 4\r\n$tag OK searched\r\n');
      await answerNoop(c, '* 4 EXPUNGE\r\n');
    });
    await client.mailboxOpen('INBOX');
    await client.noop();
    await client.search({ all: true });
    await client.noop();
    expect(expunges).toEqual([{ path: 'INBOX', seq: 4, uid: 4 }]);
  });
});
