/**
 * ImapClient.listTree on a server without LIST-EXTENDED (which a real
 * Dovecot never is): a plain LIST, then an LSUB for `subscribed: true`;
 * `.` as the delimiter and a parent missing from the LIST.
 */
import { afterEach, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer | null = null;
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = null;
});

it('listTree without LIST-EXTENDED: plain LIST, LSUB for subscriptions, implied parents', async () => {
  const sent: string[] = [];
  server = await startScriptedServer(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1] scripted\r\n');
    await c.expect(/^\S+ LOGIN /);
    await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
    sent.push(await c.expect(/^\S+ LIST /));
    await c.write(
      '* LIST (\\HasNoChildren) "." INBOX.Sent\r\n' +
        '* LIST () "." INBOX\r\n' +
        '* LIST (\\HasNoChildren) "." Lists.imap.&AMQ-rger\r\n' +
        '$tag OK listed\r\n',
    );
    sent.push(await c.expect(/^\S+ LSUB /));
    await c.write(
      '* LSUB () "." INBOX.Sent\r\n* LSUB () "." Lists.imap.&AMQ-rger\r\n$tag OK lsub\r\n',
    );
    await c.expect(/^\S+ LOGOUT/);
    await c.write('* BYE bye\r\n$tag OK bye\r\n');
  });
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    auth: { username: 'u', password: 'p', mechanism: 'LOGIN-COMMAND' },
    reconnect: false,
  });
  clients.push(client);
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
