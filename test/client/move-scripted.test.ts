/**
 * ImapClient.messageMove on a server with neither MOVE nor UIDPLUS (which a
 * real Dovecot never is): the emulation needs a plain EXPUNGE, so it is
 * refused unless the caller allows it, and then runs COPY, STORE, EXPUNGE.
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
