/**
 * ImapClient.listTree on a server without LIST-EXTENDED (which a real
 * Dovecot never is): a plain LIST, then an LSUB for `subscribed: true`;
 * `.` as the delimiter and a parent missing from the LIST.
 */
import { afterEach, expect, it } from 'vitest';
import { closeScriptedClients, scriptedClient } from '../helpers/scripted-client.js';

afterEach(closeScriptedClients);

it('listTree without LIST-EXTENDED: plain LIST, LSUB for subscriptions, implied parents', async () => {
  const sent: string[] = [];
  const client = await scriptedClient(
    'IMAP4rev1',
    [
      [
        /^\S+ LIST /,
        '* LIST (\\HasNoChildren) "." INBOX.Sent\r\n' +
          '* LIST () "." INBOX\r\n' +
          '* LIST (\\HasNoChildren) "." Lists.imap.&AMQ-rger\r\n' +
          '$tag OK listed\r\n',
      ],
      [
        /^\S+ LSUB /,
        '* LSUB () "." INBOX.Sent\r\n* LSUB () "." Lists.imap.&AMQ-rger\r\n$tag OK lsub\r\n',
      ],
    ],
    sent,
  );
  const tree = await client.listTree({ subscribed: true });
  expect(sent.map((l) => l.replace(/^\S+ /, ''))).toEqual([`LIST "" "*"`, `LSUB "" "*"`]);
  expect(tree.map((n) => n.name)).toEqual(['INBOX', 'Lists']);
  const [inbox, lists] = tree;
  expect(inbox).toMatchObject({ subscribed: false, selectable: true, delimiter: '.' });
  expect(inbox!.children.map((n) => [n.name, n.displayName, n.subscribed])).toEqual([
    ['INBOX.Sent', 'Sent', true],
  ]);
  expect(lists).toMatchObject({ listed: false, selectable: false, entry: null });
  const imap = lists!.children[0]!;
  expect(imap).toMatchObject({ name: 'Lists.imap', listed: false, selectable: false });
  expect(imap.children[0]).toMatchObject({
    name: 'Lists.imap.Ärger',
    displayName: 'Ärger',
    subscribed: true,
    selectable: true,
  });
  await client.logout();
});
