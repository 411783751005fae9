/**
 * The mbox export sink: messages appended to one mboxrd file, with a state
 * file making a later run incremental and an interrupted one resumable.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { writeStreamTo } from '../formats/file-writer.js';
import { fromLine, mboxrdEscape, statusHeaders } from '../formats/mbox.js';
import { PRIVATE_DIR, PRIVATE_FILE } from './modes.js';
import type { ExportSink } from './sink.js';
import { UidRanges } from './uid-ranges.js';

/** How far an mbox export got (the state file's JSON). */
interface MboxState {
  format: 'mbox';
  mailbox: string;
  uidValidity: number;
  /**
   * Every UID written completely, as a UID set (`1:10,15`); not just the
   * highest, so a later run with other criteria adds what was left out.
   */
  uids: string;
  /** The file's size after those messages. */
  size: number;
  /**
   * Whether the messages carry their flags as `Status:` headers written by
   * the export (`--mbox-status`): true, false, or 'mixed' (runs of both);
   * absent in a state written before it was recorded (unknown).
   */
  mboxStatus?: boolean | 'mixed';
}

/** A state file written before `uids` existed: `lastUid`, everything up to it written. */
interface LegacyMboxState extends Omit<MboxState, 'uids'> {
  uids?: string;
  lastUid?: number;
}

/**
 * How many bytes at the start of the mbox file `path` an imapkit export
 * wrote without `--mbox-status` (per its state file), so `Status:`,
 * `X-Status:` and `X-Keywords:` headers there are the messages' own, stale,
 * not their flags; 0 when unknown (no state, an older state, a file shorter
 * than the state says, or runs with `--mbox-status`).
 */
export async function mboxBytesWithoutStatus(path: string): Promise<number> {
  const found = await readMboxState(path);
  if (found?.state.mboxStatus !== false) return 0;
  const size = await stat(path).then(
    (st) => st.size,
    () => 0,
  );
  return size >= found.state.size ? found.state.size : 0;
}

/** The state file next to an mbox export (how far it got). */
export function mboxStatePath(out: string): string {
  return `${out}.imapkit-state.json`;
}

async function readMboxState(out: string): Promise<{ state: MboxState; uids: UidRanges } | null> {
  try {
    const s = JSON.parse(await readFile(mboxStatePath(out), 'utf8')) as LegacyMboxState;
    if (s.format !== 'mbox' || !Number.isInteger(s.size)) return null;
    let uids: UidRanges;
    if (typeof s.uids === 'string') uids = UidRanges.parse(s.uids);
    else if (Number.isInteger(s.lastUid) && s.lastUid! >= 0 && s.lastUid! <= 0xffffffff) {
      uids = new UidRanges();
      if (s.lastUid! > 0) uids.addRange(1, s.lastUid!);
    } else return null;
    const { mailbox, uidValidity, size, mboxStatus } = s;
    const state: MboxState = { format: 'mbox', mailbox, uidValidity, uids: uids.toString(), size };
    if (mboxStatus === true || mboxStatus === false || mboxStatus === 'mixed') {
      state.mboxStatus = mboxStatus;
    }
    return { state, uids };
  } catch {
    return null;
  }
}

/**
 * Replaces the state file atomically: written to a temporary file, synced,
 * renamed over it, and the directory synced, so a hard stop or a power
 * loss leaves the old state or the new one.
 */
async function writeMboxState(out: string, state: MboxState): Promise<void> {
  const path = mboxStatePath(out);
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w', PRIVATE_FILE);
  try {
    await file.writeFile(JSON.stringify(state) + '\n');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync(); // the rename itself survives a power loss
  } finally {
    await dir.close();
  }
}

/**
 * An mboxrd file, appended to; `PATH.imapkit-state.json` records the UIDs
 * written completely and the file size then, so a later run resumes and
 * adds only messages not in the file yet (whatever the criteria were).
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
  let state: MboxState = {
    format: 'mbox',
    mailbox,
    uidValidity,
    uids: '',
    size: 0,
    mboxStatus: status,
  };
  let written = new UidRanges();
  if (existsSync(out) && !force) {
    const found = await readMboxState(out);
    const previous = found?.state ?? null;
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
    written = found!.uids;
  } else {
    // The state first: a hard stop before the file is emptied leaves a
    // state saying "nothing written yet", never an older one that matches.
    await mkdir(dirname(out), { recursive: true, mode: PRIVATE_DIR });
    await writeMboxState(out, state);
    await writeFile(out, '', { mode: PRIVATE_FILE });
    await chmod(out, PRIVATE_FILE); // an existing file started over (--force) keeps its mode otherwise
  }
  const file = await open(out, 'a');
  let sinceSave = 0;
  const save = async (): Promise<void> => {
    await file.datasync();
    state = { ...state, uids: written.toString() };
    await writeMboxState(out, state);
    sinceSave = 0;
  };
  return {
    has: (uid) => written.has(uid),
    refresh: async () => undefined,
    async write(meta, content, onBytes) {
      // Whether the file's messages carry Status: headers of the export (import reads it).
      if (state.size === 0) state = { ...state, mboxStatus: status };
      else if (state.mboxStatus !== undefined && state.mboxStatus !== status) {
        state = { ...state, mboxStatus: 'mixed' };
      }
      const head = Buffer.from(fromLine(meta.sender, meta.internalDate), 'ascii');
      await file.write(head);
      const escaper = mboxrdEscape(status ? statusHeaders(meta.flags) : null);
      let n = head.length + (await writeStreamTo(file, content, escaper, onBytes));
      const tail = Buffer.from(escaper.endsWithLf() ? '\n' : '\n\n');
      await file.write(tail);
      n += tail.length;
      written.add(meta.uid);
      state = { ...state, size: state.size + n };
      if (++sinceSave >= 100) await save();
    },
    async close() {
      try {
        await save();
      } finally {
        await file.close();
      }
    },
  };
}
