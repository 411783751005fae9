/**
 * Where `imapkit import` finds messages: an mbox file, a Maildir, or .eml
 * files, each message with its size as IMAP will receive it (CRLF line
 * ends), its flags and date, and a way to stream its bytes.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { listEml } from './formats/eml.js';
import { crlfSize, toCrlf } from './formats/lines.js';
import { isMaildir, listMaildir } from './formats/maildir.js';
import { mboxMessageStream, scanMbox } from './formats/mbox.js';
import { mboxStatusInfo, withinRanges } from './sinks/mbox.js';

/** The import formats. */
export type ImportFormat = 'mbox' | 'maildir' | 'eml';

/** One message to import. */
export interface ImportSource {
  /** Its bytes on disk (for progress). */
  diskSize: number;
  /** INTERNALDATE to set, null for the server's time. */
  date: Date | null;
  flags: string[];
  /** The exact size of {@link open}'s bytes (the literal's size). */
  size(): Promise<number>;
  /** The bytes with CRLF line ends. */
  open(): Readable;
}

/**
 * Guesses the format of `path`: a Maildir, a directory of .eml files, an
 * mbox or one .eml file. A file is an mbox when it starts with `From `, is
 * named `*.mbox` or is empty (an export of an empty mailbox; never one
 * empty message).
 */
export async function detectFormat(path: string): Promise<ImportFormat> {
  const st = await stat(path);
  if (st.isDirectory()) return (await isMaildir(path)) ? 'maildir' : 'eml';
  if (/\.eml$/i.test(path)) return 'eml';
  if (/\.mbox$/i.test(path) || st.size === 0) return 'mbox';
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await file.read(head, 0, 5, 0);
    return bytesRead === 5 && head.toString('latin1') === 'From ' ? 'mbox' : 'eml';
  } finally {
    await file.close();
  }
}

/** A message file normalised to CRLF line ends. */
function fileSource(
  path: string,
  diskSize: number,
  date: Date | null,
  flags: string[],
): ImportSource {
  return {
    diskSize,
    date,
    flags,
    size: () => crlfSize(createReadStream(path) as AsyncIterable<Buffer>),
    open: () => pipeline(createReadStream(path), toCrlf(), () => undefined),
  };
}

/**
 * `sources` (one per file of `entries`) without the empty files: no
 * message, and a server refuses an empty APPEND (failing the whole
 * MULTIAPPEND batch); `warn` names each one skipped.
 */
function nonEmpty(
  sources: ImportSource[],
  entries: ReadonlyArray<{ path: string }>,
  warn: (message: string) => void,
): ImportSource[] {
  return sources.filter((source, i) => {
    if (source.diskSize > 0) return true;
    warn(`skipped ${entries[i]!.path}: an empty file, no message`);
    return false;
  });
}

/**
 * The messages found at `path`; `warn` is told what the user should know
 * (flags not taken from an older export's mbox, files skipped).
 */
export async function importSources(
  path: string,
  format: ImportFormat,
  warn: (message: string) => void = () => undefined,
): Promise<ImportSource[]> {
  switch (format) {
    case 'mbox': {
      const out: ImportSource[] = [];
      // Status headers in what an export without --mbox-status wrote are stale: not flags.
      const { withoutStatus, note } = await mboxStatusInfo(path);
      if (note !== undefined) warn(note);
      for await (const entry of scanMbox(path)) {
        const stale = withinRanges(withoutStatus, entry.start, entry.end);
        out.push({
          diskSize: entry.end - entry.start,
          date: entry.date,
          flags: stale ? [] : entry.flags,
          size: () => Promise.resolve(entry.size),
          open: () => mboxMessageStream(path, entry),
        });
      }
      return out;
    }
    case 'maildir': {
      const entries = await listMaildir(path);
      return nonEmpty(
        await Promise.all(
          entries.map(async (e) => fileSource(e.path, (await stat(e.path)).size, e.date, e.flags)),
        ),
        entries,
        warn,
      );
    }
    case 'eml': {
      const st = await stat(path);
      const entries = st.isDirectory() ? await listEml(path) : [{ path, date: st.mtime }];
      return nonEmpty(
        await Promise.all(
          entries.map(async (e) => fileSource(e.path, (await stat(e.path)).size, e.date, [])),
        ),
        entries,
        warn,
      );
    }
  }
}
