/**
 * A resync after a long absence needs every change, however many: it is not
 * subject to the connection's collection limit (maxCollectedBytes), which
 * would otherwise fail every reconnection attempt on a large mailbox.
 */
import { describe, expect, it } from 'vitest';
import { resync, uidSnapshot, type SyncState } from '../../src/client/resync.js';
import { ImapMessageLimitError } from '../../src/model/errors.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

const { serve, connect } = useScriptedServers();

function changes(n: number): string {
  let out = '';
  for (let i = 1; i <= n; i++)
    out += `* ${i} FETCH (UID ${i} FLAGS (\\Seen) MODSEQ (${100 + i}))\r\n`;
  return out;
}

const PREVIOUS: SyncState = {
  path: 'INBOX',
  readOnly: false,
  uidValidity: 7,
  uidNext: 1001,
  highestModseq: 50n,
  noModseq: false,
  grown: false,
  maxUid: 1000,
  exists: 1000,
  tracker: null,
};

describe('resync and maxCollectedBytes', () => {
  it('a QRESYNC SELECT reporting 1,000 changes (~50 kB) resyncs under a 2,000-byte collection limit', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 CONDSTORE QRESYNC ENABLE] hi\r\n');
      await c.expect(/^\S+ ENABLE QRESYNC$/);
      await c.write('* ENABLED QRESYNC\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ SELECT INBOX \(QRESYNC \(7 50 1:1000\)\)$/);
      // UIDNEXT 1001: nothing arrived above the known UIDs (no further fetch).
      await c.write(
        '* 1000 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1001] ok\r\n' +
          '* OK [HIGHESTMODSEQ 1100] ok\r\n' +
          changes(1000) +
          '$tag OK [READ-WRITE] selected\r\n',
      );
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 2000 });
    await conn.exec('ENABLE', [{ type: 'atom', value: 'QRESYNC' }]);
    const out = await resync(conn, PREVIOUS, { trackUids: false });
    expect(out.kind).toBe('resynced');
    if (out.kind !== 'resynced') return;
    expect(out.event.method).toBe('qresync');
    expect(out.event.changed).toHaveLength(1000);
    expect(out.event.changed[999]).toMatchObject({ uid: 1000, modseq: 1100n });
  });

  it('a CONDSTORE resync fetching 1,000 changes (CHANGEDSINCE) does so under a 2,000-byte limit', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 CONDSTORE] hi\r\n');
      await c.expect(/^\S+ SELECT INBOX \(CONDSTORE\)$/);
      await c.write(
        '* 1000 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [HIGHESTMODSEQ 1100] ok\r\n$tag OK [READ-WRITE] selected\r\n',
      );
      await c.expect(/^\S+ UID FETCH 1:\* \(UID FLAGS MODSEQ\) \(CHANGEDSINCE 50\)$/);
      await c.write(changes(1000) + '$tag OK fetched\r\n');
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 2000 });
    const out = await resync(conn, PREVIOUS, { trackUids: false });
    expect(out.kind).toBe('resynced');
    if (out.kind !== 'resynced') return;
    expect(out.event.method).toBe('condstore');
    expect(out.event.changed).toHaveLength(1000);
  });

  it('the UID snapshot of a resync continues a search cut by MESSAGELIMIT (RFC 9738) below the cut', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 ESEARCH MESSAGELIMIT=2] hi\r\n');
      await c.expect(/^\S+ UID SEARCH RETURN \(ALL\) ALL$/);
      await c.write('* ESEARCH (TAG "$tag") UID ALL 4:5\r\n$tag OK [MESSAGELIMIT 2 4] cut\r\n');
      await c.expect(/^\S+ UID SEARCH RETURN \(ALL\) UID 1:3$/);
      await c.write('* ESEARCH (TAG "$tag") UID ALL 2:3\r\n$tag OK [MESSAGELIMIT 2 2] cut\r\n');
      await c.expect(/^\S+ UID SEARCH RETURN \(ALL\) UID 1$/);
      await c.write('* ESEARCH (TAG "$tag") UID ALL 1\r\n$tag OK done\r\n');
      await c.expect(/^\S+ UID SEARCH RETURN \(ALL\) ALL$/);
      await c.write('$tag OK [MESSAGELIMIT 2 9] cut without progress\r\n');
      await c.expect(/^\S+ UID SEARCH RETURN \(ALL\) UID 1:8$/);
      await c.write('$tag OK [MESSAGELIMIT 2 9] the same cut again\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    expect(await uidSnapshot(conn)).toEqual([1, 2, 3, 4, 5]);
    await expect(uidSnapshot(conn)).rejects.toBeInstanceOf(ImapMessageLimitError);
  });
});
