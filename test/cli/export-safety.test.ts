/**
 * Export and import against the real test Dovecot where the input is
 * hostile or the run does not go as planned: senders that would break the
 * mbox From_ line, re-exports with other criteria or from another mailbox
 * into the same target, empty and odd import sources, file modes.
 * Everything runs as carol in scratch mailboxes `t-clisafe-<random>`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAll } from '../../src/commands/fetch.js';
import { examine } from '../../src/commands/select.js';
import { ImapConnection } from '../../src/connection/connection.js';
import {
  createMailboxWith,
  deleteMailboxes,
  plainOptions,
  testMessage,
} from '../helpers/dovecot.js';
import { cliEnv, runCli } from './helpers.js';

let carol: ImapConnection;
const created: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'imapkit-clisafe-'));
const env = cliEnv('carol');

function scratchName(): string {
  const name = `t-clisafe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  created.push(name);
  return name;
}

interface Stored {
  uid: number;
  source: Buffer;
  internalDate: number;
}

async function messagesOf(box: string): Promise<Stored[]> {
  await examine(carol, box);
  const found = await fetchAll(
    carol,
    '1:*',
    { uid: true, internalDate: true, source: true },
    { uid: true },
  );
  return found
    .map((m) => ({ uid: m.uid!, source: m.source!, internalDate: m.internalDate!.getTime() }))
    .sort((a, b) => a.uid - b.uid);
}

/** A test message from `from` (a whole From: header value). */
function messageFrom(from: string, subject: string): string {
  return testMessage(subject).replace('From: Tests <tests@example.com>', `From: ${from}`);
}

beforeAll(async () => {
  carol = await ImapConnection.connect(plainOptions('carol'));
});

afterAll(async () => {
  await deleteMailboxes(carol, created);
  await carol.logout();
});

describe('mbox From_ line', () => {
  it('senders that would break the line or the importer become MAILER-DAEMON; the round trip keeps INTERNALDATE', async () => {
    const box = scratchName();
    const senders = [
      '<a\u010AFrom forged@example.com Mon Jan  1 00:00:00 2024\u010A@example.com>',
      '<a\u010Db@example.com>',
      '<a\u0120b@example.com>',
      '<jörg@example.com>',
      'Plain <plain@example.com>',
    ];
    await createMailboxWith(
      carol,
      box,
      senders.map((s, i) => messageFrom(s, `sender ${i}`)),
    );
    const original = await messagesOf(box);
    const out = join(dir, 'senders.mbox');
    const r = await runCli(['export', box, '--format', 'mbox', '--out', out], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'latin1');
    const fromLines = text.split('\n').filter((l) => l.startsWith('From '));
    expect(fromLines.map((l) => l.split(' ')[1])).toEqual([
      'MAILER-DAEMON',
      'MAILER-DAEMON',
      'MAILER-DAEMON',
      'MAILER-DAEMON',
      'plain@example.com',
    ]);
    expect(text).not.toContain('\r');
    const target = scratchName();
    const imported = await runCli(['import', target, out, '--create', '--json'], { env });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: senders.length });
    const copies = await messagesOf(target);
    expect(copies).toHaveLength(senders.length);
    copies.forEach((m, i) => {
      expect(m.source.equals(original[i]!.source), `message ${i} bytes`).toBe(true);
      expect(m.internalDate, `message ${i} INTERNALDATE`).toBe(original[i]!.internalDate);
    });
  });
});

describe('mbox export state', () => {
  it('a re-export with other criteria adds the messages the first run left out', async () => {
    const box = scratchName();
    await createMailboxWith(
      carol,
      box,
      [1, 2, 3, 4].map((i) => testMessage(`message ${i}`)),
    );
    const out = join(dir, 'criteria.mbox');
    const args = ['export', box, '--format', 'mbox', '--out', out, '--json'];
    const first = await runCli([...args.slice(0, 2), 'uid:3:4', ...args.slice(2)], { env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ exported: 2, skipped: 0 });
    const all = await runCli(args, { env });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ exported: 2, skipped: 2 });
    const again = await runCli(args, { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ exported: 0, skipped: 4 });
    const subjects = [...readFileSync(out, 'utf8').matchAll(/^Subject: (.*)$/gm)].map((m) => m[1]);
    expect(subjects).toEqual(['message 3', 'message 4', 'message 1', 'message 2']);
    expect(JSON.parse(readFileSync(`${out}.imapkit-state.json`, 'utf8'))).toMatchObject({
      uids: '1:4',
    });
  });

  it('a state file of an older version (lastUid) is read as every UID up to it', async () => {
    const box = scratchName();
    await createMailboxWith(
      carol,
      box,
      [1, 2, 3].map((i) => testMessage(`message ${i}`)),
    );
    const out = join(dir, 'legacy.mbox');
    const args = ['export', box, '--format', 'mbox', '--out', out, '--json'];
    expect((await runCli([...args.slice(0, 2), 'uid:1:2', ...args.slice(2)], { env })).code).toBe(
      0,
    );
    const statePath = `${out}.imapkit-state.json`;
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
    const { uids: _uids, ...rest } = state;
    writeFileSync(statePath, JSON.stringify({ ...rest, lastUid: 2 }));
    const r = await runCli(args, { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ exported: 1, skipped: 2 });
  });
});

describe('import sources', () => {
  it('the export of an empty mailbox imports as nothing, not as one empty message', async () => {
    const box = scratchName();
    await createMailboxWith(carol, box, []);
    const out = join(dir, 'empty-export');
    const r = await runCli(['export', box, '--format', 'mbox', '--out', out], { env });
    expect(r.code).toBe(0);
    expect(readFileSync(out).length).toBe(0);
    const target = scratchName();
    const imported = await runCli(['import', target, out, '--create', '--json'], { env });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ format: 'mbox', imported: 0 });
    expect(await messagesOf(target)).toEqual([]);
  });
});

describe('Maildir and eml export directories', () => {
  it('exporting a second mailbox into the same directory is refused (exit 2) unless --force', async () => {
    const [a, b] = [scratchName(), scratchName()];
    await createMailboxWith(carol, a, [testMessage('in a')]);
    await createMailboxWith(carol, b, [testMessage('in b')]);
    for (const format of ['maildir', 'eml']) {
      const out = join(dir, `two-boxes-${format}`);
      const args = (box: string): string[] => ['export', box, '--format', format, '--out', out];
      expect((await runCli(args(a), { env })).code).toBe(0);
      const refused = await runCli(args(b), { env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/holds an export of mailbox .*--force/);
      const forced = await runCli([...args(b), '--force', '--json'], { env });
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({ exported: 1 });
    }
  });
});
