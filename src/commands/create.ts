import type { CommandContext } from '../connection/types.js';
import { atom, flag, list, mailbox } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';
import { mailboxIdOf } from './mailbox-name.js';

/** Options of {@link create}. */
export interface CreateOptions {
  /**
   * Special-use attributes for the new mailbox, e.g. `['\\Sent']`, sent as
   * `(USE (\Sent))` (RFC 6154 3; capability CREATE-SPECIAL-USE).
   */
  specialUse?: readonly string[];
}

/** What CREATE reported. */
export interface CreateResult {
  /** `[MAILBOXID (id)]` of the new mailbox (RFC 8474 OBJECTID), null when not sent. */
  mailboxId: string | null;
}

/**
 * CREATE (RFC 9051 6.3.4, RFC 3501 6.3.3; no capability needed, except
 * CREATE-SPECIAL-USE for `specialUse`): creates mailbox `name` (Unicode). A NO
 * (e.g. `[ALREADYEXISTS]`) throws ImapProtocolError carrying the code.
 */
export async function create(
  ctx: CommandContext,
  name: string,
  options: CreateOptions = {},
): Promise<CreateResult> {
  const args: CommandArg[] = [mailbox(name)];
  if (options.specialUse !== undefined && options.specialUse.length > 0) {
    requireCapability(ctx, 'CREATE-SPECIAL-USE');
    args.push(list([atom('USE'), list(options.specialUse.map((u) => flag(u)))]));
  }
  const result = await ctx.exec('CREATE', args);
  const code = result.tagged.code;
  let mailboxId: string | null = null;
  if (code?.name === 'OTHER' && code.atom.toUpperCase() === 'MAILBOXID' && code.text !== null) {
    mailboxId = mailboxIdOf(code.text);
  }
  return { mailboxId };
}
