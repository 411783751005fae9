/**
 * The imapkit command line, in-process (`main(argv, io)`), against the real
 * test Dovecot over STARTTLS verified with the test CA.
 *
 * Reads use alice's seeded mailboxes (see scripts/test-server/SEED.md);
 * writes go to carol's scratch mailboxes `t-cli-<random>`, deleted at the
 * end. Round trips export alice's INBOX (300 messages, one of 1.3 MB) and
 * import it into a scratch mailbox, then compare every message's bytes,
 * INTERNALDATE and flags with the original.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fetchAll } from '../../src/commands/fetch.js';
import { examine } from '../../src/commands/select.js';
import { store } from '../../src/commands/store.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { literal, mailbox } from '../../src/wire/args.js';
import {
  createMailboxWith,
  deleteMailboxes,
  freshLoopback,
  imapProcessFor,
  ownPortsTo,
  plainOptions,
  testMessage,
  testServer,
} from '../helpers/dovecot.js';
import { cliEnv, jsonLines, runCli } from './helpers.js';

interface Stored {
  uid: number;
  source: Buffer;
  internalDate: number;
  flags: string[];
}

let carol: ImapConnection;
const created: string[] = [];
let inbox: Stored[];
const dir = mkdtempSync(join(tmpdir(), 'imapkit-cli-'));

function scratchName(): string {
  const name = `t-cli-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  created.push(name);
  return name;
}

/** Every message of `box` as stored, in UID order (flags without \Recent). */
async function messagesOf(conn: ImapConnection, box: string): Promise<Stored[]> {
  await examine(conn, box);
  const found = await fetchAll(
    conn,
    '1:*',
    { uid: true, flags: true, internalDate: true, source: true },
    { uid: true },
  );
  return found
    .map((m) => ({
      uid: m.uid!,
      source: m.source!,
      internalDate: m.internalDate!.getTime(),
      flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
    }))
    .sort((a, b) => a.uid - b.uid);
}

beforeAll(async () => {
  const alice = await ImapConnection.connect(plainOptions('alice'));
  inbox = await messagesOf(alice, 'INBOX');
  await alice.logout();
  carol = await ImapConnection.connect(plainOptions('carol'));
});

afterAll(async () => {
  await deleteMailboxes(carol, created);
  await carol.logout();
});

describe('reading', () => {
  it('list --json: every mailbox with its special use; --status adds counts', async () => {
    const r = await runCli(['list', '--status', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const boxes = JSON.parse(r.stdout) as Array<{
      name: string;
      specialUse: string | null;
      status?: { messages: number; unseen: number };
    }>;
    const byName = new Map(boxes.map((b) => [b.name, b]));
    expect(byName.get('INBOX')?.status).toMatchObject({ messages: 300, unseen: 45 });
    expect(byName.get('Sent')?.specialUse).toBe('\\Sent');
    expect(byName.get('Projects/日本語')?.status).toMatchObject({ messages: 2, unseen: 1 });
    expect(byName.get('shared')?.status).toBeUndefined(); // \Noselect
  });

  it('list (human): a table with the special-use column', async () => {
    const r = await runCli(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^MAILBOX\s+SPECIAL$/);
    expect(r.stdout).toMatch(/^Trash\s+\\Trash$/m);
    expect(r.stdout).toMatch(/^Projects\/Ärger$/m);
    const archive = await runCli(['list', '--pattern', 'Archive/%', '--json']);
    expect((JSON.parse(archive.stdout) as Array<{ name: string }>).map((b) => b.name)).toEqual([
      'Archive/2024',
      'Archive/2025',
    ]);
  });

  it('list --tree: the hierarchy indented under its parents; --json nests it', async () => {
    const r = await runCli(['list', '--tree']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^INBOX\s*$/);
    const projects = lines.findIndex((l) => /^Projects\b/.test(l));
    expect(projects).toBeGreaterThan(0);
    expect(lines.slice(projects + 1, projects + 3).map((l) => l.trimEnd())).toEqual([
      '  Ärger',
      '  日本語',
    ]);
    const json = await runCli(['list', '--tree', '--status', '--json']);
    const tree = JSON.parse(json.stdout) as Array<{
      name: string;
      displayName: string;
      status?: { messages: number };
      children: Array<{ name: string; displayName: string; status?: { messages: number } }>;
    }>;
    expect(tree[0]!.name).toBe('INBOX');
    expect(tree[0]!.status?.messages).toBe(300);
    const archive = tree.find((n) => n.name === 'Archive');
    expect(archive?.children.map((c) => [c.name, c.displayName])).toEqual([
      ['Archive/2024', '2024'],
      ['Archive/2025', '2025'],
    ]);
    expect(archive?.children[0]?.status?.messages).toBe(10);
  });

  it('status: counts of one mailbox, as text and as JSON', async () => {
    const r = await runCli(['status', 'INBOX', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'INBOX',
      messages: 300,
      unseen: 45,
      uidNext: 301,
      uidValidity: 1700000000,
      size: 5380831,
    });
    const text = await runCli(['status', 'Archive/2024']);
    expect(text.stdout).toMatch(/^messages:\s+10$/m);
    expect(text.stdout).toMatch(/^uidvalidity:\s+1700000006$/m);
  });

  it('search: UIDs one per line, for the seeded answers', async () => {
    const uids = async (...criteria: string[]): Promise<number[]> => {
      const r = await runCli(['search', 'INBOX', ...criteria]);
      expect(r.code).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map(Number);
    };
    expect(await uids('from:billing@example.com')).toEqual([
      21, 25, 50, 75, 100, 125, 150, 175, 200, 225, 250, 275, 300,
    ]);
    expect(await uids('subject:"Planning the offsite"')).toEqual([16, 17, 18]);
    expect(await uids('subject:Planning the offsite')).toEqual([16, 17, 18]);
    expect(await uids('before:2024-02-01')).toHaveLength(21);
    expect(await uids('since:2025-01-01', 'unseen')).toEqual(
      Array.from({ length: 40 }, (_, i) => 261 + i),
    );
    expect(await uids('from:bob@example.com', 'OR', 'subject:Grüße')).toEqual([3, 5, 6, 16, 18]);
    expect(await uids('larger:1M')).toEqual([160]);
    expect(await uids('keyword:Work', '-seen')).toEqual([276, 299]);
    expect(await uids('header:X-Long-Unfolded:')).toEqual([10]);
    expect(await uids('body:日本語')).toEqual([9]);
  });

  it('search --summary --json: one JSON line per message; --limit keeps the newest', async () => {
    const r = await runCli([
      'search',
      'INBOX',
      'from:billing@example.com',
      '--summary',
      '--json',
      '--limit',
      '2',
    ]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      expect.objectContaining({
        uid: 275,
        subject: 'Invoice INV-0011 for February 2025',
        flags: ['\\Answered'],
      }),
      expect.objectContaining({
        uid: 300,
        from: 'Example Billing <billing@example.com>',
        flags: [],
      }),
    ]);
    const table = await runCli(['search', 'INBOX', 'subject:"Planning the offsite"', '--summary']);
    expect(table.stdout.split('\n')[0]).toMatch(/^UID\s+DATE\s+FROM\s+SUBJECT\s+FLAGS$/);
    expect(table.stdout).toMatch(
      /^17\s+2024-01-25 \d\d:\d\d\s+.*Re: Planning the offsite\s+\\Answered \\Seen$/m,
    );
  });

  it('show: header summary and the decoded text body', async () => {
    const r = await runCli(['show', 'INBOX', '6']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Subject: Grüße aus München ☕');
    expect(r.stdout).toContain('From: Jürgen Müller <juergen.mueller@example.de>');
    expect(r.stdout).toContain('viele Grüße aus München!'); // quoted-printable UTF-8, decoded
    const latin1 = await runCli(['show', 'INBOX', '8', '--json']);
    const doc = JSON.parse(latin1.stdout) as { subject: string; text: string; uid: number };
    expect(doc.uid).toBe(8);
    expect(doc.subject).toBe('Résumé de la réunion');
    expect(doc.text).toMatch(/réunion/);
    const attached = await runCli(['show', 'INBOX', '3']);
    expect(attached.stdout).toMatch(/^Attachment: part 2 report-q1\.pdf \(application\/pdf, /m);
    const encodedName = await runCli(['show', 'INBOX', '12']);
    expect(encodedName.stdout).toMatch(
      /^Attachment: part 2 Vertrag Änderungen\.pdf \(application\/pdf, /m,
    );
  });

  it('show --raw streams the message exactly as stored (1.3 MB message)', async () => {
    const r = await runCli(['fetch', 'INBOX', '160', '--raw']);
    expect(r.code).toBe(0);
    expect(r.stdoutBytes.equals(inbox[159]!.source)).toBe(true);
    const part = await runCli(['show', 'INBOX', '160', '--part', '2']);
    expect(part.stdoutBytes.length).toBe(1_000_000); // the attachment, base64-decoded by the server
  });

  it('show --part of a part the message does not have: exit 5, nothing on stdout', async () => {
    // Dovecot answers OK with an empty body; `show` checks BODYSTRUCTURE first.
    for (const [uid, part] of [
      ['1', '2'], // single part: only 1
      ['3', '7'],
      ['3', '1.5'],
      ['5', '2.3'], // part 2 is a message/rfc822: its parts are 2.1...
    ]) {
      const r = await runCli(['show', 'INBOX', uid!, '--part', part!]);
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`imapkit: message ${uid} in INBOX has no part ${part}\n`);
    }
    for (const [uid, part] of [
      ['1', '1'],
      ['5', '2'],
      ['5', '2.1'],
    ]) {
      const r = await runCli(['show', 'INBOX', uid!, '--part', part!]);
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
    }
  });

  it('show of a UID that does not exist: exit 5', async () => {
    const r = await runCli(['show', 'INBOX', '9999']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('imapkit: no message with UID 9999 in INBOX\n');
  });
});

describe('export and import round trips', () => {
  async function roundTrip(
    format: 'mbox' | 'maildir' | 'eml',
  ): Promise<{ out: string; target: Stored[] }> {
    const out = join(dir, `inbox-${format}`);
    const exported = await runCli(['export', 'INBOX', '--format', format, '--out', out, '--json']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ exported: 300, skipped: 0 });
    const box = scratchName();
    const imported = await runCli(['import', box, out, '--create', '--json'], {
      env: cliEnv('carol'),
    });
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ format, imported: 300, created: true });
    return { out, target: await messagesOf(carol, box) };
  }

  function expectSameMessages(target: Stored[], withFlags: boolean): void {
    expect(target).toHaveLength(inbox.length);
    target.forEach((m, i) => {
      const original = inbox[i]!;
      expect(m.source.equals(original.source), `message ${original.uid} bytes`).toBe(true);
      expect(m.internalDate, `message ${original.uid} INTERNALDATE`).toBe(original.internalDate);
      expect(m.flags, `message ${original.uid} flags`).toEqual(withFlags ? original.flags : []);
    });
  }

  it('mbox: bytes and INTERNALDATE survive; "From " lines are quoted in the file', async () => {
    const { out, target } = await roundTrip('mbox');
    expectSameMessages(target, false);
    const text = readFileSync(out, 'latin1');
    expect(text.startsWith('From team@imapkit.test Mon Jan  1 08:01:37 2024\nReturn-Path:')).toBe(
      true,
    );
    expect(text).not.toContain('\r\n');
    expect((text.match(/^From /gm) ?? []).length).toBe(300);
  });

  it('mbox --mbox-status: flags and keywords go through as Status, X-Status, X-Keywords', async () => {
    const out = join(dir, 'status.mbox');
    const args = ['export', 'INBOX', 'uid:1:20', '--format', 'mbox', '--out', out];
    const r = await runCli([...args, '--mbox-status']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const box = scratchName();
    expect((await runCli(['import', box, out, '--create'], { env: cliEnv('carol') })).code).toBe(0);
    const target = await messagesOf(carol, box);
    expect(target).toHaveLength(20);
    expect(inbox.slice(0, 20).some((m) => m.flags.includes('Work'))).toBe(true);
    target.forEach((m, i) => {
      expect(m.flags, `message ${i + 1} flags`).toEqual(inbox[i]!.flags);
      expect(m.source.toString('latin1')).toMatch(/\r\nStatus: R?O\r\n/);
    });
    const eml = await runCli([
      'export',
      'INBOX',
      '--format',
      'eml',
      '--out',
      join(dir, 'x'),
      '--mbox-status',
    ]);
    expect(eml.code).toBe(2);
  });

  it('mbox into a directory that does not exist yet: it is created', async () => {
    const out = join(dir, 'new', 'sub', 'two.mbox');
    const r = await runCli(['export', 'INBOX', 'uid:1:2', '--format', 'mbox', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((readFileSync(out, 'latin1').match(/^From /gm) ?? []).length).toBe(2);
  });

  it('Maildir: bytes, INTERNALDATE, flags and keywords survive', async () => {
    const { out, target } = await roundTrip('maildir');
    expectSameMessages(target, true);
    expect(readdirSync(join(out, 'cur'))).toHaveLength(300);
    expect(readdirSync(join(out, 'tmp'))).toEqual([]);
    expect(readdirSync(join(out, 'cur'))).toContain('1704096097.M1V1700000000.imapkit:2,S');
    expect(readdirSync(join(out, 'cur')).find((n) => n.includes('.M11V'))).toMatch(/:2,FSa$/);
    expect(readFileSync(join(out, 'dovecot-keywords'), 'utf8')).toBe('0 Work\n');
  });

  it('.eml: one file per message, the stored bytes, INTERNALDATE as mtime', async () => {
    const { out, target } = await roundTrip('eml');
    expectSameMessages(target, false);
    expect(readFileSync(join(out, '1700000000-6.eml')).equals(inbox[5]!.source)).toBe(true);
    expect(statSync(join(out, '1700000000-1.eml')).mtime.toISOString()).toBe(
      '2024-01-01T08:01:37.000Z',
    );
  });

  it('mbox "From " quoting both ways through the server', async () => {
    const body =
      'From here\r\n>From there\r\n>>From far\r\nFromage\r\n\r\nFrom after an empty line\r\n';
    const message = testMessage('quoting', body);
    const source = scratchName();
    await createMailboxWith(carol, source, [message]);
    const out = join(dir, 'quoting.mbox');
    const env = cliEnv('carol');
    expect((await runCli(['export', source, '--format', 'mbox', '--out', out], { env })).code).toBe(
      0,
    );
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(
      '\n>From here\n>>From there\n>>>From far\nFromage\n\n>From after an empty line\n\n',
    );
    const target = scratchName();
    expect((await runCli(['import', target, out, '--create'], { env })).code).toBe(0);
    const [copy] = await messagesOf(carol, target);
    expect(copy!.source.toString()).toBe(message);
  });

  it('export again: nothing re-downloaded; an mbox export resumes after the last UID', async () => {
    const out = join(dir, 'incremental.mbox');
    const first = await runCli([
      'export',
      'INBOX',
      'uid:1:10',
      '--format',
      'mbox',
      '--out',
      out,
      '--json',
    ]);
    expect(JSON.parse(first.stdout)).toMatchObject({ exported: 10 });
    const second = await runCli(['export', 'INBOX', '--format', 'mbox', '--out', out, '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ exported: 290, skipped: 10 });
    const third = await runCli(['export', 'INBOX', '--format', 'mbox', '--out', out, '--json']);
    expect(JSON.parse(third.stdout)).toMatchObject({ exported: 0, skipped: 300, bytes: 0 });
    // The same file as one complete export.
    expect(readFileSync(out).equals(readFileSync(join(dir, 'inbox-mbox')))).toBe(true);
  });

  it('Ctrl-C stops an export between messages (exit 130); running it again completes it', async () => {
    const out = join(dir, 'interrupted.mbox');
    // A signal that reports Ctrl-C once three messages are in the file.
    const written = (): number => {
      try {
        return readFileSync(out, 'latin1').match(/^From /gm)?.length ?? 0;
      } catch {
        return 0;
      }
    };
    const signal = {
      get aborted() {
        return written() >= 3;
      },
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    } as unknown as AbortSignal;
    const stopped = await runCli(['export', 'INBOX', '--format', 'mbox', '--out', out], { signal });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toBe(
      'imapkit: interrupted (3 message(s) exported before; run the same export again to resume)\n',
    );
    expect(JSON.parse(readFileSync(`${out}.imapkit-state.json`, 'utf8'))).toMatchObject({
      uids: '1:3',
    });
    const resumed = await runCli(['export', 'INBOX', '--format', 'mbox', '--out', out, '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ exported: 297, skipped: 3 });
    expect(readFileSync(out).equals(readFileSync(join(dir, 'inbox-mbox')))).toBe(true);
  });

  it('an mbox file that is not an earlier export of this mailbox is not overwritten without --force', async () => {
    const out = join(dir, 'inbox-mbox');
    const r = await runCli(['export', 'Sent', '--format', 'mbox', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not an earlier export of this mailbox.*--force/);
  });

  it('Maildir export again: new messages added, changed flags renamed', async () => {
    const env = cliEnv('carol');
    const box = scratchName();
    await createMailboxWith(carol, box, [testMessage('one'), testMessage('two')]);
    const out = join(dir, 'flags-maildir');
    expect((await runCli(['export', box, '--format', 'maildir', '--out', out], { env })).code).toBe(
      0,
    );
    await carol.exec('SELECT', [mailbox(box)]);
    await store(carol, 2, { add: ['\\Flagged', 'Later'] });
    await carol.exec('APPEND', [mailbox(box), literal(testMessage('three'))]);
    const again = await runCli(['export', box, '--format', 'maildir', '--out', out, '--json'], {
      env,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ exported: 1, skipped: 2 });
    const names = readdirSync(join(out, 'cur')).sort();
    expect(names.map((n) => n.replace(/^\d+\./, ''))).toEqual([
      'M1V' + names[0]!.split('V')[1]!.split('.')[0] + '.imapkit:2,',
      expect.stringMatching(/^M2V\d+\.imapkit:2,Fa$/),
      expect.stringMatching(/^M3V\d+\.imapkit:2,$/),
    ]);
    expect(readFileSync(join(out, 'dovecot-keywords'), 'utf8')).toBe('0 Later\n');
  });

  it('Maildir export of more than 26 keywords: a warning with the count of messages affected', async () => {
    const env = cliEnv('carol');
    const box = scratchName();
    await createMailboxWith(carol, box, [
      testMessage('one'),
      testMessage('two'),
      testMessage('three'),
    ]);
    await carol.exec('SELECT', [mailbox(box)]);
    const keywords = Array.from({ length: 28 }, (_, i) => `kw${String(i).padStart(2, '0')}`);
    await store(carol, 1, { add: keywords.slice(0, 26) });
    await store(carol, 2, { add: keywords.slice(20) });
    await store(carol, 3, { add: ['kw00'] });
    const out = join(dir, 'many-keywords-maildir');
    const r = await runCli(['export', box, '--format', 'maildir', '--out', out], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'imapkit: warning: 1 message(s) kept only some of their keywords: a Maildir names at most ' +
        '26 keywords (letters a-z in dovecot-keywords), and these got none: kw26 kw27\n',
    );
    expect(readFileSync(join(out, 'dovecot-keywords'), 'utf8').trim().split('\n')).toHaveLength(26);
  });

  it('progress bars go to stderr only when it is a terminal', async () => {
    const out = join(dir, 'progress');
    const tty = await runCli(['export', 'Archive/2025', '--format', 'eml', '--out', out], {
      stderrIsTTY: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\r\x1b\[Kexport Archive\/2025 \[#+\] 5\/5 messages/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true); // cleared at the end
    const quiet = await runCli([
      'export',
      'Archive/2024',
      '--format',
      'eml',
      '--out',
      join(dir, 'quiet'),
    ]);
    expect(quiet.stderr).toBe('');
  });

  it('import of a single .eml file into an existing mailbox', async () => {
    const env = cliEnv('carol');
    const box = scratchName();
    await carol.exec('CREATE', [mailbox(box)]);
    const r = await runCli(['import', box, join(dir, 'inbox-eml', '1700000000-9.eml')], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported 1 message\(s\)/);
    const [m] = await messagesOf(carol, box);
    expect(m!.source.equals(inbox[8]!.source)).toBe(true);
  });

  it('import of .eml files with an empty one: it is skipped with a warning naming it, the rest imported', async () => {
    const env = cliEnv('carol');
    const box = scratchName();
    const emls = join(dir, 'emls-with-empty');
    mkdirSync(emls);
    writeFileSync(join(emls, 'a.eml'), testMessage('first'));
    writeFileSync(join(emls, 'b.eml'), '');
    writeFileSync(join(emls, 'c.eml'), testMessage('third'));
    const r = await runCli(['import', box, emls, '--create'], { env });
    expect(r.stderr).toBe(
      `imapkit: warning: skipped ${join(emls, 'b.eml')}: an empty file, no message\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported 2 message\(s\)/);
    expect(await messagesOf(carol, box)).toHaveLength(2);
  });

  it('import --server-date: the server dates the messages instead of the file mtime', async () => {
    const env = cliEnv('carol');
    const box = scratchName();
    const started = Date.now() - 60_000;
    const file = join(dir, 'dated.eml');
    writeFileSync(file, testMessage('dated'));
    utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const r = await runCli(['import', box, file, '--create', '--server-date'], { env });
    expect(r.code).toBe(0);
    const [m] = await messagesOf(carol, box);
    expect(m!.internalDate).toBeGreaterThan(started); // not 2020, the file's mtime
  });

  it("import of another tool's Maildir and mbox keeps their flags and dates", async () => {
    const env = cliEnv('carol');
    const maildir = join(dir, 'foreign-maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(join(maildir, 'dovecot-keywords'), '0 Project\n');
    writeFileSync(
      join(maildir, 'new', '1600000000.A.host'),
      testMessage('unread, LF ends').replace(/\r\n/g, '\n'),
    );
    writeFileSync(
      join(maildir, 'cur', '1600000001.B.host:2,FRSa'),
      testMessage('read and replied'),
    );
    utimesSync(join(maildir, 'cur', '1600000001.B.host:2,FRSa'), 1600000001, 1600000001);
    const box = scratchName();
    const r = await runCli(['import', box, maildir, '--create', '--json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'maildir', imported: 2 });
    const [unread, replied] = await messagesOf(carol, box);
    expect(unread!.flags).toEqual([]);
    expect(unread!.source.toString()).toContain('\r\n\r\nHello from imapkit tests.\r\n'); // LF -> CRLF
    expect(replied!.flags).toEqual(['Project', '\\Answered', '\\Flagged', '\\Seen']);
    expect(replied!.internalDate).toBe(1600000001_000);

    const mbox = join(dir, 'mutt.mbox');
    writeFileSync(
      mbox,
      'From someone@example.com Sat Sep 12 12:26:40 2020\n' +
        testMessage('from mutt')
          .replace('\r\n\r\n', '\r\nStatus: RO\r\nX-Status: A\r\n\r\n')
          .replace(/\r\n/g, '\n') +
        '\n',
    );
    const box2 = scratchName();
    expect((await runCli(['import', box2, mbox, '--create'], { env })).code).toBe(0);
    const [fromMutt] = await messagesOf(carol, box2);
    expect(fromMutt!.flags).toEqual(['\\Answered', '\\Seen']);
    expect(fromMutt!.internalDate).toBe(Date.UTC(2020, 8, 12, 12, 26, 40));
  });

  it('import --skip-existing: a second run adds only what is new; no Message-ID always goes in', async () => {
    const env = cliEnv('carol');
    const box = scratchName();
    const mbox = join(dir, 'resume.mbox');
    const first = testMessage('first');
    const second = testMessage('second');
    const noId = testMessage('no id').replace(/Message-ID: [^\r]*\r\n/, '');
    const asMbox = (messages: string[]): string =>
      messages
        .map(
          (m) =>
            'From someone@example.com Sat Sep 12 12:26:40 2020\n' + m.replace(/\r\n/g, '\n') + '\n',
        )
        .join('');
    writeFileSync(mbox, asMbox([first, noId]));
    const r1 = await runCli(['import', box, mbox, '--create', '--skip-existing'], { env });
    expect(r1.code).toBe(0);
    writeFileSync(mbox, asMbox([first, second, noId, second]));
    const r2 = await runCli(['import', box, mbox, '--skip-existing', '--json'], { env });
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toMatchObject({ imported: 2, skipped: 2 });
    const r3 = await runCli(['import', box, mbox, '--skip-existing'], { env });
    expect(r3.stdout).toMatch(/^imported 1 message\(s\) .*; 3 skipped, already there\n$/);
    const subjects = (await messagesOf(carol, box)).map((m) =>
      /^Subject: (.*)$/m.exec(m.source.toString())![1]!.trim(),
    );
    expect(subjects).toEqual(['first', 'no id', 'second', 'no id', 'no id']);
  });

  it('Ctrl-C stops an import between batches (exit 130) and says how many were imported', async () => {
    const box = scratchName();
    const mbox = join(dir, 'interrupted-import.mbox');
    let text = '';
    for (let i = 0; i < 120; i++) {
      text += `From a@example.com Mon Jan  1 08:01:37 2024\nSubject: m${i}\n`;
      text += `Message-ID: <m${i}-${box}@imapkit.test>\n\nbody ${i}\n\n`;
    }
    writeFileSync(mbox, text);
    // A signal that reports Ctrl-C once the first APPEND (50 messages) was stored.
    let trace = '';
    const signal = {
      get aborted() {
        return /S: A\d+ OK \[APPENDUID/.test(trace);
      },
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    } as unknown as AbortSignal;
    const r = await runCli(['import', box, mbox, '--create', '--debug'], {
      env: cliEnv('carol'),
      signal,
      onStderr: (t) => (trace += t),
    });
    expect(r.code).toBe(130);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('imapkit:'))).toEqual([
      'imapkit: interrupted (50 of 120 message(s) were imported before; ' +
        'run it again with --skip-existing to import the rest)',
    ]);
    const again = await runCli(['import', box, mbox, '--skip-existing', '--json'], {
      env: cliEnv('carol'),
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 70, skipped: 50 });
  });

  it('import into a mailbox that does not exist, without --create: exit 5 with TRYCREATE', async () => {
    const file = join(dir, 'lonely.eml');
    writeFileSync(file, testMessage('nowhere to go'));
    const r = await runCli(['import', 'no-such-box-' + Date.now(), file], {
      env: cliEnv('carol'),
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /^imapkit: server refused APPEND \(NO\): .*\[TRYCREATE\] \(the mailbox does not exist: use --create\)\n$/,
    );
  });
});

type WatchRecord = Record<string, unknown>;

/** Runs `watch` in-process and lets the test wait for its JSON Lines records. */
function startWatch(
  args: string[],
  env: Record<string, string>,
): {
  waitFor(test: (r: WatchRecord) => boolean): Promise<WatchRecord>;
  stop(): Promise<Awaited<ReturnType<typeof runCli>>>;
} {
  const controller = new AbortController();
  const records: WatchRecord[] = [];
  const waiters: Array<{ test: (r: WatchRecord) => boolean; resolve: (r: WatchRecord) => void }> =
    [];
  let buffered = '';
  const run = runCli(['watch', ...args, '--json'], {
    env,
    signal: controller.signal,
    onStdout: (text) => {
      buffered += text;
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const record = JSON.parse(buffered.slice(0, nl)) as WatchRecord;
        buffered = buffered.slice(nl + 1);
        records.push(record);
        for (const w of waiters.filter((w) => w.test(record))) w.resolve(record);
      }
    },
  });
  return {
    waitFor: (test) =>
      new Promise((resolve) => {
        const found = records.find(test);
        if (found !== undefined) resolve(found);
        else waiters.push({ test, resolve });
      }),
    stop: () => {
      controller.abort();
      return run;
    },
  };
}

describe('watch', () => {
  it('prints an APPEND, a flag change and an expunge by another session; Ctrl-C logs out with exit 0', async () => {
    const box = scratchName();
    await createMailboxWith(carol, box, [testMessage('before')]);
    const watch = startWatch([box], cliEnv('carol'));
    expect(await watch.waitFor((r) => r.event === 'watching')).toMatchObject({
      mailbox: box,
      exists: 1,
    });
    const other = await ImapConnection.connect(plainOptions('carol'));
    try {
      await other.exec('APPEND', [mailbox(box), literal(testMessage('arrived while watching'))]);
      expect(await watch.waitFor((r) => r.event === 'new')).toMatchObject({
        uid: 2,
        subject: 'arrived while watching',
        from: 'Tests <tests@example.com>',
      });
      await other.exec('SELECT', [mailbox(box)]);
      await store(other, 1, { add: ['\\Flagged'], uid: true });
      expect(await watch.waitFor((r) => r.event === 'flags')).toMatchObject({
        uid: 1,
        flags: expect.arrayContaining(['\\Flagged']),
      });
      // QRESYNC is enabled, so an expunge is reported as VANISHED UIDs.
      await store(other, 1, { add: ['\\Deleted'], uid: true, silent: true });
      await uidExpunge(other, 1);
      expect(await watch.waitFor((r) => r.event === 'vanished')).toEqual({
        event: 'vanished',
        uids: '1',
      });
    } finally {
      await other.logout();
    }
    const r = await watch.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('after the server drops the connection it reconnects, reports the resync, and goes on', async () => {
    const box = scratchName();
    await createMailboxWith(carol, box, [testMessage('before')]);
    const server = testServer();
    const before = ownPortsTo(server.port);
    // --plain: Dovecot hands a plaintext session's socket to the imap process we kill.
    const watch = startWatch([box, '--plain'], cliEnv('carol'));
    await watch.waitFor((r) => r.event === 'watching');
    const ports = [...ownPortsTo(server.port)].filter((p) => !before.has(p));
    expect(ports).toHaveLength(1);
    const pid = imapProcessFor(ports[0]!);
    expect(pid).not.toBe(null);
    process.kill(pid!, 'SIGKILL');
    expect(await watch.waitFor((r) => r.event === 'reconnected')).toMatchObject({ attempt: 1 });
    expect(await watch.waitFor((r) => r.event === 'resync')).toMatchObject({
      exists: 1,
      vanished: null,
    });
    await carol.exec('APPEND', [mailbox(box), literal(testMessage('after the drop'))]);
    expect(await watch.waitFor((r) => r.event === 'new')).toMatchObject({
      uid: 2,
      subject: 'after the drop',
    });
    const r = await watch.stop();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^imapkit: warning: connection lost \(.*\); reconnecting\n$/);
    // The order docs/cli.md lists: a consumer resetting on `reconnected` keeps the resync.
    expect(jsonLines(r.stdout).map((l) => (l as WatchRecord).event)).toEqual([
      'watching',
      'reconnected',
      'resync',
      'new',
    ]);
  });
  it('a message that arrives while output is held is found by UID although an expunge shifted the numbers', async () => {
    // The fetch for a new message runs after earlier events were printed; an
    // expunge in between renumbers the messages (RFC 9051 7.5.1). Looked up
    // by sequence number, `5:5` no longer existed (BAD, exit 5) or named
    // another message.
    const box = scratchName();
    await createMailboxWith(
      carol,
      box,
      ['A', 'B', 'C'].map((s) => testMessage(s)),
    );
    const records: WatchRecord[] = [];
    const waiters: Array<() => void> = [];
    const changed = (): void => {
      for (const w of waiters.splice(0)) w();
    };
    const until = async (test: () => boolean): Promise<void> => {
      while (!test()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    let held: (() => void) | null = null;
    let hold = false;
    const stdout = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        records.push(JSON.parse(chunk.toString('utf8')) as WatchRecord);
        if (hold) held = () => callback();
        else callback();
        changed();
      },
    });
    let trace = '';
    const stderr = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        trace += chunk.toString('utf8');
        changed();
        callback();
      },
    });
    const controller = new AbortController();
    const run = main([`watch`, box, '--json', '--debug'], {
      stdout,
      stderr,
      stdin: Readable.from([]),
      env: cliEnv('carol'),
      stdinIsTTY: false,
      stdoutIsTTY: false,
      stderrIsTTY: false,
      signal: controller.signal,
    });
    await until(() => records.some((r) => r.event === 'watching'));
    hold = true;
    const other = await ImapConnection.connect(plainOptions('carol'));
    try {
      await other.exec('APPEND', [mailbox(box), literal(testMessage('D'))]);
      // D's line is being written (and held): the watch's event chain waits.
      await until(() => held !== null);
      await other.exec('APPEND', [mailbox(box), literal(testMessage('E'))]);
      await until(() => / S: \* 5 EXISTS/.test(trace));
      await other.exec('SELECT', [mailbox(box)]);
      await store(other, 1, { add: ['\\Deleted'], uid: true, silent: true });
      await uidExpunge(other, 1);
      await until(() => / S: \* (VANISHED 1|1 EXPUNGE)\b/.test(trace));
    } finally {
      await other.logout();
    }
    hold = false;
    (held as (() => void) | null)?.();
    await until(() => records.some((r) => r.event === 'vanished' || r.event === 'expunge'));
    controller.abort();
    const code = await run;
    expect(records.map((r) => [r.event, r.uid ?? r.uids, r.subject])).toEqual([
      ['watching', undefined, undefined],
      ['new', 4, 'D'],
      ['new', 5, 'E'],
      ['vanished', '1', undefined],
    ]);
    expect(code).toBe(0);
  });
});

describe('errors and secrets', () => {
  it('--local-address that is not an IP address: a usage error (exit 2), before connecting', async () => {
    const r = await runCli(['status', 'INBOX', '--local-address', 'notanip']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('imapkit: --local-address must be an IP address, not "notanip"\n');
    const fromEnv = await runCli(['status', 'INBOX'], {
      env: { ...cliEnv(), IMAPKIT_LOCAL_ADDRESS: '127.0.0.300' },
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('IMAPKIT_LOCAL_ADDRESS must be an IP address');
  });

  it('--ca that holds no usable PEM certificate: refused (exit 6), not silently ignored', async () => {
    const pem = readFileSync(cliEnv().IMAPKIT_CA!, 'utf8');
    const der = new X509Certificate(pem).raw;
    const broken = pem.replace(/(-----BEGIN CERTIFICATE-----\r?\n)..../, '$1AAAA');
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['ca.der', der, /holds no PEM certificate.*openssl x509 -inform der/],
      ['ca.txt', 'not a certificate\n', /holds no PEM certificate/],
      ['ca-broken.pem', broken, /certificate 1 of 1 does not parse/],
      ['ca-two.pem', pem + broken, /certificate 2 of 2 does not parse/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await runCli(['status', 'INBOX', '--ca', file]);
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line
    }
    const bundle = join(dir, 'ca-bundle.pem');
    writeFileSync(bundle, pem + pem);
    expect((await runCli(['status', 'INBOX', '--ca', bundle])).code).toBe(0);
  });

  it('a wrong password: exit 3, one line, the password nowhere (also not in --debug)', async () => {
    const secret = 'wrong-Secret-9f3k';
    const env = { ...cliEnv(), IMAPKIT_PASSWORD: secret };
    const r = await runCli(['list', '--debug', '--local-address', freshLoopback()], { env });
    expect(r.code).toBe(3);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('imapkit:'));
    expect(lines).toEqual([
      expect.stringMatching(/^imapkit: login failed: .*AUTHENTICATIONFAILED/),
    ]);
    expect(r.stderr).toContain('[trace] C: A'); // the trace was printed
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(`\0alice\0${secret}`).toString('base64'));
    }
  });

  it('a correct password is not printed by --debug either', async () => {
    const password = testServer().users.alice!;
    const r = await runCli(['status', 'INBOX', '--debug']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[trace\] C: A\d+ STATUS INBOX/);
    expect(r.stderr + r.stdout).not.toContain(password);
  });

  it('--password on argv works but is warned about, without echoing it', async () => {
    const { IMAPKIT_PASSWORD: password, ...env } = cliEnv();
    const r = await runCli(['status', 'Notes', '--password', password!], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^imapkit: warning: a password given with --password is visible/);
    expect(r.stderr).not.toContain(password);
  });

  it('--password-file is read (without its final newline)', async () => {
    const { IMAPKIT_PASSWORD: password, ...env } = cliEnv();
    const file = join(dir, 'password');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    const r = await runCli(['status', 'Notes', '--password-file', file], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a password file other users can read is warned about', async () => {
    const { IMAPKIT_PASSWORD: password, ...env } = cliEnv();
    const file = join(dir, 'password-readable');
    writeFileSync(file, password!, { mode: 0o644 });
    const r = await runCli(['status', 'Notes', '--password-file', file], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`imapkit: warning: ${file} can be read by other users; chmod 600 it\n`);
  });

  it('no password and no terminal: exit 3 saying where a password can come from', async () => {
    const { IMAPKIT_PASSWORD: _, ...env } = cliEnv();
    const r = await runCli(['list'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'imapkit: no password: set IMAPKIT_PASSWORD, use --password-file FILE, or run on a terminal to be asked\n',
    );
  });

  it("an unknown mailbox: exit 5 with the server's text", async () => {
    const r = await runCli(['status', 'No/Such/Box']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /^imapkit: server refused STATUS \(NO\): Mailbox doesn't exist: No\/Such\/Box.*\n$/,
    );
  });

  it('a bad query: exit 2 before connecting', async () => {
    const r = await runCli(['search', 'INBOX', 'colour:red'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('imapkit: unknown search key "colour:" (see imapkit search --help)\n');
  });

  it.each([
    [[], /^Usage: imapkit <command>/],
    [['frobnicate'], /^imapkit: unknown command "frobnicate"/],
    [['list', '--bogus'], /^imapkit: Unknown option '--bogus'/],
    [['status'], /^imapkit: usage: imapkit status <mailbox>/],
    [['show', 'INBOX', 'abc'], /^imapkit: the UID must be a whole number/],
    [['export', 'INBOX', '--format', 'mbox'], /^imapkit: give --out PATH/],
    [
      ['export', 'INBOX', '--format', 'zip', '--out', 'x'],
      /^imapkit: --format must be mbox, maildir or eml/,
    ],
    [['list', '--tls', '--plain'], /^imapkit: --tls and --plain exclude each other/],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('nobody listening: exit 4', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await runCli(['list', '--port', String(port), '--starttls']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^imapkit: connection error: .*ECONNREFUSED/);
  });

  it('a certificate that cannot be verified: exit 4; --insecure connects with a loud warning', async () => {
    const { IMAPKIT_CA: _, ...env } = cliEnv();
    const r = await runCli(['status', 'Notes', '--tls', '--port', String(testServer().tlsPort)], {
      env,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^imapkit: connection error: TLS handshake .*certificate/);
    const insecure = await runCli(
      ['status', 'Notes', '--tls', '--port', String(testServer().tlsPort), '--insecure'],
      { env },
    );
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(
      /^imapkit: warning: --insecure: the server certificate is NOT verified/,
    );
  });

  it('STARTTLS pointed at the implicit-TLS port: exit 4 with a hint to add --tls', async () => {
    const r = await runCli([
      'list',
      '--starttls',
      '--port',
      String(testServer().tlsPort),
      '--timeout',
      '1',
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      'imapkit: connection error: no greeting from the server within 1000 ms ' +
        '(if this port expects TLS from the start, such as 993, add --tls)\n',
    );
  });
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const r = await runCli(['--version'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`imapkit ${version}\n`);
  });

  it('--help for the program and each command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['list', 'status', 'search', 'show', 'export', 'import', 'watch']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
      const r = await runCli([name, '--help'], { env: {} });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: imapkit ${name}`));
      expect(r.stdout).toContain('--json');
    }
  });
});

it('no scratch file is left behind by an export (tmp/ and .part files)', () => {
  expect(existsSync(join(dir, 'inbox-eml'))).toBe(true);
  expect(readdirSync(join(dir, 'inbox-eml')).filter((n) => n.startsWith('.'))).toEqual([
    '.imapkit-export.json', // the mailbox mark, not a scratch file
  ]);
});
