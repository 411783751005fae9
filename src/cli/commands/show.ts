/**
 * `imapkit show <mailbox> <uid>` (alias `fetch`): a header summary and the
 * text body, the raw message (`--raw`, streamed), the raw header, or one
 * decoded part (`--part`, streamed).
 */
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { commands, mimeParam, type BodyStructure, type ImapClient } from '../../index.js';
import { decodeCharset } from '../../wire/index.js';
import { boolOpt, parseIntArg, stringOpt } from '../args.js';
import type { CommandSpec } from '../command.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { formatBytes, printable, printableText } from '../output.js';
import { formatAddress, SUMMARY_ITEMS, summarize } from '../summary.js';

/** Text parts larger than this are not printed whole by the default view. */
const MAX_TEXT = 4 * 1024 * 1024;

/** The first part of `type/subtype` that is not an attachment (depth first). */
export function findTextPart(node: BodyStructure, subtype: string): BodyStructure | null {
  if ('childNodes' in node) {
    for (const child of node.childNodes) {
      const found = findTextPart(child, subtype);
      if (found !== null) return found;
    }
    return null;
  }
  if (node.type === 'text' && node.subtype === subtype && node.disposition?.type !== 'attachment') {
    return node;
  }
  return null;
}

/**
 * Whether the message of structure `node` has a MIME part numbered `part`
 * (`1.2`): a single-part message has only `1`; a message/rfc822 part `2`
 * has its body's parts under it (`2.1`...).
 */
export function hasPart(node: BodyStructure, part: string): boolean {
  if (node.part === part) return true;
  if ('childNodes' in node) return node.childNodes.some((child) => hasPart(child, part));
  return node.body !== undefined && hasPart(node.body, part);
}

/** An attachment as `show` lists it. */
export interface AttachmentInfo {
  /** Its part number, for `--part`. */
  part: string;
  /** Its file name ('' when it has none). */
  name: string;
  /** `type/subtype`. */
  type: string;
  /** Encoded size in bytes. */
  size: number;
}

/** Parts with a file name or an attachment disposition. */
function attachments(node: BodyStructure, out: AttachmentInfo[] = []): AttachmentInfo[] {
  if ('childNodes' in node) {
    for (const child of node.childNodes) attachments(child, out);
    return out;
  }
  const name =
    (node.disposition?.params === undefined
      ? undefined
      : mimeParam(node.disposition.params, 'filename')) ?? mimeParam(node.params, 'name');
  if (node.disposition?.type === 'attachment' || name !== undefined) {
    out.push({
      part: node.part,
      name: name ?? '',
      type: `${node.type}/${node.subtype}`,
      size: node.size,
    });
  }
  return out;
}

/** The value of a hex digit's char code, or -1 (also for NaN, past the end). */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Undoes a Content-Transfer-Encoding the server did not undo for us. */
export function decodeTransfer(data: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.toLowerCase()) {
    case 'base64':
      return Buffer.from(data.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const text = data.toString('latin1').replace(/=\r?\n/g, '');
      // Into a Buffer of the input's size, not a number[] (8+ bytes a byte).
      const bytes = Buffer.allocUnsafe(text.length);
      let n = 0;
      for (let i = 0; i < text.length; i++) {
        const hi = text[i] === '=' ? hexValue(text.charCodeAt(i + 1)) : -1;
        const lo = hi === -1 ? -1 : hexValue(text.charCodeAt(i + 2));
        if (lo !== -1) {
          bytes[n++] = hi * 16 + lo;
          i += 2;
        } else {
          bytes[n++] = text.charCodeAt(i) & 0xff;
        }
      }
      return bytes.subarray(0, n);
    }
    default:
      return data;
  }
}

/** A crude text rendering of HTML, for messages without a text/plain part. */
export function htmlToText(html: string): string {
  return stripTags(stripScripts(html))
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Removes `<script>...</script>` and `<style>...</style>` elements. A loop,
 * not the regex `/<(script|style)[\s\S]*?<\/\1>/gi`: that one scanned to
 * the end of the text from every unclosed `<script`, quadratic in a hostile
 * message.
 */
function stripScripts(html: string): string {
  const open = /<(script|style)/gi;
  const unclosed = new Set<string>();
  let out = '';
  let last = 0;
  for (let m = open.exec(html); m !== null; m = open.exec(html)) {
    const name = m[1]!.toLowerCase();
    if (unclosed.has(name)) continue;
    const close = name === 'script' ? /<\/script>/gi : /<\/style>/gi;
    close.lastIndex = open.lastIndex;
    const c = close.exec(html);
    if (c === null) {
      unclosed.add(name); // and none after a later one either
      continue;
    }
    out += html.slice(last, m.index);
    last = open.lastIndex = c.index + c[0].length;
  }
  return out + html.slice(last);
}

/**
 * Line breaks for `<br>` and the ends of blocks, other tags removed. The
 * `<` after the last `>` start no tag: left out of the regex, which would
 * scan to the end of the text from each of them (quadratic).
 */
function stripTags(html: string): string {
  const end = html.lastIndexOf('>') + 1;
  const tail = html.slice(end);
  return (
    html
      .slice(0, end)
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/(p|div|tr|h[1-6]|li)>/gi, '\n')
      .replace(/<[^>]*>/g, '') + tail
  );
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The text of a part, transfer- and charset-decoded. */
async function partText(client: ImapClient, uid: number, part: BodyStructure): Promise<string> {
  const { meta, content } = await client.download(uid, part.part);
  if (meta.size > MAX_TEXT) {
    content.destroy();
    return `(text part of ${formatBytes(meta.size)} not shown; use --part ${part.part})`;
  }
  const data = meta.decoded
    ? await collect(content)
    : decodeTransfer(await collect(content), meta.encoding);
  return decodeCharset(data, meta.charset ?? 'utf-8') ?? data.toString('utf8');
}

export const showCommand: CommandSpec = {
  name: 'show',
  aliases: ['fetch'],
  summary: 'show one message: headers and text, --raw, --headers or --part',
  usage: 'show <mailbox> <uid> [--raw | --headers | --part N]',
  description: [
    'Shows one message (by UID) without marking it \\Seen: a summary of its header',
    '(date, from, to, cc, subject, flags, attachments) and its text body (text/plain, or',
    'text/html made readable). --raw writes the whole RFC 822 message to stdout as',
    'stored (streamed, any size); --headers the raw header; --part N one MIME part,',
    'transfer-decoded (e.g. an attachment: --part 2 > file.pdf). --json gives the',
    'summary and text as one JSON document.',
  ].join('\n'),
  examples: [
    'imapkit show INBOX 42',
    'imapkit show INBOX 42 --raw > message.eml',
    'imapkit show INBOX 42 --part 2 > attachment.pdf',
  ],
  options: {
    raw: { type: 'boolean', short: 'r', description: 'the whole message as stored, to stdout' },
    headers: { type: 'boolean', description: 'the raw header section' },
    part: {
      type: 'string',
      value: 'N',
      description: 'one MIME part (e.g. 2 or 1.2), decoded, to stdout',
    },
    'mark-seen': { type: 'boolean', description: 'set \\Seen on the message' },
  },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const mailbox = ctx.args[0]!;
    const uid = parseIntArg(ctx.args[1]!, 'the UID');
    const raw = boolOpt(ctx.values, 'raw');
    const headersOnly = boolOpt(ctx.values, 'headers');
    const part = stringOpt(ctx.values, 'part');
    if ([raw, headersOnly, part !== undefined].filter(Boolean).length > 1) {
      throw new UsageError('--raw, --headers and --part exclude each other');
    }
    if (part !== undefined && !/^[1-9]\d*(\.[1-9]\d*)*$/.test(part)) {
      throw new UsageError(`--part needs a part number like 2 or 1.2, not ${JSON.stringify(part)}`);
    }
    const markSeen = boolOpt(ctx.values, 'mark-seen');
    const client = await ctx.connect();
    const lock = await client.getMailboxLock(mailbox, { readOnly: !markSeen });
    try {
      const msg = await client.fetchOne(uid, { ...SUMMARY_ITEMS, bodyStructure: true });
      if (msg === null) {
        throw new CliError(`no message with UID ${uid} in ${mailbox}`, EXIT.SERVER);
      }
      // The server answers a missing part with an empty body: check it here.
      const structure = msg.bodyStructure;
      if (part !== undefined && structure !== undefined && !hasPart(structure, part)) {
        throw new CliError(`message ${uid} in ${mailbox} has no part ${part}`, EXIT.SERVER);
      }
      if (raw || headersOnly || part !== undefined) {
        const section = raw ? '' : headersOnly ? 'HEADER' : part!;
        const { content } =
          part === undefined
            ? await client.command(async (c) => ({
                content: (await commands.fetchStream(c, uid, section, { uid: true, markSeen }))
                  .stream,
              }))
            : await client.download(uid, part, { markSeen });
        await pipeline(content, ctx.out.stdout, { end: false });
        return;
      }
      const summary = summarize(msg);
      const env = msg.envelope;
      const textPart = structure === undefined ? null : findTextPart(structure, 'plain');
      const htmlPart =
        textPart !== null || structure === undefined ? null : findTextPart(structure, 'html');
      let text: string | null = null;
      if (textPart !== null) text = await partText(client, uid, textPart);
      else if (htmlPart !== null) text = htmlToText(await partText(client, uid, htmlPart));
      const files = structure === undefined ? [] : attachments(structure);
      if (markSeen) await client.messageFlagsAdd(uid, ['\\Seen']);
      if (ctx.out.json) {
        await ctx.out.document({
          ...summary,
          to: (env?.to ?? []).map((a) => formatAddress([a])),
          cc: (env?.cc ?? []).map((a) => formatAddress([a])),
          messageId: env?.messageId ?? null,
          attachments: files,
          text,
        });
        return;
      }
      const header: Array<[string, string | null]> = [
        ['Date', env?.rawDate ?? null],
        ['From', summary.from],
        ['To', (env?.to ?? []).map((a) => formatAddress([a])).join(', ') || null],
        ['Cc', (env?.cc ?? []).map((a) => formatAddress([a])).join(', ') || null],
        ['Subject', summary.subject],
        ['Message-ID', env?.messageId ?? null],
        ['Flags', summary.flags.join(' ') || null],
        ['Size', summary.size === undefined ? null : formatBytes(summary.size)],
      ];
      for (const [k, v] of header) if (v !== null) await ctx.out.line(`${k}: ${printable(v)}`);
      for (const f of files) {
        await ctx.out.line(
          `Attachment: part ${f.part} ${printable(f.name)} (${f.type}, ${formatBytes(f.size)})`,
        );
      }
      await ctx.out.line();
      await ctx.out.line(text === null ? '(no text part)' : printableText(text));
    } finally {
      lock.release();
    }
  },
};
