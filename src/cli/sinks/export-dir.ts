/**
 * The mark a Maildir or eml export leaves in its directory: which mailbox
 * it holds. Files there are known by UIDVALIDITY and UID only, and two
 * mailboxes may share a UIDVALIDITY (some servers use a constant), so a
 * second mailbox exported into the same directory would have its messages
 * taken for already exported.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { PRIVATE_FILE } from './modes.js';

/** The mark's file name, in the export directory. */
export const EXPORT_MARK = '.imapkit-export.json';

/**
 * Checks that directory `out` holds an export of `mailbox` (or nothing
 * marked yet) and marks it so. Another mailbox's mark is refused (exit 2)
 * unless `force`, which replaces it.
 */
export async function claimExportDir(out: string, mailbox: string, force: boolean): Promise<void> {
  const path = join(out, EXPORT_MARK);
  let previous: string | null = null;
  try {
    const mark = JSON.parse(await readFile(path, 'utf8')) as { mailbox?: unknown };
    previous = typeof mark.mailbox === 'string' ? mark.mailbox : null;
  } catch {
    previous = null; // no mark (a new directory, or an export by an older version)
  }
  if (previous === mailbox) return;
  if (previous !== null && !force) {
    throw new CliError(
      `${out} holds an export of mailbox ${JSON.stringify(previous)}, not ${JSON.stringify(mailbox)}; ` +
        'use another directory (or --force to mix them)',
      EXIT.USAGE,
    );
  }
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w', PRIVATE_FILE);
  try {
    await file.writeFile(JSON.stringify({ mailbox }) + '\n');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}
