/**
 * ImapClient and MESSAGELIMIT (RFC 9738): a UID FETCH the server cuts
 * short with `OK [MESSAGELIMIT n uid]` is continued on the UIDs below `uid`
 * until every message was fetched; other partial commands fail with
 * ImapMessageLimitError. Dovecot 2.3 has no MESSAGELIMIT, so a scripted
 * server plays it.
 */
import { afterEach, expect, it } from 'vitest';
import { ImapMessageLimitError } from '../../src/model/errors.js';
import { membersBelow } from '../../src/client/message-limit.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { closeScriptedClients, scriptedClient, selectInbox } from '../helpers/scripted-client.js';

afterEach(closeScriptedClients);

const CAPS = 'IMAP4rev1 UIDPLUS MESSAGELIMIT=2';

it('membersBelow keeps the part of a UID set below a UID, * ends included', () => {
  const below = (s: string, n: number) => membersBelow(SequenceSet.parse(s), n)?.toString() ?? null;
  expect(below('1:10', 8)).toBe('1:7');
  expect(below('10:1,20', 8)).toBe('1:7');
  expect(below('3,5:6,9:*', 6)).toBe('3,5');
  expect(below('5:*', 9)).toBe('5:8');
  expect(below('*', 9)).toBeNull();
  expect(below('9:12', 9)).toBeNull();
  expect(below('1:5', 1)).toBeNull();
  expect(membersBelow(SequenceSet.saved, 5)).toBeNull();
});

it('a UID FETCH cut by MESSAGELIMIT is continued below the lowest UID until all messages came', async () => {
  const sent: string[] = [];
  const client = await scriptedClient(
    CAPS,
    [
      selectInbox(5),
      [
        /^\S+ UID FETCH 1:5 \(UID FLAGS\)$/,
        '* 5 FETCH (UID 5 FLAGS ())\r\n* 4 FETCH (UID 4 FLAGS ())\r\n' +
          '$tag OK [MESSAGELIMIT 2 4] only the last 2\r\n',
      ],
      [
        /^\S+ UID FETCH 1:3 \(UID FLAGS\)$/,
        '* 3 FETCH (UID 3 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n' +
          '$tag OK [MESSAGELIMIT 2 2] only the last 2\r\n',
      ],
      [/^\S+ UID FETCH 1 \(UID FLAGS\)$/, '* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n$tag OK done\r\n'],
    ],
    sent,
  );
  await client.mailboxOpen('INBOX');
  const uids: number[] = [];
  for await (const m of client.fetch('1:5', { uid: true, flags: true })) uids.push(m.uid!);
  expect(uids).toEqual([5, 4, 3, 2, 1]);
  expect(sent.map((l) => l.replace(/^\S+ /, ''))).toEqual([
    'SELECT INBOX',
    'UID FETCH 1:5 (UID FLAGS)',
    'UID FETCH 1:3 (UID FLAGS)',
    'UID FETCH 1 (UID FLAGS)',
  ]);
  await client.logout();
});

it('fetchAll collects the messages of every continued UID FETCH', async () => {
  const client = await scriptedClient(CAPS, [
    selectInbox(3),
    [
      /^\S+ UID FETCH 1:3 \(UID FLAGS\)$/,
      '* 3 FETCH (UID 3 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n$tag OK [MESSAGELIMIT 2 2] cut\r\n',
    ],
    [/^\S+ UID FETCH 1 \(UID FLAGS\)$/, '* 1 FETCH (UID 1 FLAGS ())\r\n$tag OK done\r\n'],
  ]);
  await client.mailboxOpen('INBOX');
  const all = await client.fetchAll('1:3', { uid: true, flags: true });
  expect(all.map((m) => m.uid)).toEqual([3, 2, 1]);
  await client.logout();
});

it('a server that makes no progress below its cut gets its error back, not a loop', async () => {
  const client = await scriptedClient(CAPS, [
    selectInbox(5),
    [/^\S+ UID FETCH 1:3 \(UID FLAGS\)$/, '$tag OK [MESSAGELIMIT 2 9] nothing done\r\n'],
  ]);
  await client.mailboxOpen('INBOX');
  const err = await client.fetchAll('1:3', { uid: true, flags: true }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImapMessageLimitError);
  expect((err as ImapMessageLimitError).lowestUid).toBe(9);
  await client.logout();
});

it('a STORE cut by MESSAGELIMIT is an ImapMessageLimitError saying what was not done', async () => {
  const client = await scriptedClient(CAPS, [
    selectInbox(3),
    [
      /^\S+ UID STORE 1:3 \+FLAGS\.SILENT \(\\Seen\)$/,
      '$tag OK [MESSAGELIMIT 2 2] stored the last 2\r\n',
    ],
  ]);
  await client.mailboxOpen('INBOX');
  const err = await client.messageFlagsAdd('1:3', ['\\Seen']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImapMessageLimitError);
  expect((err as ImapMessageLimitError).message).toMatch(/below UID 2 were not processed/);
  await client.logout();
});

it('a server cutting each round one UID lower without sending a message gets its error back after one round', async () => {
  const sent: string[] = [];
  const client = await scriptedClient(
    CAPS,
    [
      selectInbox(5),
      [/^\S+ UID FETCH 1:\* \(UID FLAGS\)$/, '$tag OK [MESSAGELIMIT 2 4294967295] cut\r\n'],
      [/^\S+ UID FETCH 1:\* \(UID FLAGS\)$/, '$tag OK [MESSAGELIMIT 2 4294967295] cut\r\n'],
    ],
    sent,
  );
  await client.mailboxOpen('INBOX');
  const err = await client.fetchAll('1:*', { uid: true, flags: true }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImapMessageLimitError);
  const uids: number[] = [];
  const err2 = await (async () => {
    for await (const m of client.fetch('1:*', { uid: true, flags: true })) uids.push(m.uid!);
  })().catch((e: unknown) => e);
  expect(err2).toBeInstanceOf(ImapMessageLimitError);
  expect(uids).toEqual([]);
  expect(sent.filter((l) => l.includes('UID FETCH'))).toHaveLength(2);
  await client.logout();
}, 10_000);

it('a cut of a FETCH of $ (SEARCHRES) is an error: $ cannot be narrowed', async () => {
  const client = await scriptedClient(`${CAPS} SEARCHRES`, [
    selectInbox(5),
    [
      /^\S+ UID FETCH \$ \(UID FLAGS\)$/,
      '* 5 FETCH (UID 5 FLAGS ())\r\n* 4 FETCH (UID 4 FLAGS ())\r\n$tag OK [MESSAGELIMIT 2 4] cut\r\n',
    ],
  ]);
  await client.mailboxOpen('INBOX');
  const err = await client
    .fetchAll(SequenceSet.saved, { uid: true, flags: true })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImapMessageLimitError);
  expect(((err as ImapMessageLimitError).partial as { uid: number }[]).map((m) => m.uid)).toEqual([
    5, 4,
  ]);
  await client.logout();
});

it('a malformed MESSAGELIMIT code on an OK is still a cut (an error, never a complete answer)', async () => {
  const client = await scriptedClient(CAPS, [
    selectInbox(3),
    [/^\S+ UID STORE 1:3 \+FLAGS\.SILENT \(\\Seen\)$/, '$tag OK [MESSAGELIMIT x] stored some\r\n'],
  ]);
  await client.mailboxOpen('INBOX');
  const err = await client.messageFlagsAdd('1:3', ['\\Seen']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImapMessageLimitError);
  expect((err as ImapMessageLimitError).limit).toBe(0);
  expect((err as ImapMessageLimitError).lowestUid).toBeNull();
  await client.logout();
});
