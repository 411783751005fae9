import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { astring, atom, list, literal, mailbox, nil, num, str } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';
import { decodeMailboxName, sameMailbox } from './mailbox-name.js';

/** Options of {@link getMetadata} (RFC 5464 4.2). */
export interface GetMetadataOptions {
  /** MAXSIZE: leave out values larger than this many octets (the tagged OK then says `[METADATA LONGENTRIES n]`). */
  maxSize?: number;
  /** DEPTH: also return entries below the named ones: `0` (default) none, `1` one level, `infinity` all. */
  depth?: 0 | 1 | 'infinity';
}

/**
 * The values {@link getMetadata} returns: a Map of entry name to value (as
 * before), plus what the tagged OK said about entries left out.
 */
export interface MetadataValues extends Map<string, Buffer | null> {
  /**
   * With `maxSize`: the size in octets of the largest value the server left
   * out for being larger (`OK [METADATA LONGENTRIES n]`, RFC 5464 4.2.1);
   * null when none was left out. An entry missing from the Map while this
   * is set may exist with a longer value: ask again with a larger `maxSize`.
   */
  longEntries: number | null;
}

/** An entry name: `/private/...` or `/shared/...` (RFC 5464 3.2). @internal */
export function checkEntry(entry: string): void {
  if (!/^\/(private|shared)(\/[^\s/*%()"\\{}\]\x00-\x1f\x7f]+)*$/i.test(entry)) {
    throw new ImapArgumentError(
      `invalid metadata entry ${JSON.stringify(entry)}: must be /private/... or /shared/... (RFC 5464 3.2)`,
    );
  }
}

function requireMetadata(ctx: CommandContext, name: string): void {
  if (name === '') requireCapability(ctx, 'METADATA-SERVER', 'METADATA');
  else requireCapability(ctx, 'METADATA');
}

/**
 * GETMETADATA (RFC 5464 4.2; capability METADATA, or METADATA-SERVER when
 * `name` is '' for server annotations): the values of `entries` on mailbox
 * `name` (Unicode), keyed by entry name as the server sent it. Entries with
 * no value are absent (Dovecot) or null (NIL). With `maxSize`, values larger
 * than it are absent too, and the result's `longEntries` says so (the
 * largest size left out; null when nothing was).
 */
export async function getMetadata(
  ctx: CommandContext,
  name: string,
  entries: readonly string[],
  options: GetMetadataOptions = {},
): Promise<MetadataValues> {
  requireMetadata(ctx, name);
  if (entries.length === 0) throw new ImapArgumentError('GETMETADATA needs at least one entry');
  entries.forEach(checkEntry);
  const args: CommandArg[] = [];
  const opts: CommandArg[] = [];
  if (options.maxSize !== undefined) opts.push(atom('MAXSIZE'), num(options.maxSize));
  if (options.depth !== undefined) opts.push(atom('DEPTH'), atom(String(options.depth)));
  if (opts.length > 0) args.push(list(opts));
  args.push(mailbox(name), list(entries.map((e) => astring(e))));
  const result = await ctx.exec('GETMETADATA', args, { collect: ['METADATA'] });
  const code = result.tagged.code;
  const longEntries = code?.name === 'METADATA' && code.kind === 'LONGENTRIES' ? code.value : null;
  // Not enumerable: the result still compares, prints and serialises as the Map it was.
  const values = Object.defineProperty(new Map<string, Buffer | null>(), 'longEntries', {
    value: longEntries,
    enumerable: false,
  }) as MetadataValues;
  for (const r of result.untagged) {
    if (r.name !== 'METADATA' || !sameMailbox(decodeMailboxName(ctx, r.mailbox), name)) continue;
    for (const [entry, value] of r.entries) if (value !== undefined) values.set(entry, value);
  }
  return values;
}

/**
 * A SETMETADATA value: a string (quoted or a literal), or for a value
 * holding NUL a literal8 `~{n}` (RFC 5464 section 5: `value = nstring /
 * literal8`), which may carry any byte.
 */
function metadataValue(value: Buffer | string): CommandArg {
  const nul =
    typeof value === 'string' ? value.includes('\0') : Buffer.isBuffer(value) && value.includes(0);
  return nul ? literal(value, { binary: true }) : str(value);
}

/**
 * SETMETADATA (RFC 5464 4.3; capability METADATA, or METADATA-SERVER when
 * `name` is ''): sets entries on mailbox `name` (Unicode); a null value
 * removes the entry. A value holding NUL is sent as literal8 `~{n}` (RFC
 * 5464 section 5), byte for byte; Dovecot 2.3 refuses such a value with NO
 * ("Attribute string value has NULs"). A NO may carry `[METADATA MAXSIZE n]`, `[METADATA
 * TOOMANY]` or `[METADATA NOPRIVATE]` in the ImapProtocolError's code.
 */
export async function setMetadata(
  ctx: CommandContext,
  name: string,
  entries: Map<string, Buffer | string | null>,
): Promise<void> {
  requireMetadata(ctx, name);
  if (entries.size === 0) throw new ImapArgumentError('SETMETADATA needs at least one entry');
  const items: CommandArg[] = [];
  for (const [entry, value] of entries) {
    checkEntry(entry);
    items.push(astring(entry), value === null ? nil() : metadataValue(value));
  }
  await ctx.exec('SETMETADATA', [mailbox(name), list(items)]);
}
