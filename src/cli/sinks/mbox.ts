/**
 * The mbox export sink: messages appended to one mboxrd file, with a state
 * file making a later run incremental and an interrupted one resumable.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { writeStreamTo } from '../formats/file-writer.js';
import { fromLine, mboxrdEscape, statusHeaders } from '../formats/mbox.js';
import type { ExportSink } from './sink.js';

/** How far an mbox export got. */
interface MboxState {
  format: 'mbox';
  mailbox: string;
  uidValidity: number;
  /** The highest UID written completely. */
  lastUid: number;
  /** The file's size after that message. */
  size: number;
}

/** The state file next to an mbox export (how far it got). */
export function mboxStatePath(out: string): string {
  return `${out}.imapkit-state.json`;
}

async function readMboxState(out: string): Promise<MboxState | null> {
  try {
    const s = JSON.parse(await readFile(mboxStatePath(out), 'utf8')) as MboxState;
    return s.format === 'mbox' && Number.isInteger(s.lastUid) && Number.isInteger(s.size)
      ? s
      : null;
  } catch {
    return null;
  }
}

/**
 * An mboxrd file, appended to; `PATH.imapkit-state.json` records the last
 * UID written completely and the file size then, so a later run resumes.
 * With `status`, each message's flags go into its header section
 * ({@link statusHeaders}).
 */
export async function mboxSink(
  out: string,
  mailbox: string,
  uidValidity: number,
  force: boolean,
  status = false,
): Promise<ExportSink> {
  let state: MboxState = { format: 'mbox', mailbox, uidValidity, lastUid: 0, size: 0 };
  if (existsSync(out) && !force) {
    const previous = await readMboxState(out);
    const size = (await stat(out)).size;
    if (previous === null || previous.mailbox !== mailbox || previous.uidValidity !== uidValidity) {
      throw new CliError(
        `${out} exists and is not an earlier export of this mailbox (UIDVALIDITY ${uidValidity}); ` +
          'use --force to overwrite it',
        EXIT.USAGE,
      );
    }
    if (size < previous.size) {
      throw new CliError(
        `${out} is shorter than its state file says; use --force to start over`,
        EXIT.LOCAL_IO,
      );
    }
    if (size > previous.size) await truncate(out, previous.size); // drop a half-written message
    state = previous;
  } else {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, '');
  }
  const file = await open(out, 'a');
  let sinceSave = 0;
  const save = async (): Promise<void> => {
    await file.datasync();
    await writeFile(mboxStatePath(out), JSON.stringify(state) + '\n');
    sinceSave = 0;
  };
  return {
    has: (uid) => uid <= state.lastUid,
    refresh: async () => undefined,
    async write(meta, content, onBytes) {
      const head = Buffer.from(fromLine(meta.sender, meta.internalDate), 'ascii');
      await file.write(head);
      const escaper = mboxrdEscape(status ? statusHeaders(meta.flags) : null);
      let n = head.length + (await writeStreamTo(file, content, escaper, onBytes));
      const tail = Buffer.from(escaper.endsWithLf() ? '\n' : '\n\n');
      await file.write(tail);
      n += tail.length;
      state = { ...state, lastUid: meta.uid, size: state.size + n };
      if (++sinceSave >= 100) await save();
    },
    async close() {
      await save();
      await file.close();
    },
  };
}
