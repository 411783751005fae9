/**
 * Mailbox-level commands against a fake CommandContext: what each sends
 * (through the real encoder), how it folds canned responses, and that a
 * missing capability fails before anything is sent. The same commands run
 * against Dovecot in mailbox-dovecot.test.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type {
  CommandContext,
  CommandResult,
  ConnectionState,
  RunOptions,
  SelectedMailbox,
} from '../../src/connection/types.js';
import {
  ImapArgumentError,
  ImapCapabilityError,
  ImapPartialAppendError,
  ImapProtocolError,
  ImapStateError,
} from '../../src/model/errors.js';
import type { ResponseCode } from '../../src/model/response-code.js';
import type { TaggedResponse, UntaggedResponse } from '../../src/model/response.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import type { CommandArg } from '../../src/wire/command-arg.js';
import { encodeCommand } from '../../src/wire/encoder.js';
import { atom } from '../../src/wire/args.js';
import { appendCatenate, appendMany, append } from '../../src/commands/append.js';
import { getAcl, listRights, myRights, setAcl, deleteAcl } from '../../src/commands/acl.js';
import { capability } from '../../src/commands/capability.js';
import { create } from '../../src/commands/create.js';
import { enable } from '../../src/commands/enable.js';
import { id } from '../../src/commands/id.js';
import { list } from '../../src/commands/list.js';
import { lsub } from '../../src/commands/lsub.js';
import { getMetadata, setMetadata } from '../../src/commands/metadata.js';
import { namespace } from '../../src/commands/namespace.js';
import { notify } from '../../src/commands/notify.js';
import { getQuota, getQuotaRoot, setQuota } from '../../src/commands/quota.js';
import { rawCommand } from '../../src/commands/raw.js';
import { select } from '../../src/commands/select.js';
import { status } from '../../src/commands/status.js';
import { unauthenticate } from '../../src/commands/unauthenticate.js';

interface Reply {
  untagged?: UntaggedResponse[];
  status?: 'OK' | 'NO' | 'BAD';
  code?: ResponseCode | null;
  text?: string;
}

const DOVECOT_CAPS =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE QRESYNC ESEARCH LIST-STATUS BINARY MOVE STATUS=SIZE LITERAL+ NOTIFY METADATA SPECIAL-USE QUOTA ACL';

/** A CommandContext that records what it is asked to send and answers from a script. */
class FakeContext implements CommandContext {
  readonly capabilities: Set<string>;
  readonly enabled = new Set<string>();
  utf8Enabled = false;
  readonly state: ConnectionState = 'authenticated';
  readonly selected: SelectedMailbox | null = null;
  /** Wire text of every command sent (tag `t`). */
  readonly sent: string[] = [];
  readonly collects: (readonly string[] | undefined)[] = [];
  /** The arguments of every command sent. */
  readonly args: CommandArg[][] = [];
  private readonly replies: Reply[];

  constructor(caps: string = DOVECOT_CAPS, replies: Reply[] = []) {
    this.capabilities = new Set(caps.split(' ').map((c) => c.toUpperCase()));
    this.replies = replies;
  }

  hasCapability(name: string): boolean {
    return this.capabilities.has(name.toUpperCase());
  }

  async run(
    command: string,
    args: CommandArg[] = [],
    options?: RunOptions,
  ): Promise<CommandResult> {
    const encoded = encodeCommand('t', command, args, {
      literalMode: 'plus',
      utf8: this.utf8Enabled,
    });
    this.sent.push(encoded.redacted);
    this.args.push(args);
    this.collects.push(options?.collect);
    const reply = this.replies.shift() ?? {};
    const tagged: TaggedResponse = {
      kind: 'tagged',
      tag: 't',
      status: reply.status ?? 'OK',
      code: reply.code ?? null,
      text: reply.text ?? 'done',
    };
    return { tagged, untagged: reply.untagged ?? [], command: encoded.redacted };
  }

  async exec(command: string, args?: CommandArg[], options?: RunOptions): Promise<CommandResult> {
    const result = await this.run(command, args, options);
    if (result.tagged.status !== 'OK') {
      throw new ImapProtocolError(result.tagged.status, result.tagged.text, {
        command: result.command,
        serverText: result.tagged.text,
        responseCode: result.tagged.code,
      });
    }
    return result;
  }
}

/** Wire text of the (only) sent command, without tag and CRLF. */
function wire(ctx: FakeContext, i = 0): string {
  return ctx.sent[i]!.replace(/^t /, '').replace(/\r\n$/, '');
}

async function expectCapabilityError(
  ctx: FakeContext,
  p: () => Promise<unknown>,
  capability: string,
): Promise<void> {
  const err = await p().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImapCapabilityError);
  expect((err as ImapCapabilityError).capability).toBe(capability);
  expect((err as ImapCapabilityError).code).toBe('CAPABILITY');
  expect(ctx.sent).toEqual([]);
}

describe('capability checks happen before anything is sent', () => {
  it('QUOTA commands need QUOTA', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(ctx, () => getQuota(ctx, 'User quota'), 'QUOTA');
    await expectCapabilityError(ctx, () => getQuotaRoot(ctx, 'INBOX'), 'QUOTA');
    await expectCapabilityError(ctx, () => setQuota(ctx, '', { STORAGE: 1 }), 'QUOTA');
  });

  it('SETQUOTA on an RFC 9208 server needs QUOTASET', async () => {
    const ctx = new FakeContext('IMAP4rev1 QUOTA QUOTA=RES-STORAGE');
    await expectCapabilityError(ctx, () => setQuota(ctx, '', { STORAGE: 1 }), 'QUOTASET');
  });

  it('ACL commands need ACL', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(ctx, () => getAcl(ctx, 'INBOX'), 'ACL');
    await expectCapabilityError(ctx, () => setAcl(ctx, 'INBOX', 'bob', 'lr'), 'ACL');
    await expectCapabilityError(ctx, () => deleteAcl(ctx, 'INBOX', 'bob'), 'ACL');
    await expectCapabilityError(ctx, () => myRights(ctx, 'INBOX'), 'ACL');
    await expectCapabilityError(ctx, () => listRights(ctx, 'INBOX', 'bob'), 'ACL');
  });

  it('METADATA on a mailbox needs METADATA; on the server METADATA-SERVER', async () => {
    const ctx = new FakeContext('IMAP4rev1 METADATA-SERVER');
    await expectCapabilityError(
      ctx,
      () => getMetadata(ctx, 'INBOX', ['/private/comment']),
      'METADATA',
    );
    await expectCapabilityError(
      ctx,
      () => setMetadata(ctx, 'INBOX', new Map([['/private/comment', 'x']])),
      'METADATA',
    );
    await getMetadata(ctx, '', ['/private/comment']);
    expect(wire(ctx)).toBe('GETMETADATA "" (/private/comment)');
    const none = new FakeContext('IMAP4rev1');
    await expectCapabilityError(
      none,
      () => getMetadata(none, '', ['/shared/admin']),
      'METADATA-SERVER',
    );
  });

  it('UNAUTHENTICATE, NOTIFY, ID, NAMESPACE, ENABLE need their capability', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(ctx, () => unauthenticate(ctx), 'UNAUTHENTICATE');
    await expectCapabilityError(ctx, () => notify(ctx, null), 'NOTIFY');
    await expectCapabilityError(ctx, () => id(ctx, null), 'ID');
    await expectCapabilityError(ctx, () => namespace(ctx), 'NAMESPACE');
    await expectCapabilityError(ctx, () => enable(ctx, ['CONDSTORE']), 'ENABLE');
  });

  it('IMAP4rev2 stands in for NAMESPACE and ENABLE', async () => {
    const ctx = new FakeContext('IMAP4rev2', [
      {
        untagged: [
          {
            kind: 'untagged',
            name: 'NAMESPACE',
            personal: [{ prefix: '', delimiter: '/', extensions: new Map() }],
            otherUsers: null,
            shared: null,
          },
        ],
      },
      { untagged: [{ kind: 'untagged', name: 'ENABLED', capabilities: ['UTF8=ACCEPT'] }] },
    ]);
    const ns = await namespace(ctx);
    expect(ns.personal).toEqual([{ prefix: '', delimiter: '/', extensions: new Map() }]);
    expect(ns.otherUsers).toEqual([]);
    expect(await enable(ctx, ['UTF8=ACCEPT', 'IMAP4rev2'])).toEqual(new Set(['UTF8=ACCEPT']));
    expect(wire(ctx, 1)).toBe('ENABLE UTF8=ACCEPT IMAP4rev2');
  });

  it('STATUS items need CONDSTORE, STATUS=SIZE, IMAP4rev2, OBJECTID, APPENDLIMIT', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(ctx, () => status(ctx, 'INBOX', ['HIGHESTMODSEQ']), 'CONDSTORE');
    await expectCapabilityError(ctx, () => status(ctx, 'INBOX', ['SIZE']), 'STATUS=SIZE');
    await expectCapabilityError(ctx, () => status(ctx, 'INBOX', ['DELETED']), 'IMAP4rev2');
    await expectCapabilityError(ctx, () => status(ctx, 'INBOX', ['MAILBOXID']), 'OBJECTID');
    await expectCapabilityError(ctx, () => status(ctx, 'INBOX', ['APPENDLIMIT']), 'APPENDLIMIT');
  });

  it('APPENDLIMIT announced with its value (RFC 7889: APPENDLIMIT=n, as Gmail does) allows the STATUS item', async () => {
    const ctx = new FakeContext('IMAP4rev1 LIST-STATUS APPENDLIMIT=35651584');
    await status(ctx, 'INBOX', ['APPENDLIMIT']);
    await list(ctx, '', '*', { return: { status: ['APPENDLIMIT'] } });
    expect(wire(ctx, 0)).toBe('STATUS INBOX (APPENDLIMIT)');
    expect(wire(ctx, 1)).toBe('LIST "" "*" RETURN (STATUS (APPENDLIMIT))');
    const prefixOnly = new FakeContext('IMAP4rev1 APPENDLIMITX');
    await expectCapabilityError(
      prefixOnly,
      () => status(prefixOnly, 'INBOX', ['APPENDLIMIT']),
      'APPENDLIMIT',
    );
  });

  it('RECENT (removed by IMAP4rev2) is refused in STATUS and LIST RETURN (STATUS) on an IMAP4rev2-only server', async () => {
    const rev2 = new FakeContext('IMAP4rev2');
    await expectCapabilityError(
      rev2,
      () => status(rev2, 'INBOX', ['MESSAGES', 'RECENT']),
      'IMAP4rev1',
    );
    await expectCapabilityError(
      rev2,
      () => list(rev2, '', '*', { return: { status: ['RECENT'] } }),
      'IMAP4rev1',
    );
    const both = new FakeContext('IMAP4rev1 IMAP4rev2');
    await status(both, 'INBOX', ['RECENT']);
    expect(wire(both)).toBe('STATUS INBOX (RECENT)');
  });

  it('SELECT (CONDSTORE) needs CONDSTORE; QRESYNC must be offered and enabled', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(ctx, () => select(ctx, 'INBOX', { condstore: true }), 'CONDSTORE');
    const q = { uidValidity: 1, modseq: 5n };
    await expectCapabilityError(ctx, () => select(ctx, 'INBOX', { qresync: q }), 'QRESYNC');
    const offered = new FakeContext();
    await expect(select(offered, 'INBOX', { qresync: q })).rejects.toThrow(ImapStateError);
    await expect(select(offered, 'INBOX', { qresync: q })).rejects.toThrow(/ENABLE QRESYNC/);
    expect(offered.sent).toEqual([]);
  });

  it('CREATE with special use needs CREATE-SPECIAL-USE', async () => {
    const ctx = new FakeContext();
    await expectCapabilityError(
      ctx,
      () => create(ctx, 'Sent2', { specialUse: ['\\Sent'] }),
      'CREATE-SPECIAL-USE',
    );
  });

  it('extended LIST needs LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, LIST-MYRIGHTS', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(
      ctx,
      () => list(ctx, '', '*', { selection: ['SUBSCRIBED'] }),
      'LIST-EXTENDED',
    );
    await expectCapabilityError(
      ctx,
      () => list(ctx, '', '*', { return: { status: ['MESSAGES'] } }),
      'LIST-STATUS',
    );
    await expectCapabilityError(
      ctx,
      () => list(ctx, '', '*', { patterns: ['Other/*'] }),
      'LIST-EXTENDED',
    );
    const ext = new FakeContext('IMAP4rev1 LIST-EXTENDED');
    await expectCapabilityError(
      ext,
      () => list(ext, '', '*', { return: { specialUse: true } }),
      'SPECIAL-USE',
    );
    await expectCapabilityError(
      ext,
      () => list(ext, '', '*', { return: { myrights: true } }),
      'LIST-MYRIGHTS',
    );
  });

  it('APPEND binary needs BINARY; CATENATE needs CATENATE', async () => {
    const ctx = new FakeContext('IMAP4rev1');
    await expectCapabilityError(ctx, () => append(ctx, 'INBOX', 'x', { binary: true }), 'BINARY');
    await expectCapabilityError(
      ctx,
      () => appendCatenate(ctx, 'INBOX', [{ text: 'x' }]),
      'CATENATE',
    );
  });
});

describe('what the commands send', () => {
  it('SELECT with QRESYNC sends uidvalidity, modseq, known UIDs and seq-match data', async () => {
    const ctx = new FakeContext();
    ctx.enabled.add('QRESYNC');
    await select(ctx, 'Entwürfe', {
      qresync: {
        uidValidity: 67890007,
        modseq: 90060115194045000n,
        knownUids: '41:211,214:541',
        seqMatch: { seqs: '1:3', uids: '41,43,45' },
      },
    });
    expect(wire(ctx)).toBe(
      'SELECT Entw&APw-rfe (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:3 41,43,45)))',
    );
    await select(ctx, 'INBOX', { condstore: true, readOnly: true });
    expect(wire(ctx, 1)).toBe('EXAMINE INBOX (CONDSTORE)');
  });

  it('CREATE with special use sends (USE (\\Sent))', async () => {
    const ctx = new FakeContext(`${DOVECOT_CAPS} CREATE-SPECIAL-USE`, [
      { code: { name: 'OTHER', atom: 'MAILBOXID', text: '(F2212ea87-6097-4256-9d51-71338625)' } },
    ]);
    const r = await create(ctx, 'Sent Mail', { specialUse: ['\\Sent'] });
    expect(wire(ctx)).toBe('CREATE "Sent Mail" (USE (\\Sent))');
    expect(r.mailboxId).toBe('F2212ea87-6097-4256-9d51-71338625');
  });

  it('LIST-EXTENDED puts selection before the reference and RETURN after the patterns', async () => {
    const ctx = new FakeContext();
    await list(ctx, '', '*', {
      selection: ['SUBSCRIBED', 'RECURSIVEMATCH'],
      patterns: ['Entwürfe/%'],
      return: { children: true, specialUse: true, status: ['MESSAGES', 'UIDNEXT'] },
    });
    expect(wire(ctx)).toBe(
      'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("*" "Entw&APw-rfe/%") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UIDNEXT))',
    );
    expect(ctx.collects[0]).toEqual(['LIST', 'STATUS', 'MYRIGHTS']);
  });

  it('RECURSIVEMATCH alone is refused (RFC 5258 3.1)', async () => {
    const ctx = new FakeContext();
    await expect(list(ctx, '', '*', { selection: ['RECURSIVEMATCH'] })).rejects.toThrow(
      ImapArgumentError,
    );
    expect(ctx.sent).toEqual([]);
  });

  it('APPEND sends flags, date-time and a literal; MULTIAPPEND sends one command', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        code: { name: 'APPENDUID', uidValidity: 38505, uids: SequenceSet.parse('3955') },
      },
      {
        code: { name: 'APPENDUID', uidValidity: 38505, uids: SequenceSet.parse('3956:3957') },
      },
    ]);
    const r = await append(ctx, 'Sent', 'Subject: hi\r\n\r\nbody\r\n', {
      flags: ['\\Seen', '$Label1'],
      internalDate: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    });
    expect(wire(ctx)).toBe('APPEND Sent (\\Seen $Label1) "02-Jan-2024 03:04:05 +0000" {21+}');
    expect(r).toEqual({ uidValidity: 38505, uid: 3955 });
    const many = await appendMany(ctx, 'Sent', [{ message: 'a' }, { message: 'b', binary: true }]);
    expect(wire(ctx, 1)).toBe('APPEND Sent {1+} ~{1+}');
    expect(many).toEqual({ uidValidity: 38505, uids: [3956, 3957] });
  });

  it('GETMETADATA reports OK [METADATA LONGENTRIES n] as longEntries, still a Map of the values', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [
          {
            kind: 'untagged',
            name: 'METADATA',
            mailbox: 'INBOX',
            entries: new Map([['/shared/comment', Buffer.from('short')]]),
          },
        ],
        code: { name: 'METADATA', kind: 'LONGENTRIES', value: 2199 },
      },
      {},
    ]);
    const entries = ['/private/comment', '/shared/comment'];
    const got = await getMetadata(ctx, 'INBOX', entries, { maxSize: 1024 });
    expect(got).toBeInstanceOf(Map);
    expect([...got.keys()]).toEqual(['/shared/comment']);
    expect(got.longEntries).toBe(2199);
    // Still equal to (and serialised as) the plain Map it was before longEntries.
    expect(isDeepStrictEqual(got, new Map([['/shared/comment', Buffer.from('short')]]))).toBe(true);
    expect(JSON.stringify(got)).toBe('{}');
    expect((await getMetadata(ctx, 'INBOX', entries)).longEntries).toBeNull();
  });

  it('without MULTIAPPEND, appendMany sends one APPEND per message', async () => {
    const ctx = new FakeContext('IMAP4rev1 UIDPLUS', [
      { code: { name: 'APPENDUID', uidValidity: 7, uids: SequenceSet.parse('10') } },
      { code: { name: 'APPENDUID', uidValidity: 7, uids: SequenceSet.parse('11') } },
    ]);
    const many = await appendMany(ctx, 'INBOX', [{ message: 'a' }, { message: 'b' }]);
    expect(ctx.sent).toHaveLength(2);
    expect(many).toEqual({ uidValidity: 7, uids: [10, 11] });
  });

  it('without MULTIAPPEND, a failure after some were stored throws ImapPartialAppendError saying how many', async () => {
    const ctx = new FakeContext('IMAP4rev1 UIDPLUS', [
      { code: { name: 'APPENDUID', uidValidity: 7, uids: SequenceSet.parse('10') } },
      { code: { name: 'APPENDUID', uidValidity: 7, uids: SequenceSet.parse('11') } },
      { status: 'NO', code: { name: 'OVERQUOTA' }, text: 'Quota exceeded' },
    ]);
    const items = ['a', 'b', 'c', 'd'].map((message) => ({ message }));
    const err = await appendMany(ctx, 'INBOX', items).catch((e: unknown) => e);
    expect(ctx.sent).toHaveLength(3);
    expect(err).toBeInstanceOf(ImapPartialAppendError);
    const partial = err as ImapPartialAppendError;
    expect(partial).toMatchObject({ code: 'APPEND_PARTIAL', stored: 2, total: 4, uids: [10, 11] });
    expect(partial.responseCode).toEqual({ name: 'OVERQUOTA' });
    expect(partial.cause).toBeInstanceOf(ImapProtocolError);
    expect(partial.message).toMatch(/\(2 of 4 message\(s\) were stored before\)$/);
    // The first one failing: nothing stored, its own error.
    const first = new FakeContext('IMAP4rev1 UIDPLUS', [{ status: 'NO', text: 'no' }]);
    const own = await appendMany(first, 'INBOX', items).catch((e: unknown) => e);
    expect(own).toBeInstanceOf(ImapProtocolError);
  });

  it('APPEND NO [TRYCREATE] throws ImapProtocolError carrying the code', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      { status: 'NO', code: { name: 'TRYCREATE' }, text: 'Mailbox does not exist' },
    ]);
    const err = await append(ctx, 'Nope', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).responseCode).toEqual({ name: 'TRYCREATE' });
  });

  it('CATENATE sends TEXT literals and URLs', async () => {
    const ctx = new FakeContext();
    await appendCatenate(ctx, 'INBOX', [
      { text: 'Subject: x\r\n\r\n' },
      { url: '/INBOX;UIDVALIDITY=1/;UID=2/;SECTION=TEXT' },
    ]);
    expect(wire(ctx)).toBe(
      'APPEND INBOX CATENATE (TEXT {14+} URL "/INBOX;UIDVALIDITY=1/;UID=2/;SECTION=TEXT")',
    );
  });

  it('GETMETADATA puts options before the mailbox', async () => {
    const ctx = new FakeContext();
    await getMetadata(ctx, 'INBOX', ['/private/comment', '/shared/vendor'], {
      maxSize: 1024,
      depth: 'infinity',
    });
    expect(wire(ctx)).toBe(
      'GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/private/comment /shared/vendor)',
    );
    await expect(getMetadata(ctx, 'INBOX', ['comment'])).rejects.toThrow(ImapArgumentError);
  });

  it('SETMETADATA sends values as strings or literals and NIL to remove', async () => {
    const ctx = new FakeContext();
    await setMetadata(
      ctx,
      'INBOX',
      new Map<string, string | Buffer | null>([
        ['/private/comment', 'two\r\nlines'],
        ['/shared/comment', null],
      ]),
    );
    expect(wire(ctx)).toBe('SETMETADATA INBOX (/private/comment {10+} /shared/comment NIL)');
  });

  it('SETMETADATA sends a value holding NUL as literal8 (RFC 5464 section 5), byte for byte', async () => {
    const ctx = new FakeContext();
    const blob = Buffer.from([0x41, 0x00, 0x42]);
    await setMetadata(
      ctx,
      'INBOX',
      new Map<string, string | Buffer | null>([
        ['/private/blob', blob],
        ['/private/text', 'a\0b'],
        ['/private/comment', 'plain'],
      ]),
    );
    expect(wire(ctx)).toBe(
      'SETMETADATA INBOX (/private/blob ~{3+} /private/text ~{3+} /private/comment "plain")',
    );
    const items = (ctx.args[0]![1] as { items: CommandArg[] }).items;
    expect(items[1]).toEqual({ type: 'literal', value: blob, binary: true });
    expect(items[3]).toEqual({ type: 'literal', value: Buffer.from('a\0b'), binary: true });
  });

  it('ID sends field pairs; null sends NIL', async () => {
    const ctx = new FakeContext();
    await id(ctx, { name: 'imapkit', version: null });
    await id(ctx, null);
    expect(wire(ctx, 0)).toBe('ID ("name" "imapkit" "version" NIL)');
    expect(wire(ctx, 1)).toBe('ID NIL');
  });

  it('NOTIFY SET builds event groups; NOTIFY NONE', async () => {
    const ctx = new FakeContext();
    await notify(
      ctx,
      [
        {
          mailboxes: 'selected',
          events: ['MessageNew', 'MessageExpunge', 'FlagChange'],
          fetch: ['UID', 'BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]'],
        },
        { mailboxes: { subtree: ['Entwürfe'] }, events: ['MessageNew', 'MessageExpunge'] },
        { mailboxes: 'personal', events: ['MailboxName', 'SubscriptionChange'] },
        { mailboxes: 'inboxes', events: 'none' },
      ],
      { status: true },
    );
    expect(wire(ctx)).toBe(
      'NOTIFY SET STATUS (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]) MessageExpunge FlagChange)) (SUBTREE (Entw&APw-rfe) (MessageNew MessageExpunge)) (PERSONAL (MailboxName SubscriptionChange)) (INBOXES NONE)',
    );
    await notify(ctx, null);
    expect(wire(ctx, 1)).toBe('NOTIFY NONE');
  });

  it('NOTIFY fetch items are checked: one fetch-att each, nothing that changes the command', async () => {
    const ctx = new FakeContext();
    for (const bad of [
      'UID)) (MAILBOXES Secret) (MailboxName',
      'UID\r\nA1 DELETE INBOX',
      'BODY[]{5}',
      '(UID FLAGS)',
      '',
    ]) {
      await expect(
        notify(ctx, [
          { mailboxes: 'selected', events: ['MessageNew', 'MessageExpunge'], fetch: [bad] },
        ]),
      ).rejects.toThrow(ImapArgumentError);
    }
    expect(ctx.sent).toEqual([]);
  });

  it('NOTIFY refuses MessageNew without MessageExpunge and mailbox events on SELECTED', async () => {
    const ctx = new FakeContext();
    await expect(notify(ctx, [{ mailboxes: 'personal', events: ['MessageNew'] }])).rejects.toThrow(
      ImapArgumentError,
    );
    await expect(notify(ctx, [{ mailboxes: 'selected', events: ['MailboxName'] }])).rejects.toThrow(
      ImapArgumentError,
    );
    expect(ctx.sent).toEqual([]);
  });

  it('rawCommand refuses a name that could inject and returns NO results without throwing', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [{ status: 'NO', text: 'nope' }]);
    await expect(rawCommand(ctx, 'NOOP\r\nA DELETE INBOX')).rejects.toThrow(ImapArgumentError);
    const r = await rawCommand(ctx, 'XLIST', [atom('x')], ['XLIST']);
    expect(r.tagged.status).toBe('NO');
    expect(ctx.collects[0]).toEqual(['XLIST']);
  });

  it('SETACL refuses malformed rights before sending', async () => {
    const ctx = new FakeContext();
    await expect(setAcl(ctx, 'INBOX', 'bob', 'l r')).rejects.toThrow(ImapArgumentError);
    expect(ctx.sent).toEqual([]);
  });
});

describe('how the commands fold responses', () => {
  it('SELECT ignores data before [CLOSED], merges VANISHED (EARLIER) and keeps FETCH changes', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [
          { kind: 'untagged', name: 'EXISTS', number: 99 },
          { kind: 'untagged', name: 'OK', code: { name: 'CLOSED' }, text: 'closed' },
          { kind: 'untagged', name: 'FLAGS', flags: ['\\Seen', '\\Deleted'] },
          { kind: 'untagged', name: 'EXISTS', number: 4 },
          { kind: 'untagged', name: 'RECENT', number: 1 },
          {
            kind: 'untagged',
            name: 'OK',
            code: { name: 'PERMANENTFLAGS', flags: ['\\Seen', '\\*'] },
            text: '',
          },
          {
            kind: 'untagged',
            name: 'OK',
            code: { name: 'UIDVALIDITY', value: 3857529045 },
            text: '',
          },
          { kind: 'untagged', name: 'OK', code: { name: 'UIDNEXT', value: 20 }, text: '' },
          { kind: 'untagged', name: 'OK', code: { name: 'UNSEEN', value: 2 }, text: '' },
          {
            kind: 'untagged',
            name: 'OK',
            code: { name: 'HIGHESTMODSEQ', value: 715194045007n },
            text: '',
          },
          {
            kind: 'untagged',
            name: 'OK',
            code: { name: 'OTHER', atom: 'MAILBOXID', text: '(F1234)' },
            text: '',
          },
          {
            kind: 'untagged',
            name: 'VANISHED',
            earlier: true,
            uids: SequenceSet.parse('41,43:116'),
          },
          { kind: 'untagged', name: 'VANISHED', earlier: true, uids: SequenceSet.parse('118') },
          {
            kind: 'untagged',
            name: 'FETCH',
            seq: 2,
            attributes: { uid: 12, flags: ['\\Seen'], modseq: 715194045007n },
          },
        ],
        code: { name: 'READ-ONLY' },
      },
    ]);
    ctx.enabled.add('QRESYNC');
    const r = await select(ctx, 'INBOX', { qresync: { uidValidity: 3857529045, modseq: 1n } });
    expect(r).toEqual({
      name: 'INBOX',
      readOnly: true,
      examined: false, // a SELECT the server answered [READ-ONLY]
      exists: 4,
      recent: 1,
      flags: ['\\Seen', '\\Deleted'],
      permanentFlags: ['\\Seen', '\\*'],
      uidValidity: 3857529045,
      uidNext: 20,
      unseen: 2,
      highestModseq: 715194045007n,
      noModseq: false,
      vanished: SequenceSet.parse('41,43:116,118'),
      changed: [{ seq: 2, uid: 12, flags: ['\\Seen'], modseq: 715194045007n }],
      mailboxId: 'F1234',
    });
  });

  it('LIST decodes modified UTF-7, keeps the raw name, finds special use and merges STATUS', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [
          {
            kind: 'untagged',
            name: 'LIST',
            attributes: ['\\Subscribed', '\\HasNoChildren', '\\Sent'],
            delimiter: '/',
            mailbox: 'Entw&APw-rfe/&ZeVnLIqe- &JxM-',
            childInfo: null,
            oldName: null,
            extended: new Map(),
          },
          {
            kind: 'untagged',
            name: 'STATUS',
            mailbox: 'Entw&APw-rfe/&ZeVnLIqe- &JxM-',
            items: new Map<string, number | bigint | string | null>([
              ['MESSAGES', 3],
              ['HIGHESTMODSEQ', 9n],
            ]),
          },
          {
            kind: 'untagged',
            name: 'LIST',
            attributes: ['\\Noselect', '\\HasChildren'],
            delimiter: '/',
            mailbox: 'bad&-&name',
            childInfo: ['SUBSCRIBED'],
            oldName: null,
            extended: new Map(),
          },
        ],
      },
    ]);
    const entries = await list(ctx, '', '*', { return: { status: ['MESSAGES', 'HIGHESTMODSEQ'] } });
    expect(entries).toEqual([
      {
        name: 'Entwürfe/日本語 ✓',
        rawName: 'Entw&APw-rfe/&ZeVnLIqe- &JxM-',
        delimiter: '/',
        attributes: new Set(['\\Subscribed', '\\HasNoChildren', '\\Sent']),
        specialUse: '\\Sent',
        subscribed: true,
        childInfo: [],
        oldName: null,
        status: { name: 'Entwürfe/日本語 ✓', messages: 3, highestModseq: 9n },
      },
      {
        name: 'bad&-&name',
        rawName: 'bad&-&name',
        delimiter: '/',
        attributes: new Set(['\\Noselect', '\\HasChildren']),
        specialUse: null,
        subscribed: false,
        childInfo: ['SUBSCRIBED'],
        oldName: null,
      },
    ]);
  });

  it('with UTF8=ACCEPT enabled, names pass through undecoded', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [
          {
            kind: 'untagged',
            name: 'LSUB',
            attributes: [],
            delimiter: '.',
            mailbox: 'Entw&APw-rfe',
            childInfo: null,
            oldName: null,
            extended: new Map(),
          },
        ],
      },
    ]);
    ctx.utf8Enabled = true;
    const [entry] = await lsub(ctx, '', '*');
    expect(entry?.name).toBe('Entw&APw-rfe');
    expect(entry?.subscribed).toBe(true);
  });

  it('STATUS picks the response for the mailbox asked about', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [
          {
            kind: 'untagged',
            name: 'STATUS',
            mailbox: 'Other',
            items: new Map<string, number | bigint | string | null>([['MESSAGES', 1]]),
          },
          {
            kind: 'untagged',
            name: 'STATUS',
            mailbox: 'inbox',
            items: new Map<string, number | bigint | string | null>([
              ['MESSAGES', 17],
              ['UIDNEXT', 4392],
              ['UIDVALIDITY', 1],
              ['SIZE', 12345],
              ['HIGHESTMODSEQ', 7011231777n],
            ]),
          },
        ],
      },
    ]);
    const r = await status(ctx, 'INBOX', [
      'MESSAGES',
      'UIDNEXT',
      'UIDVALIDITY',
      'SIZE',
      'HIGHESTMODSEQ',
    ]);
    expect(r).toEqual({
      name: 'INBOX',
      messages: 17,
      uidNext: 4392,
      uidValidity: 1,
      size: 12345,
      highestModseq: 7011231777n,
    });
  });

  it('GETQUOTAROOT returns roots and their resources', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [
          { kind: 'untagged', name: 'QUOTAROOT', mailbox: 'INBOX', roots: ['', 'Shared'] },
          {
            kind: 'untagged',
            name: 'QUOTA',
            root: '',
            resources: new Map([['STORAGE', { usage: 10n, limit: 512n }]]),
          },
        ],
      },
    ]);
    const r = await getQuotaRoot(ctx, 'INBOX');
    expect(r.roots).toEqual(['', 'Shared']);
    expect(r.quotas).toEqual(new Map([['', new Map([['STORAGE', { usage: 10n, limit: 512n }]])]]));
  });

  it('capability() upper-cases names, from untagged CAPABILITY or the tagged code', async () => {
    const ctx = new FakeContext(DOVECOT_CAPS, [
      {
        untagged: [{ kind: 'untagged', name: 'CAPABILITY', capabilities: ['IMAP4rev1', 'Quota'] }],
      },
      { code: { name: 'CAPABILITY', capabilities: ['IMAP4rev2'] } },
    ]);
    expect(await capability(ctx)).toEqual(new Set(['IMAP4REV1', 'QUOTA']));
    expect(await capability(ctx)).toEqual(new Set(['IMAP4REV2']));
  });
});
