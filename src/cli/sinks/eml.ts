/** The .eml export sink. */
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { emlFileName, exportedUid } from '../formats/eml.js';
import { writeStreamTo } from '../formats/file-writer.js';
import { claimExportDir } from './export-dir.js';
import { PRIVATE_DIR, PRIVATE_FILE } from './modes.js';
import type { ExportSink } from './sink.js';

/**
 * A directory of `<uidvalidity>-<uid>.eml` files, each written as
 * `.name.part` and renamed; files already there are skipped. The
 * directory is marked as holding `mailbox` ({@link claimExportDir}).
 */
export async function emlSink(
  out: string,
  mailbox: string,
  uidValidity: number,
  force = false,
): Promise<ExportSink> {
  await mkdir(out, { recursive: true, mode: PRIVATE_DIR });
  await claimExportDir(out, mailbox, force);
  const existing = new Set<number>();
  for (const name of await readdir(out)) {
    const uid = exportedUid(name, uidValidity);
    if (uid !== null) existing.add(uid);
  }
  return {
    has: (uid) => existing.has(uid),
    refresh: async () => undefined,
    async write(meta, content, onBytes) {
      const name = emlFileName(uidValidity, meta.uid);
      const partial = join(out, `.${name}.part`);
      const file = await open(partial, 'w', PRIVATE_FILE);
      try {
        await writeStreamTo(file, content, null, onBytes);
        // The date import reads as INTERNALDATE, then both on disk before the
        // rename says the file is done.
        await file.utimes(meta.internalDate, meta.internalDate);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(partial, join(out, name));
      existing.add(meta.uid);
    },
    close: async () => undefined,
  };
}
