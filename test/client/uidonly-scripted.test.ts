/**
 * ImapClient with `uidOnly` (RFC 9586) on a scripted server (Dovecot 2.3
 * lacks UIDONLY): ENABLE UIDONLY after login when offered, message methods
 * by UID working over UIDFETCH and VANISHED, `{ uid: false }` refused before
 * anything is sent, unsolicited UIDFETCH as `flags` events; and progress
 * reports (RFC 9585) reaching the caller of a long operation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FlagsEvent, VanishedEvent } from '../../src/client/events.js';
import type { CommandProgress } from '../../src/connection/types.js';
import { ImapUidRequiredError } from '../../src/model/errors.js';
import { closeScriptedClients, scriptedClient, selectInbox } from '../helpers/scripted-client.js';

afterEach(closeScriptedClients);

const CAPS = 'IMAP4rev1 ENABLE UIDONLY UIDPLUS MOVE INPROGRESS';

describe('ImapClient uidOnly (RFC 9586)', () => {
  it('enables UIDONLY when offered and works by UID over UIDFETCH and VANISHED', async () => {
    const sent: string[] = [];
    const client = await scriptedClient(
      CAPS,
      [
        [/^\S+ ENABLE UIDONLY$/, '* ENABLED UIDONLY\r\n$tag OK enabled\r\n'],
        selectInbox(3),
        [
          /^\S+ UID FETCH 1:3 /,
          '* 1 UIDFETCH (FLAGS ())\r\n* 2 UIDFETCH (FLAGS (\\Seen))\r\n* 3 UIDFETCH (FLAGS ())\r\n' +
            '$tag OK done\r\n',
        ],
        [
          /^\S+ UID STORE 2 \+FLAGS\.SILENT \(\\Deleted\)$/,
          // Another session's change arrives in the middle (unsolicited).
          '* 3 UIDFETCH (FLAGS (\\Flagged))\r\n$tag OK stored\r\n',
        ],
        [/^\S+ UID EXPUNGE 2$/, '* VANISHED 2\r\n$tag OK expunged\r\n'],
      ],
      sent,
      { uidOnly: true },
    );
    expect(client.enabled.has('UIDONLY')).toBe(true);
    const flagsEvents: FlagsEvent[] = [];
    const vanishedEvents: VanishedEvent[] = [];
    client.on('flags', (e) => flagsEvents.push(e));
    client.on('vanished', (e) => vanishedEvents.push(e));
    await client.mailboxOpen('INBOX');

    const messages = await client.fetchAll('1:3', { flags: true });
    expect(messages.map((m) => [m.uid, [...(m.flags ?? [])]])).toEqual([
      [1, []],
      [2, ['\\Seen']],
      [3, []],
    ]);
    const deleted = await client.messageDelete(2);
    expect(deleted.vanished?.toString()).toBe('2');
    expect(client.mailbox?.exists).toBe(2);
    expect(vanishedEvents.map((e) => [e.path, e.uids.toString()])).toEqual([['INBOX', '2']]);
    expect(flagsEvents.map((e) => [e.uid, e.seq, [...e.flags]])).toEqual([[3, 0, ['\\Flagged']]]);

    // Sequence numbers: refused by the client, nothing sent.
    const count = sent.length;
    const err = await client.search({ all: true }, { uid: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapUidRequiredError);
    expect((err as ImapUidRequiredError).sent).toBe(false);
    await expect(client.messageFlagsAdd(1, ['\\Seen'], { uid: false })).rejects.toThrow(
      ImapUidRequiredError,
    );
    expect(sent.length).toBe(count);
    await client.logout();
  });

  it('without uidOnly, UIDONLY is not enabled even when offered', async () => {
    const sent: string[] = [];
    const client = await scriptedClient(CAPS, [selectInbox(1)], sent);
    expect(client.enabled.has('UIDONLY')).toBe(false);
    await client.mailboxOpen('INBOX');
    expect(sent.some((l) => / ENABLE /.test(l))).toBe(false);
    await client.logout();
  });
});

describe('ImapClient progress reports (RFC 9585)', () => {
  it('search, messageMove and messageDelete hand INPROGRESS reports to onProgress', async () => {
    const client = await scriptedClient(CAPS, [
      selectInbox(3),
      [
        /^\S+ UID SEARCH /,
        '* OK [INPROGRESS ("$tag" 1 3)] searching\r\n* SEARCH 1 3\r\n$tag OK done\r\n',
      ],
      [
        /^\S+ UID MOVE 1 Archive$/,
        '* OK [INPROGRESS ("$tag" 0 1)] moving\r\n* 1 EXPUNGE\r\n$tag OK moved\r\n',
      ],
      [/^\S+ UID STORE /, '$tag OK stored\r\n'],
      [
        /^\S+ UID EXPUNGE 3$/,
        '* OK [INPROGRESS ("$tag" NIL 1)] expunging\r\n* 2 EXPUNGE\r\n$tag OK done\r\n',
      ],
    ]);
    await client.mailboxOpen('INBOX');
    const seen: Array<[string, number | null, number | null]> = [];
    const record = (what: string) => (p: CommandProgress) => seen.push([what, p.count, p.total]);
    expect(await client.search({ all: true }, { onProgress: record('search') })).toEqual([1, 3]);
    await client.messageMove(1, 'Archive', { onProgress: record('move') });
    await client.messageDelete(3, { onProgress: record('delete') });
    expect(seen).toEqual([
      ['search', 1, 3],
      ['move', 0, 1],
      ['delete', null, 1],
    ]);
    await client.logout();
  });
});
