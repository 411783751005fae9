/**
 * ImapClient.messageMove on a server with neither MOVE nor UIDPLUS (which a
 * real Dovecot never is): the emulation needs a plain EXPUNGE, so it is
 * refused unless the caller allows it, and then runs COPY, STORE, EXPUNGE.
 */
import { afterEach, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import { ImapCapabilityError } from '../../src/model/errors.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer | null = null;
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = null;
});

it('messageMove without MOVE and UIDPLUS: refused by default, COPY + STORE + EXPUNGE with allowExpungeAll', async () => {
  const sent: string[] = [];
  server = await startScriptedServer(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1] scripted\r\n');
    await c.expect(/^\S+ LOGIN /);
    await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
    await c.expect(/^\S+ SELECT INBOX/);
    await c.write('* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n');
    await c.write('$tag OK [READ-WRITE] selected\r\n');
    for (const [pattern, reply] of [
      [/^\S+ UID COPY 2 Archive/, '$tag OK copied\r\n'],
      [/^\S+ UID STORE 2 \+FLAGS\.SILENT \(\\Deleted\)/, '$tag OK stored\r\n'],
      [/^\S+ EXPUNGE/, '* 2 EXPUNGE\r\n$tag OK expunged\r\n'],
    ] as const) {
      sent.push(await c.expect(pattern));
      await c.write(reply);
    }
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
  await client.mailboxOpen('INBOX');

  await expect(client.messageMove(2, 'Archive')).rejects.toThrow(ImapCapabilityError);
  const result = await client.messageMove(2, 'Archive', { allowExpungeAll: true });
  expect(result).toEqual({ copyUid: null, expunged: [2], vanished: null, emulated: true });
  expect(sent).toHaveLength(3);
  expect(client.mailbox?.exists).toBe(2);
  await client.logout();
});
