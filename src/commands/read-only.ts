import type { CommandContext } from '../connection/types.js';
import { ImapStateError } from '../model/errors.js';

/**
 * Throws {@link ImapStateError} when the selected mailbox is known to be
 * read-only (EXAMINE, or SELECT answered `[READ-ONLY]`): RFC 9051 6.3.3
 * permits no change to its permanent state there, yet servers answer a
 * STORE with OK and do nothing (Dovecot: "Store ignored with read-only
 * mailbox"), and Dovecot even performs a MOVE. Commands that change the
 * mailbox (STORE, EXPUNGE, MOVE, and their UID forms) call it before
 * sending anything; COPY does not (it changes only the destination).
 */
export function refuseReadOnly(ctx: Pick<CommandContext, 'selected'>, command: string): void {
  const selected = ctx.selected;
  if (selected === null || selected === undefined || !selected.readOnly) return;
  throw new ImapStateError(
    `${command} in ${JSON.stringify(selected.name)}, which is selected read-only ` +
      '(EXAMINE or [READ-ONLY]): select it read-write first (RFC 9051 6.3.3)',
    { command },
  );
}
