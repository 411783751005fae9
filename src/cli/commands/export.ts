/**
 * `imapkit export <mailbox> --format mbox|maildir|eml --out PATH`: every
 * message (or those matching a query) streamed from the server to files,
 * one message at a time, never buffered whole. Runs again are incremental:
 * messages already exported (same UIDVALIDITY) are skipped, Maildir flags
 * are brought up to date, and an interrupted mbox export resumes where its
 * state file says it stopped.
 */
import { Readable } from 'node:stream';
import { commands, ImapArgumentError, type ImapClient } from '../../index.js';
import { boolOpt, stringOpt } from '../args.js';
import type { CommandSpec } from '../command.js';
import { InterruptedError, UsageError, withNote } from '../errors.js';
import { formatBytes, printable } from '../output.js';
import { createProgress, createServerProgress } from '../progress.js';
import { parseQuery } from '../query.js';
import { emlSink } from '../sinks/eml.js';
import { maildirSink } from '../sinks/maildir.js';
import { mboxSink } from '../sinks/mbox.js';
import type { ExportMeta } from '../sinks/sink.js';

/** The export formats. */
export type ExportFormat = 'mbox' | 'maildir' | 'eml';

/** UIDs whose meta data is fetched per FETCH. */
const META_CHUNK = 1000;

/**
 * Messages up to this size are fetched many per FETCH (one round trip for
 * a batch instead of one per message); larger ones are streamed one by one
 * and never held whole.
 */
const BATCH_MESSAGE_MAX = 1024 * 1024;
/** A batch FETCH asks for at most this many messages... */
const BATCH_COUNT = 500;
/** ...and this many bytes (RFC822.SIZE): what a batch may hold in memory. */
const BATCH_BYTES = 16 * 1024 * 1024;

/** One step of an export: a batch of small messages, or one large message to stream. */
type ExportStep = { batch: ExportMeta[] } | { large: ExportMeta };

/** Groups `todo` (in UID order) into batches of small messages and single large ones. */
export function exportSteps(todo: readonly ExportMeta[]): ExportStep[] {
  const steps: ExportStep[] = [];
  let batch: ExportMeta[] = [];
  let bytes = 0;
  const close = (): void => {
    if (batch.length > 0) steps.push({ batch });
    batch = [];
    bytes = 0;
  };
  for (const meta of todo) {
    if (meta.size > BATCH_MESSAGE_MAX) {
      close();
      steps.push({ large: meta });
      continue;
    }
    if (batch.length >= BATCH_COUNT || bytes + meta.size > BATCH_BYTES) close();
    batch.push(meta);
    bytes += meta.size;
  }
  close();
  return steps;
}

/**
 * Fetches a batch of messages in one FETCH and writes them in the batch's
 * (UID) order as they arrive — one held back until those before it are
 * written, so an mbox export's "last UID written" stays exact. Stops
 * between messages when `stopped()` says so. Resolves with the number of
 * messages the server did not send (expunged since the meta data).
 */
async function exportBatch(
  client: ImapClient,
  batch: readonly ExportMeta[],
  write: (meta: ExportMeta, content: Readable) => Promise<void>,
  stopped: () => boolean,
): Promise<number> {
  const arrived = new Map<number, Buffer>();
  let next = 0;
  const writeReady = async (): Promise<void> => {
    for (let meta = batch[next]; meta !== undefined; meta = batch[next]) {
      const source = arrived.get(meta.uid);
      if (source === undefined || stopped()) return;
      arrived.delete(meta.uid);
      next++;
      await write(meta, Readable.from([source]));
    }
  };
  const uids = batch.map((m) => m.uid);
  for await (const m of client.fetch(uids, { uid: true, source: true })) {
    if (m.uid === undefined || m.source === undefined) continue;
    arrived.set(m.uid, m.source);
    await writeReady();
    if (stopped()) return 0;
  }
  // What never came was expunged meanwhile; the rest follows in order.
  let vanished = 0;
  for (; next < batch.length && !stopped(); next++) {
    const meta = batch[next]!;
    const source = arrived.get(meta.uid);
    if (source === undefined) vanished++;
    else await write(meta, Readable.from([source]));
  }
  return vanished;
}

/** Meta data of `uids`, fetched in chunks, in UID order. */
async function fetchMeta(
  client: ImapClient,
  uids: readonly number[],
  sender: boolean,
): Promise<ExportMeta[]> {
  const out: ExportMeta[] = [];
  for (let i = 0; i < uids.length; i += META_CHUNK) {
    const chunk = uids.slice(i, i + META_CHUNK);
    for await (const m of client.fetch(chunk, {
      uid: true,
      flags: true,
      internalDate: true,
      size: true,
      envelope: sender,
    })) {
      if (m.uid === undefined) continue;
      const from = m.envelope?.from[0];
      out.push({
        uid: m.uid,
        flags:
          m.flags === undefined ? [] : [...m.flags].filter((f) => f.toLowerCase() !== '\\recent'),
        internalDate: m.internalDate ?? new Date(0),
        size: m.size ?? 0,
        sender: from !== undefined && 'address' in from ? from.address : null,
      });
    }
  }
  return out.sort((a, b) => a.uid - b.uid);
}

/** What an export stopped early has done, and that running it again goes on. */
function interruptedNote(format: ExportFormat, exported: number): string {
  return `${exported} message(s) exported before; run the same export again to ${format === 'mbox' ? 'resume' : 'complete it'}`;
}

/** The format from `--format` or the output path's extension. */
function exportFormat(given: string | undefined, out: string): ExportFormat {
  const format = given ?? (/\.mbox$/i.test(out) ? 'mbox' : undefined);
  if (format === 'mbox' || format === 'maildir' || format === 'eml') return format;
  if (format === undefined) throw new UsageError('give --format mbox, maildir or eml');
  throw new UsageError(`--format must be mbox, maildir or eml, not ${JSON.stringify(format)}`);
}

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'export a mailbox to mbox, Maildir or .eml files (streamed, incremental)',
  usage:
    'export <mailbox> [criteria...] --format mbox|maildir|eml --out PATH [--force] [--mbox-status]',
  description: [
    'Writes the messages of a mailbox (all, or those matching search criteria as in',
    "'imapkit search') to local files, streaming each message from the server to disk.",
    '',
    '  mbox     one file, mboxrd ("From " lines quoted with ">"), LF line ends; the',
    '           From_ line carries the sender and the INTERNALDATE. Flags are kept only',
    '           with --mbox-status (Status:, X-Status:, X-Keywords: headers, as mutt',
    '           writes them; the messages then differ from the stored bytes).',
    '           PATH.imapkit-state.json records the UIDs written: running an export',
    '           again appends only messages not in the file yet, whatever the criteria',
    '           (and resumes after an interruption). Messages another program',
    '           appended to the file meanwhile are kept; new ones go after them.',
    '  maildir  a Maildir (cur/ new/ tmp/), one file per message with LF line ends,',
    '           flags in the name (:2,FRS...), keywords in dovecot-keywords, the',
    '           INTERNALDATE as mtime. Running again adds new messages and updates flags.',
    '  eml      one <uidvalidity>-<uid>.eml file per message, bytes exactly as stored,',
    '           INTERNALDATE as mtime. Running again adds only new messages.',
    '  A Maildir or eml directory holds one mailbox (.imapkit-export.json names it);',
    '  exporting another into it needs --force.',
    '',
    'A progress bar is drawn on stderr when it is a terminal. The mailbox is opened',
    'read-only: nothing is marked \\Seen.',
  ].join('\n'),
  examples: [
    'imapkit export INBOX --format mbox --out inbox.mbox',
    'imapkit export Archive/2024 --format maildir --out ~/Mail/archive-2024',
    'imapkit export INBOX from:billing@example.com --format eml --out invoices/',
  ],
  options: {
    format: { type: 'string', short: 'f', value: 'FORMAT', description: 'mbox, maildir or eml' },
    out: {
      type: 'string',
      short: 'o',
      value: 'PATH',
      description: 'the mbox file, Maildir or .eml directory',
    },
    force: {
      type: 'boolean',
      description:
        'overwrite an mbox file that is not an earlier export of this mailbox; ' +
        'export into a Maildir or .eml directory holding another mailbox',
    },
    'mbox-status': {
      type: 'boolean',
      description: 'mbox: write the flags as Status:, X-Status: and X-Keywords: headers',
    },
  },
  queryTerms: true,
  args: { min: 1, max: Infinity },
  async run(ctx) {
    const [mailbox, ...criteria] = ctx.args as [string, ...string[]];
    const out = stringOpt(ctx.values, 'out');
    if (out === undefined) throw new UsageError('give --out PATH');
    const format = exportFormat(stringOpt(ctx.values, 'format'), out);
    if (boolOpt(ctx.values, 'mbox-status') && format !== 'mbox') {
      throw new UsageError('--mbox-status is for --format mbox (Maildir keeps flags in its names)');
    }
    const query = criteria.length === 0 ? { all: true } : parseQuery(criteria);
    const client = await ctx.connect();
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    let exported = 0;
    let skipped = 0;
    let vanished = 0;
    let bytes = 0;
    try {
      const uidValidity = client.mailbox?.uidValidity ?? 0;
      const searching = createServerProgress(ctx.io.stderr, ctx.progress, `searching ${mailbox}`);
      const uids = await client
        .search(query, { onProgress: searching.onProgress })
        .finally(() => searching.finish());
      const metas = await fetchMeta(client, uids, format === 'mbox');
      const force = boolOpt(ctx.values, 'force');
      const sink =
        format === 'mbox'
          ? await mboxSink(out, mailbox, uidValidity, force, boolOpt(ctx.values, 'mbox-status'))
          : format === 'maildir'
            ? await maildirSink(out, mailbox, uidValidity, force)
            : await emlSink(out, mailbox, uidValidity, force);
      const todo = metas.filter((m) => !sink.has(m.uid));
      const totalBytes = todo.reduce((sum, m) => sum + m.size, 0);
      const progress = createProgress(
        ctx.io.stderr,
        ctx.progress,
        `export ${mailbox}`,
        todo.length,
        totalBytes,
      );
      try {
        for (const meta of metas) {
          if (!sink.has(meta.uid)) continue;
          await sink.refresh(meta);
          skipped++;
        }
        const stopped = (): boolean => ctx.signal?.aborted === true;
        const write = async (meta: ExportMeta, content: Readable): Promise<void> => {
          try {
            await sink.write(meta, content, (n) => {
              bytes += n;
              progress.addBytes(n);
            });
          } catch (err) {
            throw withNote(err, interruptedNote(format, exported));
          }
          exported++;
          progress.addMessage();
        };
        for (const step of exportSteps(todo)) {
          if (stopped()) break;
          if ('batch' in step) {
            vanished += await exportBatch(client, step.batch, write, stopped);
            continue;
          }
          let content: Readable;
          try {
            content = await client.command(
              async (c) =>
                (await commands.fetchStream(c, step.large.uid, '', { uid: true })).stream,
            );
          } catch (err) {
            // Expunged by someone else since the meta data was fetched.
            if (!(err instanceof ImapArgumentError)) throw err;
            vanished++;
            continue;
          }
          await write(step.large, content);
        }
        if (stopped() && exported + vanished < todo.length) {
          throw withNote(new InterruptedError(), interruptedNote(format, exported));
        }
      } finally {
        progress.finish();
        await sink.close();
        for (const warning of sink.warnings?.() ?? []) await ctx.out.warn(printable(warning));
      }
    } finally {
      lock.release();
    }
    const result = { mailbox, format, out, exported, skipped, vanished, bytes };
    if (ctx.out.json) await ctx.out.document(result);
    else {
      await ctx.out.line(
        `exported ${exported} message(s) (${formatBytes(bytes)}) from ${mailbox} to ${out}` +
          (skipped > 0 ? `; ${skipped} already there` : '') +
          (vanished > 0 ? `; ${vanished} expunged meanwhile` : ''),
      );
    }
  },
};
