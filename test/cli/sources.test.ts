/** How `imapkit import` guesses the format of its source (no server needed). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listEml } from '../../src/cli/formats/eml.js';
import { detectFormat, importSources } from '../../src/cli/sources.js';

const dir = mkdtempSync(join(tmpdir(), 'imapkit-sources-'));

describe('empty message files', () => {
  it('are skipped with a warning naming each (an empty APPEND fails its whole batch)', async () => {
    const emls = join(dir, 'with-empty');
    mkdirSync(join(emls, 'sub'), { recursive: true });
    writeFileSync(join(emls, '1.eml'), 'Subject: one\n\nbody\n');
    writeFileSync(join(emls, '2.eml'), '');
    writeFileSync(join(emls, 'sub', '3.eml'), '');
    const notes: string[] = [];
    const sources = await importSources(emls, 'eml', (n) => notes.push(n));
    expect(sources.map((s) => s.diskSize)).toEqual([19]);
    expect(notes).toEqual([
      `skipped ${join(emls, '2.eml')}: an empty file, no message`,
      `skipped ${join(emls, 'sub', '3.eml')}: an empty file, no message`,
    ]);
    notes.length = 0;
    expect(await importSources(join(emls, '2.eml'), 'eml', (n) => notes.push(n))).toEqual([]);
    expect(notes).toHaveLength(1);
    const maildir = join(dir, 'maildir-with-empty');
    mkdirSync(join(maildir, 'cur'), { recursive: true });
    writeFileSync(join(maildir, 'cur', '1600000000.A.host:2,S'), 'Subject: s\n\nbody\n');
    writeFileSync(join(maildir, 'cur', '1600000001.B.host:2,'), '');
    notes.length = 0;
    expect(await importSources(maildir, 'maildir', (n) => notes.push(n))).toHaveLength(1);
    expect(notes).toEqual([expect.stringContaining('1600000001.B.host:2,: an empty file')]);
  });
});

describe('detectFormat', () => {
  it('an empty file is an (empty) mbox, not one empty message', async () => {
    const path = join(dir, 'empty');
    writeFileSync(path, '');
    expect(await detectFormat(path)).toBe('mbox');
    expect(await importSources(path, 'mbox')).toEqual([]);
  });

  it('a *.mbox file is an mbox even when it does not start with "From " (then refused)', async () => {
    const path = join(dir, 'broken.mbox');
    writeFileSync(path, 'Subject: not an mbox\n\nbody\n');
    expect(await detectFormat(path)).toBe('mbox');
    await expect(importSources(path, 'mbox')).rejects.toThrow(/not an mbox file/);
  });

  it('other files: "From " at the start is an mbox, else one message', async () => {
    writeFileSync(join(dir, 'a'), 'From x Mon Jan  1 08:01:37 2024\nSubject: s\n\nb\n');
    writeFileSync(join(dir, 'b'), 'Subject: s\n\nb\n');
    writeFileSync(join(dir, 'c.eml'), '');
    expect(await detectFormat(join(dir, 'a'))).toBe('mbox');
    expect(await detectFormat(join(dir, 'b'))).toBe('eml');
    expect(await detectFormat(join(dir, 'c.eml'))).toBe('eml');
    mkdirSync(join(dir, 'emls'));
    expect(await detectFormat(join(dir, 'emls'))).toBe('eml');
  });

  it('a directory with cur/ alone (no new/, no tmp/) is a Maildir, its messages imported', async () => {
    const maildir = join(dir, 'cur-only');
    mkdirSync(join(maildir, 'cur'), { recursive: true });
    writeFileSync(join(maildir, 'cur', '1600000000.A.host:2,S'), 'Subject: s\n\nbody\n');
    expect(await detectFormat(maildir)).toBe('maildir');
    const sources = await importSources(maildir, 'maildir');
    expect(sources.map((m) => m.flags)).toEqual([['\\Seen']]);
    expect(await sources[0]!.size()).toBe('Subject: s\r\n\r\nbody\r\n'.length);
  });

  it('a directory of .eml files: dotfiles and dot directories are skipped (AppleDouble ._x.eml)', async () => {
    const emls = join(dir, 'with-dotfiles');
    mkdirSync(join(emls, 'sub'), { recursive: true });
    mkdirSync(join(emls, '.hidden'), { recursive: true });
    writeFileSync(join(emls, 'a.eml'), 'Subject: a\n\na\n');
    writeFileSync(join(emls, 'sub', 'b.eml'), 'Subject: b\n\nb\n');
    writeFileSync(join(emls, '._a.eml'), Buffer.from([0, 5, 22, 7, 0, 2]));
    writeFileSync(join(emls, '.a.eml.part'), 'Subject: half');
    writeFileSync(join(emls, '.hidden', 'c.eml'), 'Subject: c\n\nc\n');
    expect((await listEml(emls)).map((e) => relative(emls, e.path))).toEqual([
      'a.eml',
      join('sub', 'b.eml'),
    ]);
  });
});
