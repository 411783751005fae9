import { describe, expect, it } from 'vitest';
import { testServer } from '../helpers/dovecot.js';
import { normalise, runOurs, runPython, type Scenario, type Step } from './differential.js';

process.env.TZ = 'UTC';

/** UIDVALIDITY of a freshly created mailbox differs between runs; nothing else may. */
function withoutUidValidity(results: ReturnType<typeof normalise>) {
  const text = JSON.stringify(results)
    .replace(/UIDVALIDITY \d+/g, 'UIDVALIDITY <v>')
    .replace(/\[(APPENDUID|COPYUID) \d+ /g, '[$1 <v> ')
    .replace(/"UIDVALIDITY":\[\{"b":"\d+"\}\]/g, '"UIDVALIDITY":[{"b":"<v>"}]')
    .replace(/"(APPENDUID|COPYUID)":\[\{"b":"\d+ /g, '"$1":[{"b":"<v> ')
    // Dovecot adds \Marked / \UnMarked to LIST only until its indexes of a
    // freshly seeded mailbox exist, so the first run may see them and not the second.
    .replace(/ \\\\(?:Un)?Marked(?=[ )])/g, '');
  return JSON.parse(text) as unknown;
}

async function compare(cls: Scenario['connect']['class'], steps: Step[]) {
  const env = testServer();
  const scenario: Scenario = {
    connect: {
      class: cls,
      host: env.host,
      port: cls === 'IMAP4_SSL' ? env.tlsPort : env.port,
      cafile: env.caFile,
    },
    steps,
  };
  const python = withoutUidValidity(normalise(runPython(scenario)));
  const ours = withoutUidValidity(normalise(await runOurs(scenario)));
  expect(ours).toEqual(python);
  return python as unknown[];
}

const login = (user = 'alice'): Step => ({
  method: 'login',
  args: [user, testServer().users[user]!],
});
const MSG =
  'From: Differential <diff@example.com>\nTo: alice@example.com\nSubject: diff test\nDate: Mon, 7 Feb 1994 21:52:25 -0800\n\nHello\nworld\n';

describe('imaplib facade gives the same [typ, data] as CPython imaplib', () => {
  it('login with good and bad passwords, capability, noop, logout', async () => {
    const r = await compare('IMAP4', [
      { method: 'login', args: ['alice', 'wrong-password'] },
      { method: '_attr', args: ['state'] },
      login(),
      { method: '_attr', args: ['state'] },
      { method: 'capability' },
      { method: 'noop' },
      { method: '_attr', args: ['untagged_responses'] },
      { method: 'logout' },
    ]);
    expect(r[0]).toMatchObject({ raised: 'error' });
    expect(r[2]).toEqual({ ok: [{ s: 'OK' }, [{ b: 'Logged in' }]] });
  });

  it('over implicit TLS: list, lsub, status, namespace, getquotaroot, myrights, getacl', async () => {
    await compare('IMAP4_SSL', [
      login(),
      // Patterns avoid the scratch mailboxes other test files create concurrently.
      { method: 'list', args: ['""', 'Archive*'] },
      { method: 'list', args: ['""', 'Projects/%'] },
      { method: 'list', args: ['""', 'INBOX'] },
      { method: 'lsub', args: ['""', 'Archive*'] },
      { method: 'status', args: ['INBOX', '(MESSAGES UNSEEN UIDNEXT RECENT)'] },
      { method: 'namespace' },
      { method: 'getquotaroot', args: ['INBOX'] },
      { method: 'myrights', args: ['INBOX'] },
      { method: 'getacl', args: ['INBOX'] },
      { method: 'status', args: ['NoSuchBox', '(MESSAGES)'] },
      { method: 'logout' },
    ]);
  });

  it('select and examine, search, fetch of every common item, sort, thread, uid variants', async () => {
    await compare('IMAP4', [
      login(),
      { method: 'select', args: ['INBOX', 1] },
      { method: '_attr', args: ['untagged_responses'] },
      // Read-only, so fetching RFC822 does not set \Seen on the seeded mail.
      { method: 'select', args: ['INBOX', 1] },
      { method: 'search', args: [null, 'ALL'] },
      { method: 'search', args: [null, 'FROM', '"billing@example.com"', 'SINCE', '1-Jan-2020'] },
      { method: 'search', args: ['UTF-8', 'OR', 'SEEN', 'FLAGGED'] },
      { method: 'fetch', args: ['1', '(RFC822)'] },
      { method: 'fetch', args: ['1:3', '(BODY.PEEK[HEADER])'] },
      { method: 'fetch', args: ['1:5', '(UID FLAGS INTERNALDATE RFC822.SIZE)'] },
      { method: 'fetch', args: ['2', '(ENVELOPE BODYSTRUCTURE)'] },
      { method: 'fetch', args: ['1', '(BODY.PEEK[]<0.100>)'] },
      { method: 'uid', args: ['SEARCH', 'ALL'] },
      { method: 'uid', args: ['FETCH', '1:3', '(FLAGS)'] },
      { method: 'sort', args: ['(REVERSE DATE)', 'UTF-8', 'ALL'] },
      { method: 'thread', args: ['REFERENCES', 'UTF-8', 'ALL'] },
      { method: 'fetch', args: ['999999', '(FLAGS)'] },
      { method: 'close' },
      { method: '_attr', args: ['state'] },
      { method: 'logout' },
    ]);
  });

  it('create, subscribe, append with flags and date, store, copy, expunge, rename, delete', async () => {
    await compare('IMAP4', [
      login('carol'),
      { method: 'create', args: ['diff-a'] },
      { method: 'create', args: ['diff-b'] },
      { method: 'subscribe', args: ['diff-a'] },
      { method: 'lsub', args: ['""', 'diff-*'] },
      { method: 'unsubscribe', args: ['diff-a'] },
      { method: 'append', args: ['diff-a', '(\\Flagged)', { date: 760000000 }, { bytes: MSG }] },
      { method: 'append', args: ['diff-a', null, { date: 760000100 }, { bytes: MSG }] },
      { method: 'select', args: ['diff-a'] },
      // An APPEND to the selected mailbox leaves EXISTS/RECENT pending for NOOP.
      { method: 'append', args: ['diff-a', '\\Seen', { date: 760000200 }, { bytes: MSG }] },
      { method: 'noop' },
      { method: '_attr', args: ['untagged_responses'] },
      { method: 'fetch', args: ['1:*', '(FLAGS INTERNALDATE RFC822.SIZE)'] },
      { method: 'store', args: ['1', '+FLAGS', '\\Seen'] },
      { method: 'store', args: ['2', '+FLAGS.SILENT', '(\\Deleted)'] },
      { method: 'copy', args: ['1', 'diff-b'] },
      { method: 'uid', args: ['COPY', '1', 'diff-b'] },
      { method: 'uid', args: ['STORE', '1', '-FLAGS', '(\\Seen)'] },
      { method: 'expunge' },
      { method: 'response', args: ['EXISTS'] },
      { method: 'recent' },
      { method: 'unselect' },
      { method: 'rename', args: ['diff-b', 'diff-c'] },
      { method: 'status', args: ['diff-c', '(MESSAGES)'] },
      { method: 'delete', args: ['diff-a'] },
      { method: 'delete', args: ['diff-c'] },
      { method: 'delete', args: ['diff-c'] },
      { method: 'logout' },
    ]);
  });

  it('enable UTF8=ACCEPT and commands that CPython refuses in the wrong state', async () => {
    await compare('IMAP4', [
      { method: 'select', args: ['INBOX'] },
      login(),
      { method: 'fetch', args: ['1', '(FLAGS)'] },
      { method: 'enable', args: ['UTF8=ACCEPT'] },
      { method: '_attr', args: ['utf8_enabled'] },
      { method: 'list', args: ['""', 'Projects/*'] },
      { method: 'search', args: ['UTF-8', 'ALL'] },
      { method: 'logout' },
    ]);
  });

  it('bytes arguments are sent unchanged: 8-bit search keys find the message', async () => {
    const utf8 = (s: string) => ({ bytes: Buffer.from(s, 'utf8').toString('latin1') });
    const r = await compare('IMAP4', [
      login(),
      { method: 'select', args: ['INBOX', 1] },
      { method: 'search', args: ['UTF-8', { bytes: 'SUBJECT' }, utf8('"Café"')] },
      { method: 'search', args: [{ bytes: 'UTF-8' }, null, 'SUBJECT', utf8('"crème brûlée"')] },
      { method: 'uid', args: ['SEARCH', 'CHARSET', 'UTF-8', 'SUBJECT', utf8('"Résumé"')] },
      { method: 'fetch', args: [{ bytes: '7' }, { bytes: '(FLAGS)' }] },
      { method: 'logout' },
    ]);
    // Message 7 is "Café crème brûlée" (scripts/test-server/SEED.md); Dovecot
    // takes 8-bit text quoted, not as an atom.
    expect(r[2]).toEqual({ ok: [{ s: 'OK' }, [{ b: '7' }]] });
    expect(r[3]).toEqual({ ok: [{ s: 'OK' }, [{ b: '7' }]] });
  });

  it('the literal attribute: the non-ASCII search idiom', async () => {
    const r = await compare('IMAP4', [
      login(),
      { method: 'select', args: ['INBOX', 1] },
      {
        method: '_set',
        args: ['literal', { bytes: Buffer.from('Café', 'utf8').toString('latin1') }],
      },
      { method: 'search', args: ['UTF-8', 'SUBJECT'] },
      { method: '_attr', args: ['literal'] },
      { method: 'noop' },
      {
        method: '_set',
        args: ['literal', { bytes: Buffer.from('crème', 'utf8').toString('latin1') }],
      },
      { method: 'uid', args: ['SEARCH', 'CHARSET', 'UTF-8', 'SUBJECT'] },
      { method: 'logout' },
    ]);
    expect(r[3]).toEqual({ ok: [{ s: 'OK' }, [{ b: '7' }]] });
    expect(r[4]).toEqual({ ok: null });
  });

  it('starttls returns [OK, [None]], then the session goes on over TLS', async () => {
    const r = await compare('IMAP4', [
      { method: '_starttls' },
      { method: '_attr', args: ['untagged_responses'] },
      login(),
      { method: 'noop' },
      { method: 'logout' },
    ]);
    expect(r[0]).toEqual({ ok: [{ s: 'OK' }, [null]] });
  });

  it('module helpers agree on a table of inputs', async () => {
    const helpers: Step[] = [
      { method: '_helper', args: ['Int2AP', 0] },
      { method: '_helper', args: ['Int2AP', 4096] },
      { method: '_helper', args: ['Int2AP', 65535] },
      { method: '_helper', args: ['Int2AP', 12345] },
      { method: '_helper', args: ['ParseFlags', { bytes: '1 (FLAGS (\\Seen \\Answered $Work))' }] },
      { method: '_helper', args: ['ParseFlags', { bytes: '1 (UID 3)' }] },
      { method: '_helper', args: ['ParseFlags', { bytes: '1 (FLAGS ())' }] },
      {
        method: '_helper',
        args: ['Internaldate2tuple', { bytes: '1 (INTERNALDATE "17-Jul-1996 02:44:25 -0700")' }],
      },
      {
        method: '_helper',
        args: ['Internaldate2tuple', { bytes: '1 (INTERNALDATE " 1-Feb-2024 23:59:59 +0130")' }],
      },
      { method: '_helper', args: ['Internaldate2tuple', { bytes: '1 (INTERNALDATE "bad")' }] },
      { method: '_helper', args: ['Time2Internaldate', 0] },
      { method: '_helper', args: ['Time2Internaldate', 1700000000] },
      { method: '_helper', args: ['Time2Internaldate', 951782400] },
      { method: '_helper', args: ['Time2Internaldate', '"01-Jan-2000 00:00:00 +0000"'] },
    ];
    await compare('IMAP4', [...helpers, { method: 'logout' }]);
  });
});
