import type { CommandContext, CommandResult } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { CommandArg } from '../wire/command-arg.js';

/**
 * Sends any command (no capability checked): the escape hatch for commands
 * imapkit has no function for. `name` is one or more atoms (`XLIST`,
 * `UID EXPUNGE`); build `args` with the validating builders of `wire/args`.
 * Untagged responses named in `collect` (upper-case) are returned in
 * `result.untagged`. Resolves on OK, NO and BAD alike: check
 * `result.tagged.status`.
 */
export async function rawCommand(
  ctx: CommandContext,
  name: string,
  args: readonly CommandArg[] = [],
  collect: readonly string[] = [],
): Promise<CommandResult> {
  if (!/^[A-Za-z][A-Za-z0-9._=-]*( [A-Za-z][A-Za-z0-9._=-]*)*$/.test(name)) {
    throw new ImapArgumentError(`invalid command name ${JSON.stringify(name.slice(0, 80))}`);
  }
  return ctx.run(name, [...args], {
    collect: collect.map((c) => c.toUpperCase()),
  });
}
