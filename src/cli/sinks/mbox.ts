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

/** A byte range `[start, end)` of an mbox file. */
export type ByteRange = [number, number];

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
  /** The file's size after those messages (and after any another program appended before a run). */
  size: number;
  /**
   * Whether the messages carry their flags as `Status:` headers written by
   * the export (`--mbox-status`): true, false, or 'mixed' (runs of both);
   * absent in a state written before it was recorded (unknown). Kept for
   * older versions; {@link withoutStatus} says which messages.
   */
  mboxStatus?: boolean | 'mixed';
  /**
   * The byte ranges of the messages the export wrote without
   * `--mbox-status` (their `Status:` lines are the messages' own, stale);
   * absent in a state written before it was recorded.
   */
  withoutStatus?: ByteRange[];
  /**
   * {@link withoutStatus} was not recorded but guessed from an older
   * 'mixed' state: the whole file then, to be safe.
   */
  withoutStatusGuessed?: true;
  /**
   * A run was appending messages past `size` when this was saved: bytes
   * found past `size` are that run's, unrecorded (a hard stop), to cut off.
   * Without it, such bytes were appended by another program and are kept.
   */
  writing?: true;
}

/** A state file written before `uids` existed: `lastUid`, everything up to it written. */
interface LegacyMboxState extends Omit<MboxState, 'uids'> {
  uids?: string;
  lastUid?: number;
}

/** What an mbox file's state says of its `Status:` lines (for `imapkit import`). */
export interface MboxStatusInfo {
  /**
   * The byte ranges of messages an imapkit export wrote without
   * `--mbox-status`: their `Status:`, `X-Status:` and `X-Keywords:`
   * headers are the messages' own, stale, not their flags.
   */
  withoutStatus: ByteRange[];
  /** Set when the ranges are a guess (an older state): what to tell the user. */
  note?: string;
}

/**
 * Where the mbox file `path` (per its state file) holds messages an imapkit
 * export wrote without `--mbox-status`; none when unknown (no state, a
 * state older than `mboxStatus`, a file shorter than the state says).
 */
export async function mboxStatusInfo(path: string): Promise<MboxStatusInfo> {
  const found = await readMboxState(path);
  const size = await stat(path).then(
    (st) => st.size,
    () => 0,
  );
  if (found === null || size < found.state.size) return { withoutStatus: [] };
  const { withoutStatus = [], withoutStatusGuessed } = found.state;
  if (withoutStatusGuessed !== true || withoutStatus.length === 0) return { withoutStatus };
  return {
    withoutStatus,
    note:
      `${path}: its state file (from an older imapkit) does not say which messages were ` +
      'exported with --mbox-status; their Status:, X-Status: and X-Keywords: lines are not ' +
      `taken for flags (the first ${withoutStatus[withoutStatus.length - 1]![1]} bytes)`,
  };
}

/** Whether `[start, end)` lies within one of `ranges`. */
export function withinRanges(ranges: readonly ByteRange[], start: number, end: number): boolean {
  return ranges.some(([from, to]) => from <= start && end <= to);
}

/** `ranges` valid (sorted, non-overlapping byte ranges within `size`), else null. */
function validRanges(ranges: unknown, size: number): ByteRange[] | null {
  if (!Array.isArray(ranges)) return null;
  let last = 0;
  for (const r of ranges as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !r.every((n) => Number.isInteger(n))) return null;
    const [from, to] = r as [number, number];
    if (from < last || to < from || to > size) return null;
    last = to;
  }
  return ranges as ByteRange[];
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
    const ranges = validRanges(s.withoutStatus, size);
    if (ranges !== null) {
      state.withoutStatus = ranges;
      if (s.withoutStatusGuessed === true) state.withoutStatusGuessed = true;
    } else if (mboxStatus === false || mboxStatus === 'mixed') {
      // An older state: all of it without, or (mixed) not known which: none taken for flags.
      state.withoutStatus = size > 0 ? [[0, size]] : [];
      if (mboxStatus === 'mixed') state.withoutStatusGuessed = true;
    } else if (mboxStatus === true) state.withoutStatus = [];
    if (s.writing === true) state.writing = true;
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
 * What follows the last export in `out` (bytes `from` to `to`), when the
 * state says no run of ours was writing there: messages another program
 * appended (procmail, mutt, `cat >>`), kept. Returns the file's size once
 * they end with an empty line (one LF added when their last line has none
 * after it, so a `From ` line after them starts a message). Throws, the
 * file unchanged, unless they start with a `From ` line and end with a line
 * end: then they are not complete messages (another program still writing?).
 */
async function keepAppended(out: string, from: number, to: number): Promise<number> {
  const file = await open(out, 'r+');
  try {
    const head = Buffer.alloc(5);
    await file.read(head, 0, 5, from);
    const tail = Buffer.alloc(Math.min(3, to - from));
    await file.read(tail, 0, tail.length, to - tail.length);
    const text = tail.toString('latin1');
    if (head.toString('latin1') !== 'From ' || !text.endsWith('\n')) {
      throw new CliError(
        `${out} has ${to - from} byte(s) after what the last export wrote that are not complete ` +
          'mbox messages (another program still writing to it?); nothing was changed: ' +
          'move them away and run the export again, or use --force to start the file over',
        EXIT.LOCAL_IO,
      );
    }
    if (text.endsWith('\n\n') || text.endsWith('\n\r\n')) return to;
    await file.write(Buffer.from('\n'), 0, 1, to);
    await file.sync();
    return to + 1;
  } finally {
    await file.close();
  }
}

/**
 * An mboxrd file, appended to; `PATH.imapkit-state.json` records the UIDs
 * written completely and the file size then, so a later run resumes and
 * adds only messages not in the file yet (whatever the criteria were).
 * Bytes past that size are cut off when the state says a run of ours was
 * writing there (a hard stop), else kept: messages another program
 * appended ({@link keepAppended}). With `status`, each message's flags go
 * into its header section ({@link statusHeaders}).
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
    withoutStatus: [],
  };
  let written = new UidRanges();
  const warnings: string[] = [];
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
    state = { ...previous, withoutStatus: previous.withoutStatus ?? [] };
    delete state.writing;
    written = found!.uids;
    if (size > previous.size && previous.writing === true) {
      await truncate(out, previous.size); // what a stopped run of ours wrote after its last save
      await writeMboxState(out, state);
    } else if (size > previous.size) {
      state.size = await keepAppended(out, previous.size, size);
      await writeMboxState(out, state);
      warnings.push(
        `kept ${size - previous.size} byte(s) another program appended to ${out} ` +
          'after the last export; new messages go after them',
      );
    }
  } else {
    // The state first: a hard stop before the file is emptied leaves a
    // state saying "nothing written yet", never an older one that matches,
    // and `writing`, so that the next run cuts the old bytes off rather
    // than keeping them as another program's mail (they would be exported
    // again after them).
    await mkdir(dirname(out), { recursive: true, mode: PRIVATE_DIR });
    await writeMboxState(out, { ...state, writing: true });
    await writeFile(out, '', { mode: PRIVATE_FILE });
    await chmod(out, PRIVATE_FILE); // an existing file started over (--force) keeps its mode otherwise
  }
  const file = await open(out, 'a');
  let sinceSave = 0;
  /** A failed write left bytes past `state.size` that could not be cut off. */
  let torn = false;
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
      if (state.writing !== true) {
        // Recorded before the first byte: what a hard stop leaves past `size` is ours to cut.
        state = { ...state, writing: true };
        await save();
      }
      // Whether the file's messages carry Status: headers of the export (import reads it).
      if (state.size === 0) state = { ...state, mboxStatus: status };
      else if (state.mboxStatus !== undefined && state.mboxStatus !== status) {
        state = { ...state, mboxStatus: 'mixed' };
      }
      const start = state.size;
      let n = 0;
      try {
        const head = Buffer.from(fromLine(meta.sender, meta.internalDate), 'ascii');
        await file.write(head);
        const escaper = mboxrdEscape(status ? statusHeaders(meta.flags) : null);
        n = head.length + (await writeStreamTo(file, content, escaper, onBytes));
        const tail = Buffer.from(escaper.endsWithLf() ? '\n' : '\n\n');
        await file.write(tail);
        n += tail.length;
      } catch (err) {
        // Not a message: cut off now (else the state keeps `writing` for the next run to).
        await file.truncate(start).catch(() => (torn = true));
        throw err;
      }
      written.add(meta.uid);
      let ranges = state.withoutStatus ?? [];
      if (!status) {
        const last = ranges[ranges.length - 1];
        ranges =
          last !== undefined && last[1] === start
            ? [...ranges.slice(0, -1), [last[0], start + n]]
            : [...ranges, [start, start + n]];
      }
      state = { ...state, size: start + n, withoutStatus: ranges };
      if (++sinceSave >= 100) await save();
    },
    async close() {
      try {
        if (!torn) delete state.writing;
        await save();
      } finally {
        await file.close();
      }
    },
    warnings: () => warnings,
  };
}
