/**
 * Extensions the test Dovecot (2.3) lacks, exercised against the scripted
 * server with transcripts built from their RFCs' examples.
 */
import { describe, expect, it } from 'vitest';
import { create } from '../../src/commands/create.js';
import { fetchAll } from '../../src/commands/fetch.js';
import { replace } from '../../src/commands/replace.js';
import { search } from '../../src/commands/search.js';
import { unauthenticate } from '../../src/commands/unauthenticate.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapCapabilityError } from '../../src/model/errors.js';
import { startScriptedServer, type ScriptStep } from '../helpers/scripted-server.js';

const DRAFT =
  'Date: Thu, 1 Jan 2015 00:05:00 -0500\r\nFrom: Fritz Schmidt <fritz.ze@example.org>\r\n' +
  'Message-ID: <Il-Stiefel-Dtz-Sw-Vq-88@example.org>\r\nSubject: happy new year !!\r\n\r\nHello\r\n';

async function scripted(caps: string, steps: ScriptStep[]) {
  const server = await startScriptedServer([
    { send: `* OK [CAPABILITY IMAP4rev1 ${caps}] ready\r\n` },
    ...steps,
  ]);
  const conn = await ImapConnection.connect({
    host: server.host,
    port: server.port,
    security: 'none',
    tagPrefix: 'A',
    timeouts: { connect: 2000, greeting: 2000, command: 2000 },
  });
  return { server, conn };
}

describe('REPLACE (RFC 8508)', () => {
  it('replaces a draft and returns the APPENDUID of the untagged OK (RFC 8508 3.4 example)', async () => {
    const { server, conn } = await scripted('REPLACE UIDPLUS', [
      { expect: /^A\d+ REPLACE 4 Drafts \(\\Seen \\Draft\) \{\d+\}$/ },
      { send: '+ Ready for literal data\r\n' },
      { wait: 100 },
      {
        send:
          '* OK [APPENDUID 451005 9] Replacement Message ready\r\n* 5 EXISTS\r\n* 4 EXPUNGE\r\n' +
          '$tag OK Replace completed\r\n',
      },
      { stall: true },
    ]);
    const result = await replace(conn, 4, 'Drafts', DRAFT, { flags: ['\\Seen', '\\Draft'] });
    expect(result).toEqual({ uidValidity: 451005, uid: 9 });
    expect(server.receivedText()).toContain(
      `REPLACE 4 Drafts (\\Seen \\Draft) {${DRAFT.length}}\r\n`,
    );
    conn.close();
    await server.close();
  });

  it('UID REPLACE sends the UID form', async () => {
    const { server, conn } = await scripted('REPLACE LITERAL+', [
      { expect: /^A\d+ UID REPLACE 127 Drafts \{\d+\+\}$/ },
      { wait: 100 },
      { send: '* OK [APPENDUID 451005 10] Replacement Message ready\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    expect(await replace(conn, 127, 'Drafts', DRAFT, { uid: true })).toEqual({
      uidValidity: 451005,
      uid: 10,
    });
    conn.close();
    await server.close();
  });

  it('without the REPLACE capability nothing is sent', async () => {
    const { server, conn } = await scripted('UIDPLUS', [{ stall: true }]);
    await expect(replace(conn, 1, 'Drafts', DRAFT)).rejects.toBeInstanceOf(ImapCapabilityError);
    conn.close();
    await server.close();
    expect(server.receivedText()).toBe('');
  });
});

describe('OBJECTID (RFC 8474)', () => {
  it('CREATE returns the MAILBOXID and FETCH gives EMAILID/THREADID (RFC 8474 examples)', async () => {
    const { server, conn } = await scripted('OBJECTID', [
      { expect: /^A\d+ CREATE foo$/ },
      { send: '$tag OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed\r\n' },
      { expect: /^A\d+ UID FETCH 1:3 \(UID EMAILID THREADID\)$/ },
      {
        send:
          '* 1 FETCH (UID 1 EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9))\r\n' +
          '* 2 FETCH (UID 2 EMAILID (M5fdc09b49ea703) THREADID (T11863d02dd95b5))\r\n' +
          '* 3 FETCH (UID 3 EMAILID (M4bd3c6e1a1e4e3) THREADID NIL)\r\n' +
          '$tag OK done\r\n',
      },
      { stall: true },
    ]);
    expect(await create(conn, 'foo')).toEqual({ mailboxId: 'F2212ea87-6097-4256-9d51-71338625' });
    const got = await fetchAll(
      conn,
      '1:3',
      { uid: true, emailId: true, threadId: true },
      { uid: true },
    );
    expect(got.map((m) => [m.uid, m.emailId, m.threadId])).toEqual([
      [1, 'M6d99ac3275bb4e', 'T64b478a75b7ea9'],
      [2, 'M5fdc09b49ea703', 'T11863d02dd95b5'],
      [3, 'M4bd3c6e1a1e4e3', null],
    ]);
    conn.close();
    await server.close();
  });
});

describe('Gmail X-GM-EXT-1', () => {
  it('fetches X-GM-MSGID, X-GM-THRID and X-GM-LABELS and searches with X-GM-RAW', async () => {
    const { server, conn } = await scripted('X-GM-EXT-1', [
      { expect: /^A\d+ FETCH 1 \(X-GM-MSGID X-GM-THRID X-GM-LABELS\)$/ },
      {
        send:
          '* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 ' +
          'X-GM-LABELS (\\Inbox \\Sent Important "Muy Importante"))\r\n$tag OK Success\r\n',
      },
      { expect: /^A\d+ SEARCH X-GM-RAW "has:attachment in:unread"$/ },
      { send: '* SEARCH 123 12344 5992\r\n$tag OK SEARCH (Success)\r\n' },
      { stall: true },
    ]);
    const [m] = await fetchAll(conn, 1, { gmail: { msgId: true, thrId: true, labels: true } });
    expect(m!.attributes.gmMsgId).toBe(1278455344230334865n);
    expect(m!.attributes.gmThrId).toBe(1278455344230334865n);
    expect(m!.attributes.gmLabels).toEqual(['\\Inbox', '\\Sent', 'Important', 'Muy Importante']);
    const r = await search(conn, { gmailRaw: 'has:attachment in:unread' });
    expect(r.numbers).toEqual([123, 12344, 5992]);
    conn.close();
    await server.close();
  });
});

describe('PARTIAL (RFC 9394)', () => {
  it('pages a UID SEARCH result and keeps it as ranges (RFC 9394 example)', async () => {
    const { server, conn } = await scripted('ESEARCH PARTIAL', [
      { expect: /^A\d+ UID SEARCH RETURN \(PARTIAL -1:-100\) UNDELETED$/ },
      {
        send: '* ESEARCH (TAG "$tag") UID PARTIAL (-1:-100 200:250,252:300)\r\n$tag OK done\r\n',
      },
      { stall: true },
    ]);
    const r = await search(conn, { undeleted: true }, { uid: true, partial: '-1:-100' });
    expect(r.partial?.range).toBe('-1:-100');
    expect(r.partial?.set?.toString()).toBe('200:250,252:300');
    conn.close();
    await server.close();
  });
});

describe('UNAUTHENTICATE (RFC 8437) and CREATE-SPECIAL-USE (RFC 6154)', () => {
  it('UNAUTHENTICATE returns the connection to the not-authenticated state', async () => {
    const { server, conn } = await scripted('UNAUTHENTICATE CREATE-SPECIAL-USE', [
      { expect: /^A\d+ LOGIN alice "?secret"?$/ },
      { send: '$tag OK [CAPABILITY IMAP4rev1 UNAUTHENTICATE CREATE-SPECIAL-USE] done\r\n' },
      { expect: /^A\d+ CREATE MySpecialTrash \(USE \(\\Trash\)\)$/ },
      { send: '$tag OK MySpecialTrash created\r\n' },
      { expect: /^A\d+ UNAUTHENTICATE$/ },
      { send: '$tag OK unauthenticated\r\n' },
      // Capabilities may differ once unauthenticated (RFC 8437 3): asked again.
      { expect: /^A\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    await conn.login('alice', 'secret');
    expect(conn.state).toBe('authenticated');
    await create(conn, 'MySpecialTrash', { specialUse: ['\\Trash'] });
    await unauthenticate(conn);
    expect(conn.state).toBe('not-authenticated');
    expect(conn.hasCapability('AUTH=PLAIN')).toBe(true);
    expect(conn.hasCapability('UNAUTHENTICATE')).toBe(false);
    conn.close();
    await server.close();
  });
});

describe('unsolicited FETCH during a FETCH (RFC 9051 7.5.2, RFC 7162 3.2.4)', () => {
  it('a flag update of another message is not yielded as a result but reported as a fetch event', async () => {
    const { server, conn } = await scripted('CONDSTORE', [
      { expect: /^A\d+ UID FETCH 1:3 \(UID ENVELOPE\)$/ },
      {
        send:
          '* 1 FETCH (UID 1 ENVELOPE (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n' +
          '* 9 FETCH (UID 99 FLAGS (\\Seen) MODSEQ (12))\r\n' +
          '* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\n' +
          '* 2 FETCH (UID 2 ENVELOPE (NIL "two" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n' +
          '$tag OK done\r\n',
      },
      { stall: true },
    ]);
    const events: number[] = [];
    conn.on('fetch', (r) => events.push(r.attributes.uid ?? -1));
    const got = await fetchAll(conn, '1:3', { uid: true, envelope: true }, { uid: true });
    expect(got.map((m) => [m.uid, m.envelope?.subject])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
    expect(events).toEqual([99, 2]);
    conn.close();
    await server.close();
  });
});
