/**
 * ImapClient faces of LIST-METADATA (RFC 9590) and JMAPACCESS (RFC 9698)
 * on a scripted server (Dovecot 2.3 has neither).
 */
import { afterEach, expect, it } from 'vitest';
import { ImapCapabilityError } from '../../src/model/errors.js';
import { closeScriptedClients, scriptedClient } from '../helpers/scripted-client.js';

afterEach(closeScriptedClients);

it('listTree({ metadata }) asks LIST RETURN (... METADATA (...)) and keeps the values on each node', async () => {
  const sent: string[] = [];
  const client = await scriptedClient(
    'IMAP4rev1 LIST-EXTENDED METADATA LIST-METADATA',
    [
      [
        /^\S+ LIST "" "\*" RETURN \(CHILDREN METADATA \(\/shared\/comment\)\)$/,
        '* LIST (\\HasChildren) "/" Work\r\n' +
          '* METADATA Work (/shared/comment "Projects")\r\n' +
          '* LIST (\\HasNoChildren) "/" Work/2026\r\n' +
          '$tag OK done\r\n',
      ],
    ],
    sent,
  );
  const [work] = await client.listTree({ metadata: ['/shared/comment'] });
  expect(work!.entry?.metadata).toEqual(new Map([['/shared/comment', Buffer.from('Projects')]]));
  expect(work!.children[0]!.entry?.metadata).toEqual(new Map());
  expect(sent).toHaveLength(1);
  await client.logout();
});

it('list() passes the METADATA return option through', async () => {
  const client = await scriptedClient('IMAP4rev1 LIST-EXTENDED LIST-METADATA', [
    [
      /^\S+ LIST "" INBOX RETURN \(METADATA \(\/private\/color\)\)$/,
      '* LIST () "/" INBOX\r\n* METADATA INBOX (/private/color "#ff0000")\r\n$tag OK\r\n',
    ],
  ]);
  const [inbox] = await client.list('INBOX', { return: { metadata: ['/private/color'] } });
  expect(inbox!.metadata?.get('/private/color')?.toString()).toBe('#ff0000');
  await client.logout();
});

it('listTree({ metadata }) on a server without LIST-METADATA throws ImapCapabilityError, sends nothing', async () => {
  const sent: string[] = [];
  const client = await scriptedClient('IMAP4rev1 LIST-EXTENDED', [], sent);
  await expect(client.listTree({ metadata: ['/shared/comment'] })).rejects.toThrow(
    ImapCapabilityError,
  );
  expect(sent).toEqual([]);
  await client.logout();
});

it('jmapAccess() returns the URL the server answers GETJMAPACCESS with', async () => {
  const client = await scriptedClient('IMAP4rev2 OBJECTID JMAPACCESS', [
    [/^\S+ GETJMAPACCESS$/, '* JMAPACCESS "https://jmap.example.com/session"\r\n$tag OK\r\n'],
  ]);
  expect(await client.jmapAccess()).toBe('https://jmap.example.com/session');
  await client.logout();
});

it('jmapAccess() on a server without JMAPACCESS throws ImapCapabilityError', async () => {
  const sent: string[] = [];
  const client = await scriptedClient('IMAP4rev2', [], sent);
  const err = await client.jmapAccess().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImapCapabilityError);
  expect((err as ImapCapabilityError).capability).toBe('JMAPACCESS');
  expect(sent).toEqual([]);
  await client.logout();
});
