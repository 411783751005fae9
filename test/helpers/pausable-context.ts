/**
 * A connection seen through a command context that counts pauseReading
 * calls and, optionally, hides some capabilities (to exercise fallbacks).
 */
import type { PausableContext } from '../../src/commands/fetch.js';
import type { ImapConnection } from '../../src/connection/connection.js';

export function countingContext(
  c: ImapConnection,
  hidden: string[] = [],
): PausableContext & { pauses: number } {
  const h = new Set(hidden.map((n) => n.toUpperCase()));
  const ctx = {
    pauses: 0,
    get capabilities() {
      if (h.size === 0) return c.capabilities;
      return new Set([...c.capabilities].filter((n) => !h.has(n.toUpperCase())));
    },
    hasCapability: (n: string) => !h.has(n.toUpperCase()) && c.hasCapability(n),
    get state() {
      return c.state;
    },
    get selected() {
      return c.selected;
    },
    get enabled() {
      return c.enabled;
    },
    get utf8Enabled() {
      return c.utf8Enabled;
    },
    run: c.run.bind(c),
    exec: c.exec.bind(c),
    pauseReading() {
      ctx.pauses++;
      return c.pauseReading();
    },
  };
  return ctx;
}
