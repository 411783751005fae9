/**
 * Three recent extensions real servers announce and Dovecot 2.3 lacks,
 * played by a scripted server: LIST-METADATA (RFC 9590), MESSAGELIMIT
 * (RFC 9738) and JMAPACCESS (RFC 9698). Each also fails with a typed
 * ImapCapabilityError, before anything is sent, on a server without it.
 */
import { describe, expect, it } from 'vitest';
import { copy } from '../../src/commands/copy.js';
import { esearch } from '../../src/commands/esearch.js';
import { fetch, fetchAll } from '../../src/commands/fetch.js';
import { getJmapAccess } from '../../src/commands/jmapaccess.js';
import { list } from '../../src/commands/list.js';
import { messageLimit, saveLimit } from '../../src/commands/messagelimit.js';
import { move } from '../../src/commands/move.js';
import { search } from '../../src/commands/search.js';
import { select } from '../../src/commands/select.js';
import { store } from '../../src/commands/store.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import {
  ImapArgumentError,
  ImapCapabilityError,
  ImapConnectionError,
  ImapMessageLimitError,
  ImapProtocolError,
} from '../../src/model/errors.js';
import type { ScriptedConnection } from '../helpers/scripted-server.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

const { serve, connect, rejection } = useScriptedServers();

/** A PREAUTH session with `caps`, then `script`; the connection and what the client sent. */
async function session(
  caps: string,
  script: (c: ScriptedConnection) => Promise<void>,
): Promise<{ conn: ImapConnection; sent: () => string }> {
  const server = await serve(async (c) => {
    await c.write(`* PREAUTH [CAPABILITY ${caps}] hi\r\n`);
    await script(c);
    await c.closed();
  });
  const conn = await connect(server);
  return { conn, sent: () => server.receivedText() };
}

/** SELECT INBOX answered for a mailbox of 5000 messages. */
async function selectBig(c: ScriptedConnection): Promise<void> {
  await c.expect(/^\S+ SELECT INBOX$/);
  await c.write(
    '* 5000 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 5001] ok\r\n$tag OK [READ-WRITE] selected\r\n',
  );
}

const LIMIT_CAPS = 'IMAP4rev1 UIDPLUS MOVE ESEARCH MESSAGELIMIT=1000';

describe('LIST-METADATA (RFC 9590)', () => {
  it('LIST RETURN (METADATA (entries)) folds the interleaved METADATA responses into each mailbox', async () => {
    const { conn, sent } = await session(
      'IMAP4rev1 LIST-EXTENDED METADATA LIST-METADATA',
      async (c) => {
        await c.expect(
          /^\S+ LIST "" "\*" RETURN \(CHILDREN METADATA \(\/shared\/comment \/private\/color\)\)$/,
        );
        await c.write(
          '* LIST (\\HasNoChildren) "." INBOX\r\n' +
            '* METADATA "INBOX" (/shared/comment "Main inbox" /private/color NIL)\r\n' +
            '* LIST (\\HasNoChildren) "." Sent\r\n' +
            '* LIST (\\HasChildren) "." Archive\r\n' +
            '* METADATA "Archive" (/private/color {7}\r\n#00ff00)\r\n' +
            '* METADATA "Archive" (/shared/comment "Old")\r\n' +
            '$tag OK done\r\n',
        );
      },
    );
    const entries = await list(conn, '', '*', {
      return: { children: true, metadata: ['/shared/comment', '/private/color'] },
    });
    expect(sent()).toMatch(/RETURN \(CHILDREN METADATA \(\/shared\/comment \/private\/color\)\)/);
    expect(entries.map((e) => [e.name, e.metadata])).toEqual([
      [
        'INBOX',
        new Map([
          ['/shared/comment', Buffer.from('Main inbox')],
          ['/private/color', null],
        ]),
      ],
      ['Sent', new Map()],
      [
        'Archive',
        new Map([
          ['/private/color', Buffer.from('#00ff00')],
          ['/shared/comment', Buffer.from('Old')],
        ]),
      ],
    ]);
  });

  it('without the METADATA return option, entries have no metadata and METADATA is not collected', async () => {
    const { conn } = await session('IMAP4rev1 LIST-EXTENDED LIST-METADATA', async (c) => {
      await c.expect(/^\S+ LIST "" "\*"$/);
      await c.write(
        '* LIST () "." INBOX\r\n* METADATA "INBOX" (/shared/comment "x")\r\n$tag OK\r\n',
      );
    });
    const unsolicited: unknown[] = [];
    conn.on('untagged', (r) => {
      if (r.name === 'METADATA') unsolicited.push(r.mailbox);
    });
    const [inbox] = await list(conn, '', '*');
    expect(inbox!.metadata).toBeUndefined();
    expect(unsolicited).toEqual(['INBOX']);
  });

  it('a server without LIST-METADATA gets ImapCapabilityError before anything is sent', async () => {
    const { conn, sent } = await session('IMAP4rev1 LIST-EXTENDED METADATA', async () => {});
    const err = await rejection(list(conn, '', '*', { return: { metadata: ['/shared/comment'] } }));
    expect(err).toBeInstanceOf(ImapCapabilityError);
    expect((err as ImapCapabilityError).capability).toBe('LIST-METADATA');
    expect(sent()).toBe('');
  });

  it('an invalid entry name or an empty entry list is refused before sending', async () => {
    const { conn, sent } = await session('IMAP4rev1 LIST-EXTENDED LIST-METADATA', async () => {});
    await expect(list(conn, '', '*', { return: { metadata: ['comment'] } })).rejects.toThrow(
      ImapArgumentError,
    );
    await expect(list(conn, '', '*', { return: { metadata: [] } })).rejects.toThrow(
      ImapArgumentError,
    );
    expect(sent()).toBe('');
  });
});

describe('JMAPACCESS (RFC 9698)', () => {
  it('GETJMAPACCESS returns the URL of the untagged JMAPACCESS response', async () => {
    const { conn } = await session('IMAP4rev2 OBJECTID JMAPACCESS', async (c) => {
      await c.expect(/^\S+ GETJMAPACCESS$/);
      await c.write('* JMAPACCESS "https://example.com/.well-known/jmap"\r\n$tag OK done\r\n');
    });
    expect(await getJmapAccess(conn)).toBe('https://example.com/.well-known/jmap');
  });

  it('a GETJMAPACCESS completed without a JMAPACCESS response is a typed error, not an empty URL', async () => {
    const { conn } = await session('IMAP4rev2 JMAPACCESS', async (c) => {
      await c.expect(/^\S+ GETJMAPACCESS$/);
      await c.write('$tag OK done\r\n');
    });
    const err = await rejection(getJmapAccess(conn));
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('PROTOCOL');
    expect(err.message).toMatch(/without a JMAPACCESS response/);
  });

  it('a NO to GETJMAPACCESS is an ImapProtocolError', async () => {
    const { conn } = await session('IMAP4rev2 JMAPACCESS', async (c) => {
      await c.expect(/^\S+ GETJMAPACCESS$/);
      await c.write('$tag NO not for you\r\n');
    });
    const err = await rejection(getJmapAccess(conn));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).serverText).toBe('not for you');
  });

  it('a server without JMAPACCESS gets ImapCapabilityError before anything is sent', async () => {
    const { conn, sent } = await session('IMAP4rev2 OBJECTID', async () => {});
    const err = await rejection(getJmapAccess(conn));
    expect(err).toBeInstanceOf(ImapCapabilityError);
    expect((err as ImapCapabilityError).capability).toBe('JMAPACCESS');
    expect(sent()).toBe('');
  });
});

describe('MESSAGELIMIT (RFC 9738)', () => {
  it('the limits are read from MESSAGELIMIT=n and SAVELIMIT=n; null when absent or malformed', async () => {
    const { conn } = await session(`${LIMIT_CAPS} SAVELIMIT=500`, async () => {});
    expect(messageLimit(conn)).toBe(1000);
    expect(saveLimit(conn)).toBe(500);
    const other = await session('IMAP4rev1 MESSAGELIMIT=x SAVELIMIT=0', async () => {});
    expect(messageLimit(other.conn)).toBeNull();
    expect(saveLimit(other.conn)).toBeNull();
  });

  it('a partial UID FETCH yields the processed messages, then ImapMessageLimitError naming the lowest UID', async () => {
    const { conn } = await session(LIMIT_CAPS, async (c) => {
      await selectBig(c);
      await c.expect(/^\S+ UID FETCH 1:5000 \(UID FLAGS\)$/);
      await c.write(
        '* 5000 FETCH (UID 5000 FLAGS ())\r\n* 4999 FETCH (UID 4999 FLAGS (\\Seen))\r\n' +
          '$tag OK [MESSAGELIMIT 1000 4001] Only the last 1000 messages were fetched\r\n',
      );
    });
    await select(conn, 'INBOX');
    const got: number[] = [];
    let caught: unknown = null;
    try {
      for await (const m of fetch(conn, '1:5000', { uid: true, flags: true }, { uid: true })) {
        got.push(m.uid!);
      }
    } catch (err) {
      caught = err;
    }
    expect(got).toEqual([5000, 4999]);
    expect(caught).toBeInstanceOf(ImapMessageLimitError);
    const e = caught as ImapMessageLimitError;
    expect([e.code, e.limit, e.lowestUid]).toEqual(['MESSAGE_LIMIT', 1000, 4001]);
    expect(e.message).toMatch(/below UID 4001 were not processed/);
    expect(e.responseCode).toEqual({ name: 'MESSAGELIMIT', limit: 1000, lowestUid: 4001 });
  });

  it('fetchAll of a partial FETCH throws with the fetched messages in `partial`', async () => {
    const { conn } = await session(LIMIT_CAPS, async (c) => {
      await selectBig(c);
      await c.expect(/^\S+ UID FETCH 1:5000 \(UID FLAGS\)$/);
      await c.write(
        '* 5000 FETCH (UID 5000 FLAGS ())\r\n$tag OK [MESSAGELIMIT 1000 4001] partial\r\n',
      );
    });
    await select(conn, 'INBOX');
    const err = await rejection(
      fetchAll(conn, '1:5000', { uid: true, flags: true }, { uid: true }),
    );
    expect(err).toBeInstanceOf(ImapMessageLimitError);
    const partial = (err as ImapMessageLimitError).partial as Array<{ uid?: number }>;
    expect(partial.map((m) => m.uid)).toEqual([5000]);
    expect((err as ImapMessageLimitError).serverText).toBe('partial');
  });

  it('a partial UID STORE, UID SEARCH, ESEARCH, UID MOVE and UID EXPUNGE each throw with their result so far', async () => {
    const { conn } = await session(LIMIT_CAPS, async (c) => {
      await selectBig(c);
      await c.expect(/^\S+ UID STORE 1:5000 \+FLAGS \(\\Seen\)$/);
      await c.write(
        '* 5000 FETCH (UID 5000 FLAGS (\\Seen))\r\n$tag OK [MESSAGELIMIT 1000 4001] stored\r\n',
      );
      await c.expect(/^\S+ UID SEARCH UID 1:5000 UNSEEN$/);
      await c.write('* SEARCH 4500 4200\r\n$tag OK [MESSAGELIMIT 1000 4001] searched\r\n');
      await c.expect(/^\S+ UID SEARCH RETURN \(ALL\) UID 1:5000 UNSEEN$/);
      await c.write(
        '* ESEARCH (TAG "$tag") UID ALL 4200,4500\r\n$tag OK [MESSAGELIMIT 1000 4001] searched\r\n',
      );
      await c.expect(/^\S+ UID MOVE 1:5000 Archive$/);
      await c.write(
        '* OK [COPYUID 9 4001:5000 1:1000] moved\r\n* 5000 EXPUNGE\r\n' +
          '$tag OK [MESSAGELIMIT 1000 4001] moved\r\n',
      );
      await c.expect(/^\S+ UID EXPUNGE 1:4000$/);
      await c.write('* 3999 EXPUNGE\r\n$tag OK [MESSAGELIMIT 1000 3001] expunged\r\n');
    });
    await select(conn, 'INBOX');
    const storeErr = await rejection(store(conn, '1:5000', { add: ['\\Seen'], uid: true }));
    expect(storeErr).toBeInstanceOf(ImapMessageLimitError);
    const stored = (storeErr as ImapMessageLimitError).partial as {
      updated: Array<{ uid?: number }>;
    };
    expect(stored.updated.map((m) => m.uid)).toEqual([5000]);

    const query = { uid: '1:5000', seen: false } as const;
    const searchErr = await rejection(search(conn, query, { uid: true }));
    expect(searchErr).toBeInstanceOf(ImapMessageLimitError);
    expect((searchErr as ImapMessageLimitError).partial).toMatchObject({ numbers: [4500, 4200] });

    const esearchErr = await rejection(esearch(conn, query, { uid: true, return: ['ALL'] }));
    expect(esearchErr).toBeInstanceOf(ImapMessageLimitError);
    expect((esearchErr as ImapMessageLimitError).lowestUid).toBe(4001);

    const moveErr = await rejection(move(conn, '1:5000', 'Archive', { uid: true }));
    expect(moveErr).toBeInstanceOf(ImapMessageLimitError);
    const moved = (moveErr as ImapMessageLimitError).partial as {
      copyUid: unknown;
      expunged: number[];
    };
    expect(moved.expunged).toEqual([5000]);
    expect(moved.copyUid).not.toBeNull();

    const expungeErr = await rejection(uidExpunge(conn, '1:4000'));
    expect(expungeErr).toBeInstanceOf(ImapMessageLimitError);
    expect((expungeErr as ImapMessageLimitError).lowestUid).toBe(3001);
    expect((expungeErr as ImapMessageLimitError).partial).toMatchObject({ expunged: [3999] });
  });

  it('a COPY refused whole with NO [MESSAGELIMIT n] is an ImapProtocolError with the typed code', async () => {
    const { conn } = await session(LIMIT_CAPS, async (c) => {
      await selectBig(c);
      await c.expect(/^\S+ UID COPY 1:5000 Archive$/);
      await c.write('$tag NO [MESSAGELIMIT 1000] Too many messages to copy\r\n');
    });
    await select(conn, 'INBOX');
    const err = await rejection(copy(conn, '1:5000', 'Archive', { uid: true }));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).responseCode).toEqual({
      name: 'MESSAGELIMIT',
      limit: 1000,
      lowestUid: null,
    });
  });

  it('a COPY completed with OK [MESSAGELIMIT n uid] is an ImapMessageLimitError', async () => {
    const { conn } = await session(LIMIT_CAPS, async (c) => {
      await selectBig(c);
      await c.expect(/^\S+ UID COPY 1:5000 Archive$/);
      await c.write('$tag OK [MESSAGELIMIT 1000 4001] copied some\r\n');
    });
    await select(conn, 'INBOX');
    const err = await rejection(copy(conn, '1:5000', 'Archive', { uid: true }));
    expect(err).toBeInstanceOf(ImapMessageLimitError);
    expect((err as ImapMessageLimitError).lowestUid).toBe(4001);
  });
});
