/**
 * The export sinks on their own (no server): what they leave on disk when
 * the process dies between messages (a sink never closed stands for
 * `kill -9` or a second Ctrl-C), and what a later run makes of it.
 */
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { emlSink } from '../../src/cli/sinks/eml.js';
import { claimExportDir, EXPORT_MARK } from '../../src/cli/sinks/export-dir.js';
import { maildirSink } from '../../src/cli/sinks/maildir.js';
import { mboxSink, mboxStatePath } from '../../src/cli/sinks/mbox.js';
import type { ExportMeta, ExportSink } from '../../src/cli/sinks/sink.js';
import { importSources } from '../../src/cli/sources.js';

const dir = mkdtempSync(join(tmpdir(), 'imapkit-sinks-'));

function meta(uid: number, size = 100): ExportMeta {
  return { uid, flags: [], internalDate: new Date(Date.UTC(2024, 0, uid)), size, sender: null };
}

async function put(sink: ExportSink, uid: number, body: string): Promise<void> {
  const message = `Subject: ${uid}\r\n\r\n${body}\r\n`;
  await sink.write(meta(uid, message.length), Readable.from([Buffer.from(message)]), () => {});
}

function state(out: string): Record<string, unknown> {
  return JSON.parse(readFileSync(mboxStatePath(out), 'utf8')) as Record<string, unknown>;
}

describe('mbox sink after a hard stop', () => {
  it('a new file has a state at once: the next run resumes instead of refusing', async () => {
    const out = join(dir, 'new.mbox');
    const dead = await mboxSink(out, 'INBOX', 7, false);
    await put(dead, 1, 'one');
    // never closed: killed
    expect(state(out)).toMatchObject({ mailbox: 'INBOX', uidValidity: 7, uids: '', size: 0 });
    const again = await mboxSink(out, 'INBOX', 7, false);
    expect(again.has(1)).toBe(false);
    expect(statSync(out).size).toBe(0); // the unrecorded message cut off
    await put(again, 1, 'one');
    await again.close();
    expect(state(out)).toMatchObject({ uids: '1', size: statSync(out).size });
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('--force stopped before the file is emptied: the next run cuts the old messages, it does not keep them as foreign mail', async () => {
    const out = join(dir, 'forced-early.mbox');
    const first = await mboxSink(out, 'INBOX', 7, false);
    for (const uid of [1, 2]) await put(first, uid, 'short');
    await first.close();
    const old = readFileSync(out);
    const forced = await mboxSink(out, 'INBOX', 7, true);
    // Killed between the state's reset and the file's: the old bytes are still there.
    writeFileSync(out, old);
    const again = await mboxSink(out, 'INBOX', 7, false);
    expect(again.warnings?.() ?? []).toEqual([]);
    expect([1, 2].map((uid) => again.has(uid))).toEqual([false, false]);
    expect(statSync(out).size).toBe(0);
    for (const uid of [1, 2]) await put(again, uid, 'short');
    await again.close();
    expect(readFileSync(out).equals(old)).toBe(true); // each message once
    await forced.close().catch(() => undefined);
  });

  it('--force resets the state first: an old matching state never cuts the new file mid-message', async () => {
    const out = join(dir, 'forced.mbox');
    const first = await mboxSink(out, 'INBOX', 7, false);
    for (const uid of [1, 2, 3]) await put(first, uid, 'short');
    await first.close();
    const oldSize = statSync(out).size;
    const forced = await mboxSink(out, 'INBOX', 7, true);
    expect(state(out)).toMatchObject({ uids: '', size: 0 });
    await put(forced, 9, 'x'.repeat(oldSize * 3)); // past the old size, then killed
    const again = await mboxSink(out, 'INBOX', 7, false);
    expect([1, 2, 3, 9].map((uid) => again.has(uid))).toEqual([false, false, false, false]);
    expect(statSync(out).size).toBe(0);
    await again.close();
  });
});

describe('mbox: bytes past what the state covers', () => {
  const foreign =
    'From local@example.com Mon Jan  1 00:00:00 2024\nSubject: procmail\n\nonly copy\n';

  async function exported(name: string): Promise<string> {
    const out = join(dir, name);
    const sink = await mboxSink(out, 'INBOX', 7, false);
    for (const uid of [1, 2]) await put(sink, uid, 'ours');
    await sink.close();
    return out;
  }

  it('a complete message another program appended is kept, and new ones go after it', async () => {
    const out = await exported('appended-kept.mbox');
    const before = readFileSync(out, 'utf8');
    appendFileSync(out, foreign + '\n');
    const again = await mboxSink(out, 'INBOX', 7, false);
    expect(readFileSync(out, 'utf8')).toBe(before + foreign + '\n'); // nothing cut
    expect(again.warnings!()).toEqual([expect.stringContaining('another program appended')]);
    await put(again, 3, 'three');
    await again.close();
    expect(state(out)).toMatchObject({ uids: '1:3', size: statSync(out).size });
    const subjects = await Promise.all(
      (await importSources(out, 'mbox')).map(async (s) => {
        const chunks: Buffer[] = [];
        for await (const c of s.open()) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString().split('\r\n')[0];
      }),
    );
    expect(subjects).toEqual(['Subject: 1', 'Subject: 2', 'Subject: procmail', 'Subject: 3']);
    // nothing new: the file stays as it is
    await (await mboxSink(out, 'INBOX', 7, false)).close();
    expect(readFileSync(out, 'utf8')).toContain('only copy');
  });

  it('appended without the empty line after it: one LF is added, so the next From line separates', async () => {
    const out = await exported('appended-nolf.mbox');
    appendFileSync(out, foreign);
    const again = await mboxSink(out, 'INBOX', 7, false);
    await put(again, 3, 'three');
    await again.close();
    expect(readFileSync(out, 'utf8')).toContain('only copy\n\nFrom MAILER-DAEMON');
    expect(await importSources(out, 'mbox')).toHaveLength(4);
  });

  it('bytes that are not complete messages are refused (exit 6), the file unchanged', async () => {
    const out = await exported('appended-torn.mbox');
    for (const extra of [foreign.slice(0, -3), 'Subject: no From line\n\nbody\n']) {
      const before = readFileSync(out, 'utf8');
      appendFileSync(out, extra);
      await expect(mboxSink(out, 'INBOX', 7, false)).rejects.toMatchObject({
        exitCode: 6,
        message: expect.stringContaining('not complete mbox messages'),
      });
      expect(readFileSync(out, 'utf8')).toBe(before + extra);
      writeFileSync(out, before);
    }
  });

  it('a write that fails half-way is cut off at once: the next run finds nothing to keep', async () => {
    const out = await exported('failed-write.mbox');
    const size = statSync(out).size;
    const sink = await mboxSink(out, 'INBOX', 7, false);
    const failing = new Readable({
      read() {
        this.push(Buffer.from('Subject: 3\r\n\r\nhalf'));
        this.destroy(new Error('connection lost'));
      },
    });
    await expect(sink.write(meta(3), failing, () => {})).rejects.toThrow('connection lost');
    await sink.close();
    expect(statSync(out).size).toBe(size);
    expect(state(out)).not.toHaveProperty('writing');
    const again = await mboxSink(out, 'INBOX', 7, false);
    expect(again.warnings!()).toEqual([]);
    await again.close();
  });
});

describe('stale Status headers in an mbox export', () => {
  /** Exports one message that carries old Status headers but no flags now, then reads it back. */
  async function roundTrip(name: string, runs: boolean[]): Promise<string[][]> {
    const out = join(dir, name);
    let uid = 0;
    for (const status of runs) {
      const sink = await mboxSink(out, 'INBOX', 7, false, status);
      const message = `Subject: ${++uid}\r\nStatus: RO\r\nX-Status: F\r\n\r\nbody\r\n`;
      await sink.write(meta(uid, message.length), Readable.from([Buffer.from(message)]), () => {});
      await sink.close();
    }
    return (await importSources(out, 'mbox')).map((s) => s.flags);
  }

  it('are not taken for flags when the state says the file was written without --mbox-status', async () => {
    expect(await roundTrip('plain.mbox', [false, false])).toEqual([[], []]);
    expect(state(join(dir, 'plain.mbox'))).toMatchObject({ mboxStatus: false });
  });

  it('with --mbox-status the headers are read as flags', async () => {
    expect(await roundTrip('status.mbox', [true])).toEqual([[]]); // replaced: no flags now
  });

  it('runs with and without --mbox-status: only the messages written with it give flags', async () => {
    const out = join(dir, 'mixed.mbox');
    const own = 'Status: RO\r\nX-Status: F\r\nX-Keywords: Bogus\r\n';
    for (const [uid, status] of [
      [1, false],
      [2, true],
      [3, false],
      [4, false],
    ] as const) {
      const sink = await mboxSink(out, 'INBOX', 7, false, status);
      const message = `Subject: ${uid}\r\n${own}\r\nbody\r\n`;
      const m = { ...meta(uid, message.length), flags: ['\\Answered'] };
      await sink.write(m, Readable.from([Buffer.from(message)]), () => {});
      await sink.close();
    }
    appendFileSync(out, 'From x Mon Jan  1 00:00:00 2024\nSubject: mutt\nStatus: RO\n\nbody\n\n');
    expect(state(out)).toMatchObject({ mboxStatus: 'mixed' });
    const notes: string[] = [];
    const flags = (await importSources(out, 'mbox', (n) => notes.push(n))).map((s) => s.flags);
    expect(flags).toEqual([[], ['\\Answered'], [], [], ['\\Seen']]);
    expect(notes).toEqual([]);
  });

  it('an older "mixed" state without the ranges: no Status line taken for flags, and a note says so', async () => {
    const out = join(dir, 'old-mixed.mbox');
    const text =
      'From a Mon Jan  1 00:00:00 2024\nSubject: 1\nStatus: RO\n\nbody\n\n' +
      'From b Mon Jan  1 00:00:00 2024\nSubject: 2\nX-Status: F\n\nbody\n\n';
    writeFileSync(out, text);
    const old = {
      format: 'mbox',
      mailbox: 'INBOX',
      uidValidity: 7,
      uids: '1:2',
      size: text.length,
    };
    writeFileSync(mboxStatePath(out), JSON.stringify({ ...old, mboxStatus: 'mixed' }));
    const notes: string[] = [];
    const flags = (await importSources(out, 'mbox', (n) => notes.push(n))).map((s) => s.flags);
    expect(flags).toEqual([[], []]);
    expect(notes).toEqual([expect.stringContaining('does not say which messages were exported')]);
    writeFileSync(mboxStatePath(out), JSON.stringify({ ...old, mboxStatus: true }));
    expect((await importSources(out, 'mbox')).map((s) => s.flags)).toEqual([
      ['\\Seen'],
      ['\\Flagged'],
    ]);
  });

  it('messages appended to the file by another program keep their headers as flags', async () => {
    const out = join(dir, 'appended.mbox');
    await roundTrip('appended.mbox', [false]);
    appendFileSync(out, 'From x Mon Jan  1 00:00:00 2024\nSubject: mutt\nStatus: RO\n\nbody\n');
    expect((await importSources(out, 'mbox')).map((s) => s.flags)).toEqual([[], ['\\Seen']]);
  });
});

describe('Maildir and eml sinks', () => {
  it('each message file is fsynced before it is renamed into place', async () => {
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const md = join(dir, 'md');
    const eml = join(dir, 'eml');
    const done = (): string =>
      `${readdirSync(join(md, 'cur')).length}/${readdirSync(eml).filter((n) => n.endsWith('.eml')).length}`;
    const mdOut = await maildirSink(md, 'INBOX', 7);
    const emlOut = await emlSink(eml, 'INBOX', 7);
    const original = proto.sync;
    const synced: string[] = [];
    const spy = vi.spyOn(proto, 'sync').mockImplementation(function (this: FileHandle) {
      synced.push(done()); // the files renamed into place so far
      return original.call(this);
    });
    try {
      for (const uid of [1, 2]) {
        await put(mdOut, uid, 'maildir');
        await put(emlOut, uid, 'eml');
      }
      await mdOut.close();
      await emlOut.close();
    } finally {
      spy.mockRestore();
    }
    expect(synced).toEqual(['0/0', '1/0', '1/1', '2/1']);
    expect(done()).toBe('2/2');
  });
});

describe('the mailbox mark of a Maildir or eml export directory', () => {
  for (const [format, sinkOf] of [
    ['maildir', maildirSink],
    ['eml', emlSink],
  ] as const) {
    it(`${format}: another mailbox with the same UIDVALIDITY is refused, unless force`, async () => {
      const out = join(dir, `mark-${format}`);
      const a = await sinkOf(out, 'A', 7);
      await put(a, 1, 'from A');
      await a.close();
      expect(JSON.parse(readFileSync(join(out, EXPORT_MARK), 'utf8'))).toEqual({ mailbox: 'A' });
      await expect(sinkOf(out, 'B', 7)).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(/holds an export of mailbox "A", not "B"/),
      });
      expect((await sinkOf(out, 'A', 7)).has(1)).toBe(true); // the same mailbox goes on
      const forced = await sinkOf(out, 'B', 7, true);
      expect(JSON.parse(readFileSync(join(out, EXPORT_MARK), 'utf8'))).toEqual({ mailbox: 'B' });
      await forced.close();
    });
  }

  it('a directory without a mark (an older export) is taken and marked', async () => {
    const out = join(dir, 'unmarked');
    mkdirSync(out);
    writeFileSync(join(out, '7-1.eml'), 'Subject: old\r\n\r\nx\r\n');
    const sink = await emlSink(out, 'A', 7);
    expect(sink.has(1)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, EXPORT_MARK), 'utf8'))).toEqual({ mailbox: 'A' });
  });
});

describe('modes of what an export creates', () => {
  const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

  it('files 0600, directories 0700 (mbox, state, Maildir, keywords, eml, mark)', async () => {
    const root = join(dir, 'modes');
    const mbox = join(root, 'sub', 'box.mbox');
    const m = await mboxSink(mbox, 'INBOX', 7, false);
    await put(m, 1, 'x');
    await m.close();
    expect([mode(join(root, 'sub')), mode(mbox), mode(mboxStatePath(mbox))]).toEqual([
      '700',
      '600',
      '600',
    ]);
    const md = join(root, 'maildir');
    const mdOut = await maildirSink(md, 'INBOX', 7);
    await mdOut.write(
      { ...meta(1), flags: ['Work'] },
      Readable.from([Buffer.from('Subject: 1\r\n\r\nx\r\n')]),
      () => {},
    );
    await mdOut.close();
    const [file] = readdirSync(join(md, 'cur'));
    expect([md, join(md, 'cur'), join(md, 'new'), join(md, 'tmp')].map(mode)).toEqual([
      '700',
      '700',
      '700',
      '700',
    ]);
    expect(
      [join(md, 'cur', file!), join(md, 'dovecot-keywords'), join(md, EXPORT_MARK)].map(mode),
    ).toEqual(['600', '600', '600']);
    const eml = join(root, 'eml', 'deeper');
    const emlOut = await emlSink(eml, 'INBOX', 7);
    await put(emlOut, 1, 'x');
    await emlOut.close();
    expect(
      [join(root, 'eml'), eml, join(eml, '7-1.eml'), join(eml, EXPORT_MARK)].map(mode),
    ).toEqual(['700', '700', '600', '600']);
  });

  it('an mbox that --force starts over becomes 0600 too; the INTERNALDATE is the file time', async () => {
    const mbox = join(dir, 'forced-mode.mbox');
    writeFileSync(mbox, 'old\n', { mode: 0o644 });
    const m = await mboxSink(mbox, 'INBOX', 7, true);
    await put(m, 1, 'x');
    await m.close();
    expect(mode(mbox)).toBe('600');
    const eml = join(dir, 'eml-time');
    const out = await emlSink(eml, 'INBOX', 7);
    await put(out, 3, 'x');
    await out.close();
    expect(statSync(join(eml, '7-3.eml')).mtime.toISOString()).toBe(
      meta(3).internalDate.toISOString(),
    );
  });

  it('two exports of different mailboxes claiming one new directory at once: one wins, the other is refused', async () => {
    const out = join(dir, 'claim-race');
    mkdirSync(out);
    const results = await Promise.allSettled([
      claimExportDir(out, 'A', false),
      claimExportDir(out, 'B', false),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = results[0]!.status === 'fulfilled' ? 'A' : 'B';
    expect(JSON.parse(readFileSync(join(out, EXPORT_MARK), 'utf8'))).toEqual({ mailbox: winner });
    expect(readdirSync(out)).toEqual([EXPORT_MARK]); // no temporary file left
  });
});
