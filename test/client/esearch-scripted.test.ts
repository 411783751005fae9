/**
 * ImapClient.esearch against scripted servers: without ESEARCH, MIN, MAX,
 * COUNT and ALL are computed from a plain UID SEARCH (which a real Dovecot,
 * having ESEARCH, never needs), SAVE and PARTIAL throw ImapCapabilityError
 * before anything is sent; with ESEARCH the options go on the wire as
 * `RETURN (...)` and the ESEARCH response is returned as is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ImapClient } from '../../src/client/client.js';
import { summarizeSearch } from '../../src/client/esearch.js';
import { ImapCapabilityError } from '../../src/model/errors.js';
import {
  closeScriptedClients,
  scriptedClient,
  selectInbox,
  type Exchange,
} from '../helpers/scripted-client.js';

afterEach(closeScriptedClients);

/** A server with `caps` that answers each expected search with its reply, in order. */
async function clientWith(
  caps: string,
  searches: readonly Exchange[],
  sent: string[],
): Promise<ImapClient> {
  const client = await scriptedClient(caps, [selectInbox(20), ...searches], sent);
  await client.mailboxOpen('INBOX');
  sent.shift(); // the SELECT
  return client;
}

describe('ImapClient.esearch without ESEARCH (scripted server)', () => {
  it('MIN, MAX, COUNT and ALL are computed from a plain UID SEARCH; SAVE and PARTIAL are refused', async () => {
    const sent: string[] = [];
    const client = await clientWith(
      'IMAP4rev1',
      [
        [/^\S+ UID SEARCH UNSEEN$/, '* SEARCH 9 3 4 5 31 12 4\r\n$tag OK done\r\n'],
        [/^\S+ UID SEARCH DELETED$/, '* SEARCH\r\n$tag OK done\r\n'],
        [/^\S+ UID SEARCH FLAGGED$/, '* SEARCH 2 3\r\n$tag OK done\r\n'],
      ],
      sent,
    );
    const r = await client.esearch({ seen: false }, { return: ['MIN', 'MAX', 'COUNT', 'ALL'] });
    expect(r.uid).toBe(true);
    expect(r.min).toBe(3);
    expect(r.max).toBe(31);
    expect(r.count).toBe(6);
    expect(r.all?.toString()).toBe('3:5,9,12,31');

    const none = await client.esearch(
      { deleted: true },
      { return: ['MIN', 'MAX', 'COUNT', 'ALL'] },
    );
    expect(none).toEqual({ uid: true, count: 0 });

    // No options: ALL, as RFC 4731 reads an empty list.
    const all = await client.esearch({ flagged: true });
    expect(all.all?.toString()).toBe('2:3');
    expect(all.count).toBeUndefined();

    await expect(client.esearch({ seen: true }, { return: ['SAVE'] })).rejects.toThrow(
      ImapCapabilityError,
    );
    await expect(
      client.esearch({ seen: true }, { return: ['ALL'], partial: '1:10' }),
    ).rejects.toThrow(ImapCapabilityError);
    await expect(
      client.esearch({ seen: true }, { return: ['FIRST' as 'MIN'] }),
    ).rejects.toMatchObject({ code: 'ARGUMENT' });
    expect(sent).toHaveLength(3);
    await client.logout();
  });
});

describe('ImapClient.esearch with ESEARCH (scripted server)', () => {
  it('sends RETURN (...) and returns the ESEARCH data, ALL as ranges', async () => {
    const sent: string[] = [];
    const client = await clientWith(
      'IMAP4rev1 ESEARCH',
      [
        [
          /^\S+ UID SEARCH RETURN \(MIN COUNT ALL\) UNSEEN$/,
          '* ESEARCH (TAG "$tag") UID MIN 3 COUNT 100000 ALL 3:100002\r\n$tag OK done\r\n',
        ],
      ],
      sent,
    );
    const r = await client.esearch({ seen: false }, { return: ['MIN', 'COUNT', 'ALL'] });
    expect(r).toMatchObject({ uid: true, min: 3, count: 100000 });
    expect(r.all?.toString()).toBe('3:100002');
    expect(r.max).toBeUndefined();
    await client.logout();
  });
});

describe('summarizeSearch', () => {
  it('computes only what was asked, counting repeated numbers once', () => {
    const r = summarizeSearch([7, 1, 2, 2, 3], new Set(['COUNT', 'MAX']), false);
    expect(r).toEqual({ uid: false, count: 4, max: 7 });
  });
});
