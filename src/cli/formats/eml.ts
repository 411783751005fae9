/**
 * .eml: one file per message, the message's bytes exactly as the server
 * sent them (CRLF), named `<uidvalidity>-<uid>.eml`, with the INTERNALDATE
 * as the file's mtime.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The file name of an exported message. */
export function emlFileName(uidValidity: number, uid: number): string {
  return `${uidValidity}-${uid}.eml`;
}

const EXPORTED = /^(\d+)-(\d+)\.eml$/;

/** The UID of a file exported from mailbox `uidValidity`, or null. */
export function exportedUid(name: string, uidValidity: number): number | null {
  const m = EXPORTED.exec(name);
  return m !== null && Number(m[1]) === uidValidity ? Number(m[2]) : null;
}

/** One .eml file to import. */
export interface EmlEntry {
  path: string;
  /** The file's mtime (the INTERNALDATE of an exported message). */
  date: Date;
}

/**
 * The `.eml` files under `dir` (recursively), in natural name order. Names
 * starting with `.` are skipped, files and directories: macOS's `._x.eml`
 * (AppleDouble metadata), partial files, hidden directories.
 */
export async function listEml(dir: string): Promise<EmlEntry[]> {
  const out: EmlEntry[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(d, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && /\.eml$/i.test(e.name))
        out.push({ path, date: (await stat(path)).mtime });
    }
  };
  await walk(dir);
  const collator = new Intl.Collator('en', { numeric: true });
  return out.sort((a, b) => collator.compare(a.path, b.path));
}
