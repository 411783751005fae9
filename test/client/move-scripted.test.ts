/**
 * ImapClient.messageMove on a server with neither MOVE nor UIDPLUS (which a
 * real Dovecot never is): the emulation needs a plain EXPUNGE, so it is
 * refused unless the caller allows it, and then runs COPY, STORE, EXPUNGE;
 * and with UIDPLUS against a hostile COPYUID.
 */
import { afterEach, expect, it } from 'vitest';
import { ImapCapabilityError } from '../../src/model/errors.js';
import { closeScriptedClients, scriptedClient, selectInbox } from '../helpers/scripted-client.js';

afterEach(closeScriptedClients);

it('messageMove without MOVE and UIDPLUS: refused by default, COPY + STORE + EXPUNGE with allowExpungeAll', async () => {
  const sent: string[] = [];
  const client = await scriptedClient(
    'IMAP4rev1',
    [
      selectInbox(3),
      [/^\S+ UID COPY 2 Archive/, '$tag OK copied\r\n'],
      [/^\S+ UID STORE 2 \+FLAGS\.SILENT \(\\Deleted\)/, '$tag OK stored\r\n'],
      [/^\S+ EXPUNGE/, '* 2 EXPUNGE\r\n$tag OK expunged\r\n'],
    ],
    sent,
  );
  await client.mailboxOpen('INBOX');

  await expect(client.messageMove(2, 'Archive')).rejects.toThrow(ImapCapabilityError);
  const result = await client.messageMove(2, 'Archive', { allowExpungeAll: true });
  expect(result).toEqual({ copyUid: null, expunged: [2], vanished: null, emulated: true });
  expect(sent).toHaveLength(4); // SELECT, COPY, STORE, EXPUNGE
  expect(client.mailbox?.exists).toBe(2);
  await client.logout();
});

it('messageMove emulated with UIDPLUS deletes only the UIDs asked for, whatever COPYUID claims', async () => {
  const sent: string[] = [];
  const client = await scriptedClient(
    'IMAP4rev1 UIDPLUS',
    [
      selectInbox(3),
      // A hostile COPYUID: "copied" every UID there is.
      [/^\S+ UID COPY 2:3 Archive/, '$tag OK [COPYUID 7 1:4294967295 1:4294967295] copied\r\n'],
      // Any STORE and EXPUNGE is answered: which UIDs they name is asserted below.
      [/^\S+ UID STORE /, '$tag OK stored\r\n'],
      [/^\S+ UID EXPUNGE /, '* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n$tag OK expunged\r\n'],
      // An honest COPYUID naming a subset (a gap in the range) is followed.
      [/^\S+ UID COPY 1:5 Archive/, '$tag OK [COPYUID 7 1 9] copied\r\n'],
      [/^\S+ UID STORE /, '$tag OK stored\r\n'],
      [/^\S+ UID EXPUNGE /, '* 1 EXPUNGE\r\n$tag OK expunged\r\n'],
    ],
    sent,
  );
  await client.mailboxOpen('INBOX');
  const r = await client.messageMove('2:3', 'Archive', { uid: true });
  expect(r.expunged).toEqual([3, 2]);
  expect(sent.slice(1, 4).map((l) => l.replace(/^\S+ /, '').trimEnd())).toEqual([
    'UID COPY 2:3 Archive',
    'UID STORE 2:3 +FLAGS.SILENT (\\Deleted)',
    'UID EXPUNGE 2:3',
  ]);
  const honest = await client.messageMove('1:5', 'Archive', { uid: true });
  expect(honest.copyUid!.source.toString()).toBe('1');
  expect(sent.slice(4).map((l) => l.replace(/^\S+ /, '').trimEnd())).toEqual([
    'UID COPY 1:5 Archive',
    'UID STORE 1 +FLAGS.SILENT (\\Deleted)',
    'UID EXPUNGE 1',
  ]);
  await client.logout();
});
