/**
 * ImapClient.esort / searchContext / sortContext (RFC 5267): against the
 * real Dovecot (ESORT, CONTEXT=SEARCH; updates delivered while the client
 * idles by itself), and against scripted servers for what Dovecot lacks
 * (no ESORT: the result computed from a plain SORT).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import { orderedSet } from '../../src/client/esearch.js';
import { append } from '../../src/commands/append.js';
import { create } from '../../src/commands/create.js';
import { deleteMailbox } from '../../src/commands/delete.js';
import { select } from '../../src/commands/select.js';
import { ImapConnection } from '../../src/connection/connection.js';
import type { CommandProgress } from '../../src/connection/types.js';
import { ImapCapabilityError } from '../../src/model/errors.js';
import { closeScriptedClients, scriptedClient, selectInbox } from '../helpers/scripted-client.js';
import { plainOptions, testMessage, uniqueMailbox } from '../helpers/dovecot.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
  await closeScriptedClients();
});

/** A scratch mailbox of alice's with the subjects b, a, d, c (UIDs 1-4), and a second connection selecting it. */
async function scratch(): Promise<{ box: string; changer: ImapConnection }> {
  const changer = await ImapConnection.connect(plainOptions('alice'));
  const box = uniqueMailbox('client-context');
  await create(changer, box);
  for (const s of ['b', 'a', 'd', 'c']) await append(changer, box, testMessage(s));
  await select(changer, box);
  cleanup.push(async () => {
    await changer.run('UNSELECT');
    await deleteMailbox(changer, box);
    await changer.logout();
  });
  return { box, changer };
}

async function client(extra: { autoIdle?: boolean } = {}): Promise<ImapClient> {
  const { auth, host, port, security } = plainOptions('alice');
  const c = await ImapClient.connect({ host, port, security, auth, reconnect: false, ...extra });
  cleanup.push(() => c.logout());
  return c;
}

describe('ImapClient and RFC 5267 on Dovecot', () => {
  it('esort: UIDs by default, MIN/MAX in sort order, ALL in sort order', async () => {
    const { box } = await scratch();
    const c = await client();
    await c.mailboxOpen(box);
    const r = await c.esort(['SUBJECT'], {}, { return: ['MIN', 'MAX', 'COUNT', 'ALL'] });
    expect(r).toMatchObject({ uid: true, min: 2, max: 3, count: 4 });
    expect(r.all!.toString()).toBe('2,1,4,3');
    await expect(c.sortContext(['SUBJECT'], {})).rejects.toThrow(ImapCapabilityError);
  });

  it('searchContext: updates arrive while the client idles by itself; another mailbox ends it', async () => {
    const { box, changer } = await scratch();
    const c = await client({ autoIdle: true });
    await c.mailboxOpen(box);
    const live = await c.searchContext({ seen: false });
    expect(live.uid).toBe(true);
    expect(live.result.all!.toString()).toBe('1:4');

    const next = live.next();
    await append(changer, box, testMessage('e'));
    const u = await next; // pushed by Dovecot during the client's IDLE
    expect(u.value!.updates.map((x) => `${x.op} ${x.position} ${x.set.toString()}`)).toEqual([
      'ADDTO 0 5',
    ]);

    const lock = await c.getMailboxLock('INBOX', { readOnly: true });
    lock.release();
    expect(live.endReason).toBe('mailbox');
    expect(await live.next()).toEqual({ value: undefined, done: true });
  });
});

describe('ImapClient.esort without ESORT (scripted server)', () => {
  it('MIN, MAX, COUNT and ALL come from a plain UID SORT, ALL keeping the sort order', async () => {
    const sent: string[] = [];
    const c = await scriptedClient(
      'IMAP4rev1 SORT',
      [
        selectInbox(20),
        [/^\S+ UID SORT \(REVERSE DATE\) UTF-8 ALL$/, '* SORT 9 3 4 5 12 11\r\n$tag OK done\r\n'],
        [/^\S+ UID SORT \(DATE\) UTF-8 DELETED$/, '* SORT\r\n$tag OK done\r\n'],
      ],
      sent,
    );
    await c.mailboxOpen('INBOX');
    const r = await c.esort([{ reverse: 'DATE' }], {}, { return: ['MIN', 'MAX', 'COUNT', 'ALL'] });
    expect(r).toEqual({
      uid: true,
      min: 9,
      max: 11,
      count: 6,
      all: orderedSet([9, 3, 4, 5, 12, 11]),
    });
    expect(r.all!.toString()).toBe('9,3:5,12,11');
    expect(await c.esort(['DATE'], { deleted: true }, { return: ['COUNT', 'MIN'] })).toEqual({
      uid: true,
      count: 0,
    });
    await expect(c.esort(['DATE'], {}, { partial: '1:10' })).rejects.toThrow(ImapCapabilityError);
    await expect(c.esort(['DATE'], {}, { return: ['SAVE' as 'MIN'] })).rejects.toMatchObject({
      code: 'ARGUMENT',
    });
    expect(sent).toHaveLength(3);
  });
});

describe('ImapClient progress reports for esort and the contexts (RFC 9585, scripted server)', () => {
  const progress = (tag: string) =>
    `* OK [INPROGRESS ("${tag}" 1 2)] working\r\n* OK [INPROGRESS ("${tag}" 2 2)] working\r\n`;

  it('esort, searchContext and sortContext hand INPROGRESS reports to onProgress', async () => {
    const c = await scriptedClient('IMAP4rev1 SORT ESORT CONTEXT=SEARCH CONTEXT=SORT INPROGRESS', [
      selectInbox(5),
      [
        /^\S+ UID SORT RETURN \(COUNT\) \(DATE\) UTF-8 ALL$/,
        `${progress('$tag')}* ESEARCH (TAG "$tag") UID COUNT 5\r\n$tag OK sorted\r\n`,
      ],
      [
        /^\S+ UID SEARCH RETURN \(ALL UPDATE\) ALL$/,
        `${progress('$tag')}* ESEARCH (TAG "$tag") UID ALL 1:5\r\n$tag OK done\r\n`,
      ],
      [
        /^\S+ UID SORT RETURN \(ALL UPDATE\) \(SUBJECT\) UTF-8 ALL$/,
        `${progress('$tag')}* ESEARCH (TAG "$tag") UID ALL 5,1:4\r\n$tag OK sorted\r\n`,
      ],
    ]);
    await c.mailboxOpen('INBOX');
    const seen: string[] = [];
    const record = (what: string) => (p: CommandProgress) =>
      seen.push(`${what} ${p.count}/${p.total}`);
    expect(await c.esort(['DATE'], {}, { return: ['COUNT'], onProgress: record('esort') })).toEqual(
      { uid: true, count: 5 },
    );
    // maxBufferedBytes reaches the command module (checked before anything is sent).
    await expect(c.searchContext({ all: true }, { maxBufferedBytes: -1 })).rejects.toThrow(
      /maxBufferedBytes must be/,
    );
    const live = await c.searchContext({ all: true }, { onProgress: record('search') });
    expect(live.result.all!.toString()).toBe('1:5');
    const sorted = await c.sortContext(['SUBJECT'], {}, { onProgress: record('sort') });
    expect(sorted.result.all!.toString()).toBe('5,1:4');
    expect(seen).toEqual([
      'esort 1/2',
      'esort 2/2',
      'search 1/2',
      'search 2/2',
      'sort 1/2',
      'sort 2/2',
    ]);
  });

  it('esort without ESORT: the plain UID SORT hands its reports to onProgress too', async () => {
    const c = await scriptedClient('IMAP4rev1 SORT INPROGRESS', [
      selectInbox(3),
      [/^\S+ UID SORT \(DATE\) UTF-8 ALL$/, `${progress('$tag')}* SORT 3 1 2\r\n$tag OK done\r\n`],
    ]);
    await c.mailboxOpen('INBOX');
    const seen: Array<number | null> = [];
    const r = await c.esort(['DATE'], {}, { onProgress: (p) => seen.push(p.count) });
    expect(r.all!.toString()).toBe('3,1:2');
    expect(seen).toEqual([1, 2]);
  });
});
