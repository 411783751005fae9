import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { list, nil, str } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';

/** ID fields: names such as `name`, `version`, `vendor`, `support-url` (RFC 2971 3.3). */
export type IdFields = Map<string, string | null> | Record<string, string | null>;

/**
 * ID (RFC 2971 3.1; capability ID): tells the server who the client is and
 * returns what the server says about itself, keyed by field name as sent
 * (null when the server sends `ID NIL`). `fields` null sends `ID NIL`.
 * At most 30 fields; names at most 30 bytes, values at most 1024 (RFC 2971 3.3).
 */
export async function id(
  ctx: CommandContext,
  fields: IdFields | null,
): Promise<Map<string, string | null> | null> {
  requireCapability(ctx, 'ID');
  let arg: CommandArg = nil();
  if (fields !== null) {
    const entries = fields instanceof Map ? [...fields] : Object.entries(fields);
    if (entries.length > 30) throw new ImapArgumentError('ID takes at most 30 fields');
    const items: CommandArg[] = [];
    for (const [name, value] of entries) {
      if (Buffer.byteLength(name) > 30) {
        throw new ImapArgumentError(`ID field name ${JSON.stringify(name)} is over 30 bytes`);
      }
      if (value !== null && Buffer.byteLength(value) > 1024) {
        throw new ImapArgumentError(`ID field ${JSON.stringify(name)} value is over 1024 bytes`);
      }
      items.push(str(name), value === null ? nil() : str(value));
    }
    arg = items.length === 0 ? nil() : list(items);
  }
  const result = await ctx.exec('ID', [arg], { collect: ['ID'] });
  let params: Map<string, string | null> | null = null;
  for (const r of result.untagged) if (r.name === 'ID') params = r.params;
  return params;
}
