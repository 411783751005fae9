/** The Maildir export sink. */
import { existsSync } from 'node:fs';
import { open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeStreamTo } from '../formats/file-writer.js';
import { toLf } from '../formats/lines.js';
import {
  ensureMaildir,
  exportedUid,
  flagsToInfo,
  maildirBaseName,
  readKeywords,
  writeKeywords,
} from '../formats/maildir.js';
import { claimExportDir } from './export-dir.js';
import { PRIVATE_FILE } from './modes.js';
import type { ExportMeta, ExportSink } from './sink.js';

/**
 * A Maildir: messages written to `tmp/` and renamed into `cur/` with their
 * flags; messages already there (same UIDVALIDITY) are skipped, their
 * flags brought up to date. The directory is marked as holding `mailbox`
 * ({@link claimExportDir}).
 */
export async function maildirSink(
  out: string,
  mailbox: string,
  uidValidity: number,
  force = false,
): Promise<ExportSink> {
  ensureMaildir(out);
  await claimExportDir(out, mailbox, force);
  const letters = await readKeywords(out);
  const lettersBefore = letters.size;
  const existing = new Map<number, { dir: string; name: string }>();
  for (const dir of ['cur', 'new']) {
    for (const name of await readdir(join(out, dir))) {
      const uid = exportedUid(name, uidValidity);
      if (uid !== null) existing.set(uid, { dir, name });
    }
  }
  // A Maildir names at most 26 keywords (a-z): the messages whose other
  // keywords could not be written, and those keywords.
  const lostUids = new Set<number>();
  const lostKeywords = new Set<string>();
  const info = (meta: ExportMeta): string => {
    const dropped: string[] = [];
    const text = flagsToInfo(meta.flags, letters, dropped);
    if (dropped.length > 0) lostUids.add(meta.uid);
    for (const k of dropped) lostKeywords.add(k);
    return text;
  };
  return {
    has: (uid) => existing.has(uid),
    async refresh(meta) {
      const file = existing.get(meta.uid);
      if (file === undefined) return;
      const name = maildirBaseName(meta.internalDate, uidValidity, meta.uid) + info(meta);
      if (file.dir === 'cur' && file.name === name) return;
      await rename(join(out, file.dir, file.name), join(out, 'cur', name));
    },
    async write(meta, content, onBytes) {
      const base = maildirBaseName(meta.internalDate, uidValidity, meta.uid);
      const tmp = join(out, 'tmp', base);
      const file = await open(tmp, 'w', PRIVATE_FILE);
      try {
        await writeStreamTo(file, content, toLf(), onBytes);
        // The date import reads as INTERNALDATE, then both on disk before the
        // rename says the file is done.
        await file.utimes(meta.internalDate, meta.internalDate);
        await file.sync();
      } finally {
        await file.close();
      }
      const name = base + info(meta);
      await rename(tmp, join(out, 'cur', name));
      existing.set(meta.uid, { dir: 'cur', name });
    },
    async close() {
      if (
        letters.size !== lettersBefore ||
        (letters.size > 0 && !existsSync(join(out, 'dovecot-keywords')))
      ) {
        await writeKeywords(out, letters);
      }
    },
    warnings() {
      if (lostUids.size === 0) return [];
      const names = [...lostKeywords];
      const shown = names.slice(0, 5).join(' ') + (names.length > 5 ? ' ...' : '');
      return [
        `${lostUids.size} message(s) kept only some of their keywords: a Maildir names at most ` +
          `26 keywords (letters a-z in dovecot-keywords), and these got none: ${shown}`,
      ];
    },
  };
}
