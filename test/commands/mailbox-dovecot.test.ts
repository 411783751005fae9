/**
 * Mailbox-level commands against the real Dovecot of scripts/test-server.sh,
 * as user carol, each test on scratch mailboxes of its own
 * (`t-mbx-<random>`, deleted afterwards), so seeded mail other tests assert
 * is never touched.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAcl, listRights, myRights, setAcl, deleteAcl } from '../../src/commands/acl.js';
import { append, appendCatenate, appendMany } from '../../src/commands/append.js';
import { capability } from '../../src/commands/capability.js';
import { create } from '../../src/commands/create.js';
import { deleteMailbox } from '../../src/commands/delete.js';
import { enable } from '../../src/commands/enable.js';
import { id } from '../../src/commands/id.js';
import { list, type MailboxEntry } from '../../src/commands/list.js';
import { logout } from '../../src/commands/logout.js';
import { lsub } from '../../src/commands/lsub.js';
import { getMetadata, setMetadata } from '../../src/commands/metadata.js';
import { namespace } from '../../src/commands/namespace.js';
import { noop } from '../../src/commands/noop.js';
import { notify } from '../../src/commands/notify.js';
import { proxyAuth } from '../../src/commands/proxyauth.js';
import { getQuota, getQuotaRoot, setQuota } from '../../src/commands/quota.js';
import { rawCommand } from '../../src/commands/raw.js';
import { rename } from '../../src/commands/rename.js';
import { select } from '../../src/commands/select.js';
import { status } from '../../src/commands/status.js';
import { subscribe, unsubscribe } from '../../src/commands/subscribe.js';
import { unauthenticate } from '../../src/commands/unauthenticate.js';
import { ImapConnection } from '../../src/connection/connection.js';
import type { CommandContext, CommandResult } from '../../src/connection/types.js';
import { ImapCapabilityError, ImapProtocolError } from '../../src/model/errors.js';
import type { FetchAttributes, UntaggedResponse } from '../../src/model/response.js';
import { atom, flag, list as listArg, mailbox, raw, seq } from '../../src/wire/args.js';
import { plainOptions, testMessage } from '../helpers/dovecot.js';
import { rejection } from '../helpers/scripted-harness.js';

const USER = 'carol';
let conn: ImapConnection;
const open: ImapConnection[] = [];
const created: string[] = [];

function scratchName(): string {
  return `t-mbx-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

async function connect(user = USER): Promise<ImapConnection> {
  const c = await ImapConnection.connect(plainOptions(user));
  open.push(c);
  return c;
}

/** Creates a scratch mailbox (remembered for cleanup) with `count` messages. */
async function scratch(c: ImapConnection, count = 0): Promise<string> {
  const name = scratchName();
  created.push(name);
  await create(c, name);
  if (count > 0) {
    await appendMany(
      c,
      name,
      Array.from({ length: count }, (_, i) => ({ message: testMessage(`scratch ${i + 1}`) })),
    );
  }
  return name;
}

/** UID FETCH through the raw escape hatch: attributes by UID. */
async function uidFetch(
  c: CommandContext,
  uids: string,
  items: string,
): Promise<Map<number, FetchAttributes>> {
  const r = await rawCommand(c, 'UID FETCH', [seq(uids), raw(items)], ['FETCH']);
  expect(r.tagged.status).toBe('OK');
  const out = new Map<number, FetchAttributes>();
  for (const u of r.untagged) if (u.name === 'FETCH') out.set(u.attributes.uid!, u.attributes);
  return out;
}

/**
 * The connection seen through a context that hides some capabilities and
 * counts what is sent, to prove a missing capability fails before sending.
 */
function hiding(c: ImapConnection, hidden: string[]): CommandContext & { calls: number } {
  const h = new Set(hidden.map((n) => n.toUpperCase()));
  const ctx = {
    calls: 0,
    get capabilities(): ReadonlySet<string> {
      return new Set([...c.capabilities].filter((n) => !h.has(n.toUpperCase())));
    },
    hasCapability: (n: string): boolean => !h.has(n.toUpperCase()) && c.hasCapability(n),
    get state() {
      return c.state;
    },
    get selected() {
      return c.selected;
    },
    get enabled() {
      return c.enabled;
    },
    get utf8Enabled() {
      return c.utf8Enabled;
    },
    run: (...a: Parameters<ImapConnection['run']>): Promise<CommandResult> => {
      ctx.calls++;
      return c.run(...a);
    },
    exec: (...a: Parameters<ImapConnection['exec']>): Promise<CommandResult> => {
      ctx.calls++;
      return c.exec(...a);
    },
  };
  return ctx;
}

beforeAll(async () => {
  conn = await connect();
});

afterAll(async () => {
  // Children before parents: longest names first.
  const c = conn.closed ? await connect() : conn;
  const all = (await list(c, '', 't-mbx-*')).map((e) => e.name);
  const mine = all.filter((n) => created.some((p) => n === p || n.startsWith(`${p}/`)));
  mine.sort((a, b) => b.length - a.length);
  for (const name of mine) await c.run('DELETE', [mailbox(name)]).catch(() => undefined);
  for (const o of open) await o.logout();
});

describe('session commands', () => {
  it('CAPABILITY refreshes the announced set', async () => {
    const caps = await capability(conn);
    expect(caps.has('IMAP4REV1')).toBe(true);
    expect(caps.has('QUOTA')).toBe(true);
    expect(caps.has('ACL')).toBe(true);
    expect(caps.has('LIST-STATUS')).toBe(true);
  });

  it('NOOP completes', async () => {
    await expect(noop(conn)).resolves.toBeUndefined();
  });

  it('ID sends our fields and returns the server’s', async () => {
    const fields = await id(conn, { name: 'imapkit', version: '0.1.0' });
    expect(fields?.get('name')).toBe('Dovecot');
  });

  it('ENABLE returns what the server actually enabled', async () => {
    const c = await connect();
    const enabled = await enable(c, ['CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT', 'X-NOT-A-THING']);
    expect(enabled.has('QRESYNC')).toBe(true);
    expect(enabled.has('X-NOT-A-THING')).toBe(false);
    // Dovecot 2.3 has no UTF8=ACCEPT: names keep travelling as modified UTF-7.
    expect(enabled.has('UTF8=ACCEPT')).toBe(false);
    expect(c.enabled.has('QRESYNC')).toBe(true);
    expect(c.utf8Enabled).toBe(false);
  });

  it('NAMESPACE reports the personal and other-users namespaces', async () => {
    const ns = await namespace(conn);
    expect(ns.personal).toEqual([{ prefix: '', delimiter: '/', extensions: new Map() }]);
    expect(ns.otherUsers).toEqual([{ prefix: 'shared/', delimiter: '/', extensions: new Map() }]);
    expect(ns.shared).toEqual([]);
  });

  it('LOGOUT returns the BYE text and the connection closes', async () => {
    const c = await connect();
    const bye = await logout(c);
    expect(bye).toMatch(/logging out/i);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.closed).toBe(true);
  });

  it('UNAUTHENTICATE is refused without sending: Dovecot does not offer it', async () => {
    const ctx = hiding(conn, []);
    const err = await rejection(unauthenticate(ctx));
    expect(err).toBeInstanceOf(ImapCapabilityError);
    expect((err as ImapCapabilityError).capability).toBe('UNAUTHENTICATE');
    expect(ctx.calls).toBe(0);
  });

  it('PROXYAUTH is sent as is; Dovecot answers BAD', async () => {
    const err = await rejection(proxyAuth(conn, 'bob'));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).status).toBe('BAD');
  });

  it('rawCommand returns NO without throwing', async () => {
    const r = await rawCommand(conn, 'SELECT', [mailbox(scratchName())]);
    expect(r.tagged.status).toBe('NO');
  });
});

describe('mailbox management', () => {
  it('a non-ASCII name round-trips through CREATE, LIST, SELECT, STATUS, RENAME and DELETE', async () => {
    const parent = scratchName();
    created.push(parent);
    const name = `${parent}/Entwürfe/日本語 ✓`;
    const renamed = `${parent}/Gelöscht ✗`;
    await create(conn, name);

    const entries = await list(conn, '', `${parent}/*`);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect([...byName.keys()].sort()).toEqual([`${parent}/Entwürfe`, name].sort());
    const entry = byName.get(name)!;
    expect(entry.rawName).toBe(`${parent}/Entw&APw-rfe/&ZeVnLIqe- &JxM-`);
    expect(entry.delimiter).toBe('/');
    expect(entry.attributes.has('\\HasNoChildren')).toBe(true);
    expect(byName.get(`${parent}/Entwürfe`)!.attributes.has('\\HasChildren')).toBe(true);

    await append(conn, name, testMessage('Grüße'));
    const sel = await select(conn, name);
    expect(sel.name).toBe(name);
    expect(sel.exists).toBe(1);
    expect(conn.selected?.name).toBe(name);
    expect((await status(conn, name, ['MESSAGES'])).messages).toBe(1);
    await rawCommand(conn, 'UNSELECT');

    await rename(conn, name, renamed);
    // Maildir++: the intermediate `Entwürfe` existed only through its child.
    const after = (await list(conn, '', `${parent}/*`)).map((e) => e.name);
    expect(after).toEqual([renamed]);
    expect((await status(conn, renamed, ['MESSAGES'])).messages).toBe(1);

    await deleteMailbox(conn, renamed);
    expect(await list(conn, '', `${parent}/*`)).toEqual([]);
  });

  it('SELECT of a missing mailbox throws ImapProtocolError NO', async () => {
    const missing = scratchName();
    const err = await rejection(select(conn, missing));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).status).toBe('NO');
    expect((err as ImapProtocolError).serverText).toMatch(/doesn't exist/);
    expect((err as ImapProtocolError).command).toMatch(new RegExp(` SELECT ${missing}$`));
    expect(conn.selected).toBeNull();
  });

  it('DELETE of a missing mailbox throws NO [NONEXISTENT]', async () => {
    const err = await rejection(deleteMailbox(conn, scratchName()));
    expect((err as ImapProtocolError).responseCode).toEqual({ name: 'NONEXISTENT' });
  });

  it('CREATE of an existing mailbox throws NO [ALREADYEXISTS]', async () => {
    const name = await scratch(conn);
    const err = await rejection(create(conn, name));
    expect((err as ImapProtocolError).responseCode).toEqual({ name: 'ALREADYEXISTS' });
  });

  it('CREATE with special use is refused without sending: no CREATE-SPECIAL-USE', async () => {
    const ctx = hiding(conn, []);
    const err = await rejection(create(ctx, scratchName(), { specialUse: ['\\Sent'] }));
    expect(err).toBeInstanceOf(ImapCapabilityError);
    expect((err as ImapCapabilityError).capability).toBe('CREATE-SPECIAL-USE');
    expect(ctx.calls).toBe(0);
  });

  it('EXAMINE opens read-only; SELECT read-write with flags and UIDs', async () => {
    const name = await scratch(conn, 3);
    const ex = await select(conn, name, { readOnly: true });
    expect(ex.readOnly).toBe(true);
    expect(ex.exists).toBe(3);
    const sel = await select(conn, name);
    expect(sel).toMatchObject({ name, readOnly: false, exists: 3, uidNext: 4, noModseq: false });
    expect(sel.flags).toEqual(expect.arrayContaining(['\\Seen', '\\Deleted', '\\Flagged']));
    expect(sel.permanentFlags).toEqual(expect.arrayContaining(['\\Seen', '\\*']));
    expect(sel.uidValidity).toBeGreaterThan(0);
    expect(sel.unseen).toBe(1);
    expect(sel.highestModseq).toBeNull(); // no CONDSTORE asked for
    const cs = await select(conn, name, { condstore: true });
    expect(typeof cs.highestModseq).toBe('bigint');
    expect(cs.highestModseq! > 0n).toBe(true);
    await rawCommand(conn, 'UNSELECT');
  });

  it('SUBSCRIBE and UNSUBSCRIBE show in LSUB and LIST (SUBSCRIBED)', async () => {
    const name = await scratch(conn);
    await subscribe(conn, name);
    const subs = await lsub(conn, '', name);
    expect(subs.map((e) => [e.name, e.subscribed])).toEqual([[name, true]]);
    const ext = await list(conn, '', name, { selection: ['SUBSCRIBED'] });
    expect(ext.map((e) => e.name)).toEqual([name]);
    expect(ext[0]!.subscribed).toBe(true);
    await unsubscribe(conn, name);
    expect(await lsub(conn, '', name)).toEqual([]);
  });
});

describe('LIST extensions', () => {
  it('SPECIAL-USE return option marks the special mailboxes', async () => {
    const entries = await list(conn, '', '%', { return: { specialUse: true, subscribed: true } });
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('Sent')?.specialUse).toBe('\\Sent');
    expect(byName.get('Drafts')?.specialUse).toBe('\\Drafts');
    expect(byName.get('Trash')?.specialUse).toBe('\\Trash');
    expect(byName.get('Junk')?.specialUse).toBe('\\Junk');
    expect(byName.get('Archive')?.specialUse).toBe('\\Archive');
    expect(byName.get('Sent')?.subscribed).toBe(true);
    expect(byName.get('INBOX')?.specialUse).toBeNull();
  });

  it('SPECIAL-USE selection lists only special-use mailboxes', async () => {
    const entries = await list(conn, '', '*', { selection: ['SPECIAL-USE'] });
    expect(entries.map((e) => e.specialUse).sort()).toEqual(
      ['\\Archive', '\\Drafts', '\\Junk', '\\Sent', '\\Trash'].sort(),
    );
  });

  it('LIST-STATUS merges each mailbox’s STATUS into its entry', async () => {
    const name = await scratch(conn, 2);
    const entries = await list(conn, '', '*', {
      patterns: [name],
      return: { status: ['MESSAGES', 'UIDNEXT', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE'] },
    });
    const byName = new Map<string, MailboxEntry>(entries.map((e) => [e.name, e]));
    const mine = byName.get(name)!;
    expect(mine.status).toMatchObject({ name, messages: 2, uidNext: 3, unseen: 2 });
    expect(typeof mine.status?.highestModseq).toBe('bigint');
    expect(mine.status?.size).toBeGreaterThan(0);
    const inbox = await status(conn, 'INBOX', ['MESSAGES']);
    expect(byName.get('INBOX')?.status?.messages).toBe(inbox.messages);
  });

  it('a context without LIST-STATUS refuses RETURN (STATUS) without sending', async () => {
    const ctx = hiding(conn, ['LIST-STATUS']);
    const err = await rejection(list(ctx, '', '*', { return: { status: ['MESSAGES'] } }));
    expect((err as ImapCapabilityError).capability).toBe('LIST-STATUS');
    expect(ctx.calls).toBe(0);
  });
});

describe('STATUS', () => {
  it('returns every item Dovecot supports, typed', async () => {
    const name = await scratch(conn, 3);
    const sel = await select(conn, name, { condstore: true });
    await rawCommand(conn, 'UID STORE', [seq('1'), atom('+FLAGS'), listArg([flag('\\Seen')])]);
    await rawCommand(conn, 'UNSELECT');
    const s = await status(conn, name, [
      'MESSAGES',
      'UIDNEXT',
      'UIDVALIDITY',
      'UNSEEN',
      'RECENT',
      'SIZE',
      'HIGHESTMODSEQ',
    ]);
    expect(s).toMatchObject({
      name,
      messages: 3,
      uidNext: 4,
      uidValidity: sel.uidValidity,
      unseen: 2,
      recent: 0,
    });
    expect(s.size).toBeGreaterThan(300);
    expect(s.highestModseq! > sel.highestModseq!).toBe(true);
  });

  it('items Dovecot 2.3 lacks fail before sending: DELETED, MAILBOXID, APPENDLIMIT', async () => {
    const ctx = hiding(conn, []);
    for (const [item, cap] of [
      ['DELETED', 'IMAP4rev2'],
      ['MAILBOXID', 'OBJECTID'],
      ['APPENDLIMIT', 'APPENDLIMIT'],
    ] as const) {
      const err = await rejection(status(ctx, 'INBOX', [item]));
      expect(err).toBeInstanceOf(ImapCapabilityError);
      expect((err as ImapCapabilityError).capability).toBe(cap);
    }
    expect(ctx.calls).toBe(0);
  });

  it('a context without CONDSTORE refuses HIGHESTMODSEQ without sending', async () => {
    const ctx = hiding(conn, ['CONDSTORE', 'QRESYNC']);
    const err = await rejection(status(ctx, 'INBOX', ['HIGHESTMODSEQ']));
    expect((err as ImapCapabilityError).capability).toBe('CONDSTORE');
    expect(ctx.calls).toBe(0);
  });
});

describe('APPEND', () => {
  it('stores a streamed message with flags and internal date and reports APPENDUID', async () => {
    const name = await scratch(conn);
    const message = Buffer.from(testMessage('streamed', 'x'.repeat(200_000)));
    const chunks: Buffer[] = [];
    for (let i = 0; i < message.length; i += 16_384) chunks.push(message.subarray(i, i + 16_384));
    const when = new Date(Date.UTC(2023, 5, 15, 8, 30, 0));
    const r = await append(
      conn,
      name,
      { stream: Readable.from(chunks), size: message.length },
      { flags: ['\\Seen', '\\Flagged', 'Work'], internalDate: when },
    );
    const st = await status(conn, name, ['UIDVALIDITY', 'MESSAGES']);
    expect(r).toEqual({ uidValidity: st.uidValidity, uid: 1 });
    expect(st.messages).toBe(1);

    await select(conn, name, { readOnly: true });
    const got = (await uidFetch(conn, '1', '(FLAGS INTERNALDATE RFC822.SIZE)')).get(1)!;
    const flags = new Set(got.flags!.filter((f) => f !== '\\Recent'));
    expect(flags).toEqual(new Set(['\\Seen', '\\Flagged', 'Work']));
    expect(got.internalDate).toBe('15-Jun-2023 08:30:00 +0000');
    expect(got.rfc822Size).toBe(message.length);
    await rawCommand(conn, 'UNSELECT');
  });

  it('MULTIAPPEND stores several messages in one command and returns their UIDs', async () => {
    const name = await scratch(conn, 1);
    const r = await appendMany(conn, name, [
      { message: testMessage('one') },
      { message: Buffer.from(testMessage('two')), flags: ['\\Answered'] },
      { message: testMessage('three'), internalDate: new Date(Date.UTC(2020, 0, 1)) },
    ]);
    expect(r?.uids).toEqual([2, 3, 4]);
    expect((await status(conn, name, ['MESSAGES'])).messages).toBe(4);
  });

  it('without MULTIAPPEND, appendMany falls back to one APPEND each', async () => {
    const name = await scratch(conn);
    const ctx = hiding(conn, ['MULTIAPPEND']);
    const r = await appendMany(ctx, name, [
      { message: testMessage('a') },
      { message: testMessage('b') },
    ]);
    expect(ctx.calls).toBe(2);
    expect(r?.uids).toEqual([1, 2]);
  });

  it('BINARY sends literal8, so a message may hold NUL', async () => {
    const name = await scratch(conn);
    const msg = Buffer.concat([
      Buffer.from('Subject: bin\r\nContent-Type: application/octet-stream\r\n\r\n'),
      Buffer.from([0, 1, 2, 0, 255]),
      Buffer.from('\r\n'),
    ]);
    const r = await append(conn, name, msg, { binary: true });
    expect(r?.uid).toBe(1);
  });

  it('a missing mailbox fails with NO [TRYCREATE]', async () => {
    const err = await rejection(append(conn, scratchName(), testMessage('x')));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).responseCode).toEqual({ name: 'TRYCREATE' });
  });

  it('a message over quota fails with NO [OVERQUOTA] (bob has 10 MB)', async () => {
    const bob = await connect('bob');
    const name = scratchName();
    await create(bob, name);
    try {
      const size = 11 * 1024 * 1024;
      const head = Buffer.from('Subject: big\r\n\r\n');
      const line = Buffer.from('y'.repeat(78) + '\r\n');
      function* body(): Generator<Buffer> {
        yield head;
        let left = size - head.length;
        while (left > 0) {
          const n = Math.min(left, line.length);
          yield n === line.length ? line : line.subarray(line.length - n);
          left -= n;
        }
      }
      const err = await rejection(append(bob, name, { stream: Readable.from(body()), size }));
      expect(err).toBeInstanceOf(ImapProtocolError);
      expect((err as ImapProtocolError).responseCode).toEqual({ name: 'OVERQUOTA' });
      expect((await status(bob, name, ['MESSAGES'])).messages).toBe(0);
    } finally {
      await bob.run('DELETE', [mailbox(name)]);
    }
  });

  it('CATENATE builds a message from text and a URL of an existing message', async () => {
    const name = await scratch(conn, 1);
    const st = await status(conn, name, ['UIDVALIDITY']);
    const r = await appendCatenate(conn, name, [
      { text: 'Subject: catenated\r\n\r\n' },
      { url: `/${name};UIDVALIDITY=${st.uidValidity}/;UID=1/;SECTION=TEXT` },
    ]);
    expect(r).toEqual({ uidValidity: st.uidValidity, uid: 2 });
    await select(conn, name, { readOnly: true });
    const got = await uidFetch(conn, '1:2', '(BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    const text = (uid: number): string =>
      (got.get(uid)!.sections!.get('BODY[TEXT]')!.data as Buffer).toString();
    expect(text(2)).toBe(text(1));
    const subject = got.get(2)!.sections!.get('BODY[HEADER.FIELDS (SUBJECT)]')!.data as Buffer;
    expect(subject.toString()).toMatch(/^Subject: catenated\r\n/);
    await rawCommand(conn, 'UNSELECT');
  });
});

describe('QUOTA', () => {
  it('GETQUOTAROOT and GETQUOTA report carol’s 1 GiB storage quota', async () => {
    const r = await getQuotaRoot(conn, 'INBOX');
    expect(r.roots).toEqual(['User quota']);
    const storage = r.quotas.get('User quota')?.get('STORAGE');
    expect(storage?.limit).toBe(1048576n); // KiB
    expect(storage!.usage > 0n).toBe(true);
    const q = await getQuota(conn, 'User quota');
    expect(q.get('STORAGE')?.limit).toBe(1048576n);
  });

  it('SETQUOTA as a user is refused with NO', async () => {
    const err = await rejection(setQuota(conn, 'User quota', { STORAGE: 100 }));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).status).toBe('NO');
  });

  it('a context without QUOTA refuses without sending', async () => {
    const ctx = hiding(conn, ['QUOTA']);
    const err = await rejection(getQuotaRoot(ctx, 'INBOX'));
    expect(err).toBeInstanceOf(ImapCapabilityError);
    expect((err as ImapCapabilityError).capability).toBe('QUOTA');
    expect(ctx.calls).toBe(0);
  });
});

describe('ACL', () => {
  it('grants, lists and removes rights; the grantee sees them', async () => {
    const name = await scratch(conn, 1);
    const own = await myRights(conn, name);
    expect(own).toBe('lrwstipekxacd');
    expect(await getAcl(conn, name)).toEqual(new Map([['carol', 'lrwstipekxacd']]));

    await setAcl(conn, name, 'bob', 'lr');
    await setAcl(conn, name, 'bob', '+s');
    expect((await getAcl(conn, name)).get('bob')).toBe('lrs');

    const rights = await listRights(conn, name, 'bob');
    expect(rights.required).toBe('');
    expect(rights.optional).toEqual(expect.arrayContaining(['l', 'r', 's', 'w', 'a']));

    const bob = await connect('bob');
    expect(await myRights(bob, `shared/carol/${name}`)).toBe('lrs');
    const shared = await status(bob, `shared/carol/${name}`, ['MESSAGES']);
    expect(shared.messages).toBe(1);

    await deleteAcl(conn, name, 'bob');
    expect((await getAcl(conn, name)).has('bob')).toBe(false);
  });
});

describe('METADATA', () => {
  it('sets, reads and removes mailbox annotations', async () => {
    const name = await scratch(conn);
    await setMetadata(
      conn,
      name,
      new Map<string, string | Buffer | null>([
        ['/private/comment', 'Grüße ✓'],
        ['/shared/comment', Buffer.from('two\r\nlines')],
      ]),
    );
    const got = await getMetadata(conn, name, ['/private/comment', '/shared/comment']);
    expect(got.get('/private/comment')?.toString('utf8')).toBe('Grüße ✓');
    expect(got.get('/shared/comment')?.toString()).toBe('two\r\nlines');

    const small = await getMetadata(conn, name, ['/private/comment', '/shared/comment'], {
      maxSize: 10,
    });
    expect(small.has('/private/comment')).toBe(false); // 'Grüße ✓' is 11 bytes of UTF-8
    expect(small.get('/shared/comment')?.toString()).toBe('two\r\nlines'); // 10 bytes
    expect(small.longEntries).toBe(11); // OK [METADATA LONGENTRIES 11] (RFC 5464 4.2.1)
    expect(got.longEntries).toBeNull();

    await setMetadata(conn, name, new Map([['/private/comment', null]]));
    const after = await getMetadata(conn, name, ['/private/comment']);
    expect(after.get('/private/comment') ?? null).toBeNull();
  });

  it('a value holding NUL goes as literal8; Dovecot 2.3 refuses it with NO, the session goes on', async () => {
    const name = await scratch(conn);
    const blob = Buffer.from([0x41, 0x00, 0x42]);
    const err = await setMetadata(conn, name, new Map([['/private/blob', blob]])).catch(
      (e: unknown) => e,
    );
    // Dovecot takes the literal8 but answers `NO Attribute string value has NULs`.
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).code).toBe('PROTOCOL_NO');
    expect((err as ImapProtocolError).serverText).toMatch(/NUL/);
    expect((err as ImapProtocolError).command).toMatch(/~\{3\+?\}/);
    // Without NUL the same entry is stored and read back.
    await setMetadata(conn, name, new Map([['/private/blob', Buffer.from([0x41, 0xff, 0x42])]]));
    const got = await getMetadata(conn, name, ['/private/blob']);
    expect(got.get('/private/blob')).toEqual(Buffer.from([0x41, 0xff, 0x42]));
  });

  it('DEPTH returns the entries below the one named', async () => {
    const name = await scratch(conn);
    await setMetadata(
      conn,
      name,
      new Map([
        ['/private/vendor/imapkit/a', '1'],
        ['/private/vendor/imapkit/b', '2'],
      ]),
    );
    const got = await getMetadata(conn, name, ['/private/vendor/imapkit'], { depth: 1 });
    expect(new Map([...got].map(([k, v]) => [k, v?.toString() ?? null]))).toEqual(
      new Map([
        ['/private/vendor/imapkit/a', '1'],
        ['/private/vendor/imapkit/b', '2'],
      ]),
    );
  });

  it('server annotations use the empty mailbox name', async () => {
    const entry = `/private/vendor/imapkit-test/${Math.random().toString(36).slice(2, 8)}`;
    await setMetadata(conn, '', new Map([[entry, 'server value']]));
    try {
      const got = await getMetadata(conn, '', [entry]);
      expect(got.get(entry)?.toString()).toBe('server value');
    } finally {
      await setMetadata(conn, '', new Map([[entry, null]]));
    }
  });
});

describe('NOTIFY', () => {
  it('reports a message appended by another connection as an unsolicited STATUS', async () => {
    const name = await scratch(conn);
    const watcher = await connect();
    const initial = await notify(
      watcher,
      [{ mailboxes: { mailboxes: [name] }, events: ['MessageNew', 'MessageExpunge'] }],
      { status: true },
    );
    expect(initial).toEqual([expect.objectContaining({ name, messages: 0 })]);

    const seen = new Promise<UntaggedResponse>((resolve) => {
      watcher.on('untagged', (r) => {
        if (r.name === 'STATUS') resolve(r);
      });
    });
    await append(conn, name, testMessage('notify me'));
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), 10_000).unref());
    const r = await Promise.race([seen, timeout]);
    expect(r?.name).toBe('STATUS');
    if (r?.name === 'STATUS') {
      expect(r.mailbox).toBe(name);
      expect(r.items.get('MESSAGES')).toBe(1);
    }
    await expect(notify(watcher, null)).resolves.toEqual([]);
  });
});

describe('QRESYNC', () => {
  it('a reselect reports what another connection expunged and flagged meanwhile', async () => {
    const name = await scratch(conn, 4);

    // A: remember the mailbox state.
    const a = await connect();
    await enable(a, ['QRESYNC']);
    const first = await select(a, name, { condstore: true });
    expect(first.exists).toBe(4);
    const known = { uidValidity: first.uidValidity!, modseq: first.highestModseq! };
    await a.logout();

    // B: expunge UID 2, flag UID 3.
    const b = await connect();
    await select(b, name);
    await rawCommand(b, 'UID STORE', [seq('2'), atom('+FLAGS'), listArg([flag('\\Deleted')])]);
    await rawCommand(b, 'UID EXPUNGE', [seq('2')]);
    await rawCommand(b, 'UID STORE', [seq('3'), atom('+FLAGS'), listArg([flag('\\Flagged')])]);
    await rawCommand(b, 'UNSELECT');

    // A again: QRESYNC select.
    const a2 = await connect();
    await enable(a2, ['QRESYNC']);
    const again = await select(a2, name, {
      qresync: { ...known, knownUids: '1:4' },
    });
    expect(again.exists).toBe(3);
    expect(again.uidValidity).toBe(known.uidValidity);
    expect(again.vanished?.toString()).toBe('2');
    expect(again.highestModseq! > known.modseq).toBe(true);
    const flagged = again.changed.find((c) => c.uid === 3);
    expect(flagged).toBeDefined();
    expect(flagged!.seq).toBe(2);
    expect(flagged!.flags).toContain('\\Flagged');
    expect(flagged!.modseq! > known.modseq).toBe(true);
    expect(again.changed.some((c) => c.uid === 1 || c.uid === 4)).toBe(false);
  });

  it('QRESYNC parameters without ENABLE QRESYNC are refused before sending', async () => {
    const c = await connect();
    const ctx = hiding(c, []);
    const err = await rejection(select(ctx, 'INBOX', { qresync: { uidValidity: 1, modseq: 1n } }));
    expect((err as Error).name).toBe('ImapStateError');
    expect(ctx.calls).toBe(0);
  });
});
