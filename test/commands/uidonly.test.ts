/**
 * UIDONLY (RFC 9586): after `ENABLE UIDONLY` the server sends
 * `* uid UIDFETCH (...)` instead of FETCH and VANISHED instead of EXPUNGE,
 * and refuses commands naming messages by sequence number with
 * `BAD [UIDREQUIRED]`. Dovecot 2.3 lacks UIDONLY, so a scripted server
 * plays it.
 */
import { describe, expect, it } from 'vitest';
import { searchContext, sortContext } from '../../src/commands/context.js';
import { copy } from '../../src/commands/copy.js';
import { enable } from '../../src/commands/enable.js';
import { esort } from '../../src/commands/esort.js';
import { expunge } from '../../src/commands/expunge.js';
import { fetch, fetchAll, fetchOne, fetchStream } from '../../src/commands/fetch.js';
import { move } from '../../src/commands/move.js';
import { search } from '../../src/commands/search.js';
import { select } from '../../src/commands/select.js';
import { store } from '../../src/commands/store.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import { ImapProtocolError, ImapUidRequiredError } from '../../src/model/errors.js';
import type { UntaggedResponse } from '../../src/model/response.js';
import { raw, seq } from '../../src/wire/args.js';
import type { ScriptedConnection } from '../helpers/scripted-server.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

const { serve, connect } = useScriptedServers();

/** Greets, answers ENABLE UIDONLY and SELECT INBOX (3 messages: UIDs 10, 20, 30). */
async function uidOnlySession(c: ScriptedConnection): Promise<void> {
  await c.write(
    '* PREAUTH [CAPABILITY IMAP4rev1 ENABLE UIDONLY UIDPLUS MOVE SORT ESORT CONTEXT=SEARCH ' +
      'CONTEXT=SORT] hi\r\n',
  );
  await c.expect(/^\S+ ENABLE UIDONLY$/);
  await c.write('* ENABLED UIDONLY\r\n$tag OK enabled\r\n');
  await c.expect(/^\S+ SELECT INBOX$/);
  await c.write(
    '* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 31] ok\r\n$tag OK [READ-WRITE] selected\r\n',
  );
}

async function enabledConnection(
  script: (c: ScriptedConnection) => Promise<void>,
): Promise<{ conn: ImapConnection; sent: () => string }> {
  const server = await serve(async (c) => {
    await uidOnlySession(c);
    await script(c);
  });
  const conn = await connect(server);
  expect(await enable(conn, ['UIDONLY'])).toEqual(new Set(['UIDONLY']));
  expect(conn.enabled.has('UIDONLY')).toBe(true);
  await select(conn, 'INBOX');
  return { conn, sent: () => server.receivedText() };
}

describe('UIDFETCH responses (RFC 9586)', () => {
  it('UID FETCH yields one message per UIDFETCH, named by UID', async () => {
    const { conn } = await enabledConnection(async (c) => {
      await c.expect(/^\S+ UID FETCH 10:30 \(UID FLAGS\)$/);
      await c.write(
        '* 10 UIDFETCH (FLAGS (\\Seen))\r\n* 20 UIDFETCH (UID 20 FLAGS ())\r\n' +
          '* 30 UIDFETCH (FLAGS ($Junk))\r\n$tag OK done\r\n',
      );
      await c.closed();
    });
    const got = [];
    for await (const m of fetch(conn, '10:30', { uid: true, flags: true }, { uid: true })) {
      got.push({ seq: m.seq, uid: m.uid, flags: [...(m.flags ?? [])] });
    }
    expect(got).toEqual([
      { seq: 0, uid: 10, flags: ['\\Seen'] },
      { seq: 0, uid: 20, flags: [] },
      { seq: 0, uid: 30, flags: ['$Junk'] },
    ]);
  });

  it("a UIDFETCH of a message outside the fetch's set is unsolicited (the uidfetch event)", async () => {
    const { conn } = await enabledConnection(async (c) => {
      await c.expect(/^\S+ UID FETCH 10 \((UID )?FLAGS\)$/);
      await c.write(
        '* 30 UIDFETCH (FLAGS (\\Deleted))\r\n* 10 UIDFETCH (FLAGS (\\Seen))\r\n$tag OK done\r\n',
      );
      await c.closed();
    });
    const unsolicited: Array<Extract<UntaggedResponse, { name: 'UIDFETCH' }>> = [];
    conn.on('uidfetch', (r) => unsolicited.push(r));
    const fetchEvents: unknown[] = [];
    conn.on('fetch', (r) => fetchEvents.push(r));
    const m = await fetchOne(conn, 10, { flags: true }, { uid: true });
    expect(m?.uid).toBe(10);
    expect([...(m?.flags ?? [])]).toEqual(['\\Seen']);
    expect(unsolicited.map((r) => [r.uid, r.attributes.flags])).toEqual([[30, ['\\Deleted']]]);
    expect(fetchEvents).toEqual([]);
  });

  it('UID STORE folds the UIDFETCH echoes into `updated`', async () => {
    const { conn } = await enabledConnection(async (c) => {
      await c.expect(/^\S+ UID STORE 10,20 \+FLAGS \(\\Flagged\)$/);
      await c.write(
        '* 10 UIDFETCH (FLAGS (\\Seen \\Flagged))\r\n* 20 UIDFETCH (FLAGS (\\Flagged))\r\n' +
          '$tag OK stored\r\n',
      );
      await c.closed();
    });
    const r = await store(conn, '10,20', { add: ['\\Flagged'], uid: true });
    expect(r.updated.map((m) => [m.uid, [...(m.flags ?? [])]])).toEqual([
      [10, ['\\Seen', '\\Flagged']],
      [20, ['\\Flagged']],
    ]);
  });

  it('fetchStream streams a section from a UIDFETCH literal', async () => {
    const body = 'x'.repeat(3000);
    const server = await serve(async (c) => {
      await uidOnlySession(c);
      await c.expect(/^\S+ UID FETCH 20 \(BODY\.PEEK\[\]\)$/);
      await c.write(`* 20 UIDFETCH (BODY[] {${body.length}}\r\n${body})\r\n$tag OK done\r\n`);
      await c.closed();
    });
    const conn = await connect(server, { streamThreshold: 1024 });
    await enable(conn, ['UIDONLY']);
    await select(conn, 'INBOX');
    const { stream, size } = await fetchStream(conn, 20, '', { uid: true });
    expect(size).toBe(3000);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(body);
  });
});

describe('VANISHED instead of EXPUNGE (RFC 9586)', () => {
  it('EXPUNGE and UID EXPUNGE report the UIDs, and the mailbox count follows', async () => {
    const { conn } = await enabledConnection(async (c) => {
      await c.expect(/^\S+ UID EXPUNGE 10$/);
      await c.write('* VANISHED 10\r\n$tag OK expunged\r\n');
      await c.expect(/^\S+ EXPUNGE$/);
      await c.write('* VANISHED 20,30\r\n$tag OK expunged\r\n');
      await c.closed();
    });
    const vanished: string[] = [];
    conn.on('vanished', (r) => vanished.push(r.uids.toString()));
    const one = await uidExpunge(conn, 10);
    expect(one.expunged).toEqual([]);
    expect(one.vanished?.toString()).toBe('10');
    expect(conn.selected?.exists).toBe(2);
    const rest = await expunge(conn);
    expect(rest.vanished?.toString()).toBe('20,30');
    expect(conn.selected?.exists).toBe(0);
    expect(vanished).toEqual(['10', '20,30']);
  });
});

describe('sequence numbers refused once UIDONLY is enabled (RFC 9586)', () => {
  it('FETCH, STORE, SEARCH, COPY, MOVE, SORT RETURN and SEARCH/SORT contexts by sequence number fail before anything is sent', async () => {
    const { conn, sent } = await enabledConnection(async (c) => {
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK nothing\r\n');
      await c.closed();
    });
    const before = sent();
    const failures: unknown[] = [];
    try {
      fetch(conn, '1:3', { flags: true });
    } catch (err) {
      failures.push(err);
    }
    failures.push(await fetchAll(conn, 1, { flags: true }).catch((e: unknown) => e));
    failures.push(await store(conn, 1, { add: ['\\Seen'] }).catch((e: unknown) => e));
    failures.push(await search(conn, { all: true }).catch((e: unknown) => e));
    failures.push(await copy(conn, 1, 'Archive').catch((e: unknown) => e));
    failures.push(await move(conn, 1, 'Archive').catch((e: unknown) => e));
    failures.push(await esort(conn, ['DATE'], {}, { return: ['ALL'] }).catch((e: unknown) => e));
    failures.push(await searchContext(conn, { all: true }).catch((e: unknown) => e));
    failures.push(await sortContext(conn, ['DATE'], { all: true }).catch((e: unknown) => e));
    expect(failures.length).toBe(9);
    for (const err of failures) {
      expect(err).toBeInstanceOf(ImapUidRequiredError);
      expect((err as ImapUidRequiredError).code).toBe('UID_REQUIRED');
      expect((err as ImapUidRequiredError).sent).toBe(false);
    }
    expect((failures[2] as Error).message).toMatch(
      /STORE names messages by sequence number.*UID STORE/,
    );
    expect((failures[6] as Error).message).toMatch(/^SORT names messages .*UID SORT/);
    expect((failures[7] as Error).message).toMatch(/^SEARCH names messages .*UID SEARCH/);
    expect((failures[8] as Error).message).toMatch(/^SORT names messages .*UID SORT/);
    await conn.exec('NOOP');
    // Nothing but the NOOP went out after the SELECT.
    expect(sent().slice(before.length)).toMatch(/^\S+ NOOP\r\n$/);
  });

  it("the server's BAD [UIDREQUIRED] is an ImapUidRequiredError with its text and code", async () => {
    const { conn } = await enabledConnection(async (c) => {
      await c.expect(/^\S+ FETCH 1 \(FLAGS\)$/);
      await c.write('$tag BAD [UIDREQUIRED] Message sequence numbers are not allowed\r\n');
      await c.closed();
    });
    const err = await conn.exec('FETCH', [seq(1), raw('(FLAGS)')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapUidRequiredError);
    expect(err).not.toBeInstanceOf(ImapProtocolError);
    const e = err as ImapUidRequiredError;
    expect(e.code).toBe('UID_REQUIRED');
    expect(e.sent).toBe(true);
    expect(e.serverText).toBe('Message sequence numbers are not allowed');
    expect(e.responseCode).toEqual({ name: 'UIDREQUIRED' });
    expect(conn.closed).toBe(false);
  });

  it('without UIDONLY enabled, sequence numbers go to the server as before', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 ENABLE UIDONLY] hi\r\n');
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write('* 1 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ FETCH 1 \(FLAGS\)$/);
      await c.write('* 1 FETCH (FLAGS (\\Seen))\r\n$tag OK done\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    await select(conn, 'INBOX');
    const [m] = await fetchAll(conn, 1, { flags: true });
    expect(m?.seq).toBe(1);
  });
});
