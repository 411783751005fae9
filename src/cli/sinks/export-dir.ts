/**
 * The mark a Maildir or eml export leaves in its directory: which mailbox
 * it holds. Files there are known by UIDVALIDITY and UID only, and two
 * mailboxes may share a UIDVALIDITY (some servers use a constant), so a
 * second mailbox exported into the same directory would have its messages
 * taken for already exported.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { PRIVATE_FILE } from './modes.js';

/** The mark's file name, in the export directory. */
export const EXPORT_MARK = '.imapkit-export.json';

/** The mailbox a mark names; null when there is no mark or it is unreadable. */
async function readMark(path: string): Promise<string | null> {
  try {
    const mark = JSON.parse(await readFile(path, 'utf8')) as { mailbox?: unknown };
    return typeof mark.mailbox === 'string' ? mark.mailbox : null;
  } catch {
    return null; // no mark (a new directory, or an export by an older version)
  }
}

/**
 * Checks that directory `out` holds an export of `mailbox` (or nothing
 * marked yet) and marks it so. Another mailbox's mark is refused (exit 2)
 * unless `force`, which replaces it. A new mark is created exclusively, so
 * of two exports claiming one directory at once the second sees the first's.
 */
export async function claimExportDir(out: string, mailbox: string, force: boolean): Promise<void> {
  const path = join(out, EXPORT_MARK);
  const content = JSON.stringify({ mailbox }) + '\n';
  let previous = await readMark(path);
  if (previous === null) {
    try {
      await writeSynced(path, content, 'wx');
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      previous = await readMark(path); // claimed meanwhile (or an unreadable mark: replaced below)
    }
  }
  if (previous === mailbox) return;
  if (previous !== null && !force) {
    throw new CliError(
      `${out} holds an export of mailbox ${JSON.stringify(previous)}, not ${JSON.stringify(mailbox)}; ` +
        'use another directory (or --force to mix them)',
      EXIT.USAGE,
    );
  }
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeSynced(tmp, content, 'wx');
  await rename(tmp, path);
}

/** Writes `content` to a new file at `path` (flags `wx`: it must not exist) and syncs it. */
async function writeSynced(path: string, content: string, flags: 'wx'): Promise<void> {
  const file = await open(path, flags, PRIVATE_FILE);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
}
