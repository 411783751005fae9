import type { Readable } from 'node:stream';
import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError, ImapPartialAppendError } from '../model/errors.js';
import type { ResponseCode } from '../model/response-code.js';
import { atom, datetime, flag, list, literal, mailbox, str } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';

/** A message to append: its bytes, a string (sent as UTF-8), or a stream of exactly `size` bytes. */
export type AppendMessage =
  | Buffer
  | string
  | {
      /** The message's bytes, sent as they come without being buffered. */
      stream: Readable;
      /** The exact number of bytes the stream gives. */
      size: number;
    };

/** Options of {@link append}. */
export interface AppendOptions {
  /** Flags to set on the new message, e.g. `['\\Seen', '$Important']`. */
  flags?: readonly string[];
  /** The message's INTERNALDATE (default: the server's current time). */
  internalDate?: Date;
  /** Send as literal8 `~{n}` so the message may hold NUL and raw binary (RFC 3516; capability BINARY). */
  binary?: boolean;
}

/** One message of {@link appendMany}. */
export interface AppendManyItem extends AppendOptions {
  /** The message to append. */
  message: AppendMessage;
}

/** Where the server stored an appended message (UIDPLUS `[APPENDUID]`, RFC 4315 3). */
export interface AppendResult {
  /** The destination mailbox's UIDVALIDITY. */
  uidValidity: number;
  /** The new message's UID. */
  uid: number;
}

/** Where the server stored several appended messages, in the order given. */
export interface AppendManyResult {
  /** The destination mailbox's UIDVALIDITY. */
  uidValidity: number;
  /** The new messages' UIDs, one per message, in the order given. */
  uids: number[];
}

/** One part of a CATENATE append (RFC 4469 5): literal text, or an IMAP URL of existing data. */
export type CatenatePart =
  | {
      /** Literal text to insert (a string is sent as UTF-8). */
      text: Buffer | string;
    }
  | {
      /** An IMAP URL (RFC 5092) of a message or part to insert, e.g. `/INBOX;UIDVALIDITY=385759045/;UID=20/;SECTION=1`. */
      url: string;
    };

/** The flags, date and literal arguments of one message (shared with REPLACE). */
export function messageArgs(ctx: CommandContext, item: AppendManyItem): CommandArg[] {
  const args: CommandArg[] = [];
  if (item.flags !== undefined) args.push(list(item.flags.map((f) => flag(f))));
  if (item.internalDate !== undefined) args.push(datetime(item.internalDate));
  const binary = item.binary === true;
  if (binary) requireCapability(ctx, 'BINARY');
  const m = item.message;
  if (typeof m === 'string' || Buffer.isBuffer(m)) {
    args.push(literal(m, binary ? { binary } : {}));
  } else {
    args.push(literal(m.stream, binary ? { size: m.size, binary } : { size: m.size }));
  }
  return args;
}

/**
 * The UIDs of an `[APPENDUID]` code naming `expected` messages (one per
 * message sent), or null (also shared with REPLACE).
 */
export function appendUid(
  code: ResponseCode | null,
  expected = 1,
): { uidValidity: number; uids: number[] } | null {
  if (code?.name !== 'APPENDUID') return null;
  const size = code.uids.size;
  // Never expand a set the server could make huge (`1:4294967295` for one message).
  if (size === null || size !== expected) return null;
  return { uidValidity: code.uidValidity, uids: [...code.uids.values()] };
}

/**
 * APPEND (RFC 9051 6.3.12, RFC 3501 6.3.11; no capability needed; `binary`
 * needs BINARY, RFC 3516 4.4): stores `message` in mailbox `name` (Unicode).
 * A stream is sent as a literal of the given size without being buffered.
 * Returns the new message's UID from `[APPENDUID]` (UIDPLUS, RFC 4315), or
 * null when the server sent none. A NO throws ImapProtocolError carrying its
 * code: `[TRYCREATE]` (no such mailbox), `[OVERQUOTA]`, `[TOOBIG]`, ...
 */
export async function append(
  ctx: CommandContext,
  name: string,
  message: AppendMessage,
  options: AppendOptions = {},
): Promise<AppendResult | null> {
  const args = [mailbox(name), ...messageArgs(ctx, { ...options, message })];
  const result = await ctx.exec('APPEND', args);
  const uid = appendUid(result.tagged.code);
  return uid === null || uid.uids.length !== 1
    ? null
    : { uidValidity: uid.uidValidity, uid: uid.uids[0]! };
}

/**
 * Appends several messages to mailbox `name` (Unicode). With MULTIAPPEND
 * (RFC 3502) they go in one APPEND command, atomically: all are stored or
 * none. Without it they are appended one by one (not atomic: a failure leaves
 * the earlier ones stored, and throws {@link ImapPartialAppendError} saying
 * how many, unless the first one failed). Returns the UIDs in the order given, or null when
 * the server did not report them all (no UIDPLUS).
 */
export async function appendMany(
  ctx: CommandContext,
  name: string,
  messages: readonly AppendManyItem[],
): Promise<AppendManyResult | null> {
  if (messages.length === 0) throw new ImapArgumentError('appendMany needs at least one message');
  if (ctx.hasCapability('MULTIAPPEND')) {
    const args = [mailbox(name), ...messages.flatMap((m) => messageArgs(ctx, m))];
    const result = await ctx.exec('APPEND', args);
    const uid = appendUid(result.tagged.code, messages.length);
    return uid === null || uid.uids.length !== messages.length ? null : uid;
  }
  for (const m of messages) messageArgs(ctx, m); // validate all before sending any
  let out: AppendManyResult | null = null;
  let complete = true;
  for (const [i, m] of messages.entries()) {
    let r: AppendResult | null;
    try {
      r = await append(ctx, name, m.message, m);
    } catch (err) {
      if (i === 0) throw err;
      throw new ImapPartialAppendError(i, messages.length, complete ? out!.uids : null, err);
    }
    if (r === null || (out !== null && out.uidValidity !== r.uidValidity)) complete = false;
    else if (out === null) out = { uidValidity: r.uidValidity, uids: [r.uid] };
    else out.uids.push(r.uid);
  }
  return complete ? out : null;
}

/**
 * APPEND with CATENATE (RFC 4469 5; capability CATENATE): builds the message
 * on the server from `parts`, literal text and IMAP URLs of existing
 * messages or parts (e.g. `/INBOX;UIDVALIDITY=385759045/;UID=20/;SECTION=1`),
 * and stores it in mailbox `name` (Unicode). Returns `[APPENDUID]` data as
 * {@link append} does. A bad URL fails with NO `[BADURL ...]`.
 */
export async function appendCatenate(
  ctx: CommandContext,
  name: string,
  parts: readonly CatenatePart[],
  options: Omit<AppendOptions, 'binary'> = {},
): Promise<AppendResult | null> {
  requireCapability(ctx, 'CATENATE');
  if (parts.length === 0) throw new ImapArgumentError('CATENATE needs at least one part');
  const args: CommandArg[] = [mailbox(name)];
  if (options.flags !== undefined) args.push(list(options.flags.map((f) => flag(f))));
  if (options.internalDate !== undefined) args.push(datetime(options.internalDate));
  const items: CommandArg[] = [];
  for (const p of parts) {
    if ('url' in p) items.push(atom('URL'), str(p.url));
    else items.push(atom('TEXT'), literal(p.text));
  }
  args.push(atom('CATENATE'), list(items));
  const result = await ctx.exec('APPEND', args);
  const uid = appendUid(result.tagged.code);
  return uid === null || uid.uids.length !== 1
    ? null
    : { uidValidity: uid.uidValidity, uid: uid.uids[0]! };
}
