import type { CommandContext } from '../connection/types.js';
import { ImapStateError } from '../model/errors.js';

/**
 * Throws {@link ImapStateError} when the selected mailbox is known to refuse
 * the change `command` makes, before anything is sent: servers answer a
 * STORE there with OK and do nothing (Dovecot: "Store ignored with
 * read-only mailbox"), and Dovecot even performs a MOVE. `perUser`: the
 * command changes only per-user state (STORE of flags), which a mailbox
 * SELECTed and answered `[READ-ONLY]` may still permit (RFC 9051 6.3.2):
 * refused only after EXAMINE (6.3.3). Else (EXPUNGE, MOVE and their UID
 * forms) refused in any read-only mailbox. COPY is never refused (it
 * changes only the destination).
 */
export function refuseReadOnly(
  ctx: Pick<CommandContext, 'selected'>,
  command: string,
  perUser = false,
): void {
  const selected = ctx.selected;
  if (selected === null || selected === undefined || !selected.readOnly) return;
  if (perUser && !selected.examined) return;
  const how = selected.examined ? 'EXAMINE' : 'SELECT answered [READ-ONLY]';
  throw new ImapStateError(
    `${command} in ${JSON.stringify(selected.name)}, which is selected read-only ` +
      `(${how}): select it read-write first (RFC 9051 6.3.2, 6.3.3)`,
    { command },
  );
}
