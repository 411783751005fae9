/**
 * `imapkit import <mailbox> PATH`: messages from an mbox file, a Maildir, or
 * .eml files (one file or a directory of them) appended to a mailbox, in
 * batches with MULTIAPPEND when the server has it (LITERAL+ is used by the
 * connection when offered). Each message is streamed from disk as the APPEND
 * literal; Maildir flags and keywords, and the mbox From_ date or the file
 * mtime as INTERNALDATE, are kept.
 */
import { pipeline, Transform } from 'node:stream';
import {
  commands,
  ImapPartialAppendError,
  ImapProtocolError,
  type ImapClient,
} from '../../index.js';
import { boolOpt, stringOpt } from '../args.js';
import type { CommandSpec } from '../command.js';
import { mailboxMessageIds, withoutExisting } from '../dedupe.js';
import { checkInterrupted, CliError, EXIT, UsageError, withNote } from '../errors.js';
import { formatBytes, printable } from '../output.js';
import { createProgress, type Progress } from '../progress.js';
import { detectFormat, importSources, type ImportFormat, type ImportSource } from '../sources.js';

/** Messages per APPEND (MULTIAPPEND makes a batch atomic). */
const BATCH_MESSAGES = 50;
/** Bytes per APPEND batch. */
const BATCH_BYTES = 32 * 1024 * 1024;

/** Creates `mailbox` unless it exists. */
async function ensureMailbox(client: ImapClient, mailbox: string): Promise<boolean> {
  try {
    await client.status(mailbox, ['MESSAGES']);
    return false;
  } catch (err) {
    if (!(err instanceof ImapProtocolError)) throw err;
    await client.mailboxCreate(mailbox);
    return true;
  }
}

/**
 * Appends one batch; returns the new UIDs when the server reported them.
 * Without MULTIAPPEND a failure after some messages were stored throws
 * {@link ImapPartialAppendError} saying how many. The sources' streams are
 * destroyed in the end, also when building the batch fails half-way.
 */
export async function appendBatch(
  client: Pick<ImapClient, 'appendMany'>,
  mailbox: string,
  batch: readonly ImportSource[],
  progress: Pick<Progress, 'addBytes'>,
  onBytes: (n: number) => void,
): Promise<number[] | null> {
  const items: commands.AppendManyItem[] = [];
  try {
    for (const source of batch) {
      const size = await source.size();
      const counted = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          onBytes(chunk.length);
          progress.addBytes(chunk.length);
          cb(null, chunk);
        },
      });
      const stream = pipeline(source.open(), counted, () => undefined);
      items.push({
        message: { stream, size },
        flags: source.flags,
        ...(source.date === null ? {} : { internalDate: source.date }),
      });
    }
    const result = await client.appendMany(mailbox, items);
    return result?.uids ?? null;
  } finally {
    for (const item of items) {
      const m = item.message;
      if (typeof m === 'object' && 'stream' in m && !m.stream.destroyed) m.stream.destroy();
    }
  }
}

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'append mbox, Maildir or .eml messages to a mailbox',
  usage: 'import <mailbox> <PATH> [--format mbox|maildir|eml] [--create] [--skip-existing]',
  description: [
    'Appends the messages found at PATH to a mailbox: an mbox file (mboxrd or mboxo),',
    'a Maildir (cur/, new/ if present; flags from the :2, info, keywords from dovecot-keywords),',
    'a single .eml file, or a directory of .eml files (recursively). The format is',
    'guessed unless --format is given. INTERNALDATE comes from the mbox From_ line or',
    "the file's mtime (as 'imapkit export' writes them), unless --server-date. Line ends",
    'become CRLF.',
    '',
    'Messages go in batches of up to 50 per APPEND with MULTIAPPEND (each batch all or',
    'nothing), one by one otherwise; each message is streamed from disk.',
    '',
    '--skip-existing skips messages whose Message-ID the mailbox already holds (and',
    'repeats within PATH), so an interrupted import can be run again.',
  ].join('\n'),
  examples: [
    'imapkit import Archive inbox.mbox',
    'imapkit import Restored ~/Mail/archive-2024 --create',
    'imapkit import INBOX message.eml',
    'imapkit import Archive inbox.mbox --skip-existing',
  ],
  options: {
    format: {
      type: 'string',
      short: 'f',
      value: 'FORMAT',
      description: 'mbox, maildir or eml (default: guessed)',
    },
    create: { type: 'boolean', description: 'create the mailbox when it does not exist' },
    'server-date': {
      type: 'boolean',
      description: 'let the server date the messages (now) instead of From_ line / mtime',
    },
    'skip-existing': {
      type: 'boolean',
      description: 'skip messages whose Message-ID is already in the mailbox',
    },
  },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const [mailbox, path] = ctx.args as [string, string];
    const given = stringOpt(ctx.values, 'format');
    if (given !== undefined && given !== 'mbox' && given !== 'maildir' && given !== 'eml') {
      throw new UsageError(`--format must be mbox, maildir or eml, not ${JSON.stringify(given)}`);
    }
    const serverDate = boolOpt(ctx.values, 'server-date');
    let format: ImportFormat;
    let sources: ImportSource[];
    const notes: string[] = [];
    try {
      format = given ?? (await detectFormat(path));
      sources = await importSources(path, format, (note) => notes.push(note));
      if (serverDate) sources = sources.map((source) => ({ ...source, date: null }));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT.LOCAL_IO, {
        cause: err,
      });
    }
    for (const note of notes) await ctx.out.warn(printable(note));
    const client = await ctx.connect();
    const created = boolOpt(ctx.values, 'create') ? await ensureMailbox(client, mailbox) : false;
    let skipped = 0;
    if (boolOpt(ctx.values, 'skip-existing')) {
      const known = created ? new Set<string>() : await mailboxMessageIds(client, mailbox);
      ({ kept: sources, skipped } = await withoutExisting(sources, known));
    }
    const totalBytes = sources.reduce((sum, s) => sum + s.diskSize, 0);
    const progress = createProgress(
      ctx.io.stderr,
      ctx.progress,
      `import ${mailbox}`,
      sources.length,
      totalBytes,
    );
    let imported = 0;
    let bytes = 0;
    const uids: number[] = [];
    let uidsComplete = true;
    try {
      let batch: ImportSource[] = [];
      let batchBytes = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        try {
          checkInterrupted(ctx.signal);
        } catch (err) {
          throw withNote(
            err,
            `${imported} of ${sources.length} message(s) were imported before; ` +
              'run it again with --skip-existing to import the rest',
          );
        }
        let got: number[] | null;
        try {
          got = await appendBatch(client, mailbox, batch, progress, (n) => (bytes += n));
        } catch (err) {
          if (err instanceof ImapPartialAppendError) {
            // One APPEND per message (no MULTIAPPEND): the first ones are stored.
            imported += err.stored;
            for (let i = 0; i < err.stored; i++) progress.addMessage();
          }
          const missing =
            err instanceof ImapProtocolError && err.responseCode?.name === 'TRYCREATE';
          throw withNote(
            err,
            missing
              ? 'the mailbox does not exist: use --create'
              : `${imported} of ${sources.length} message(s) were imported before`,
          );
        }
        if (got === null) uidsComplete = false;
        else for (const u of got) uids.push(u);
        imported += batch.length;
        for (let i = 0; i < batch.length; i++) progress.addMessage();
        batch = [];
        batchBytes = 0;
      };
      for (const source of sources) {
        if (
          batch.length >= BATCH_MESSAGES ||
          (batch.length > 0 && batchBytes + source.diskSize > BATCH_BYTES)
        ) {
          await flush();
        }
        batch.push(source);
        batchBytes += source.diskSize;
      }
      await flush();
    } finally {
      progress.finish();
    }
    const result = {
      mailbox,
      format,
      path,
      created,
      imported,
      skipped,
      bytes,
      ...(uidsComplete && uids.length > 0 ? { uids } : {}),
    };
    if (ctx.out.json) await ctx.out.document(result);
    else {
      await ctx.out.line(
        `imported ${imported} message(s) (${formatBytes(bytes)}) from ${path} into ${mailbox}` +
          (created ? ' (created)' : '') +
          (skipped > 0 ? `; ${skipped} skipped, already there` : ''),
      );
    }
  },
};
