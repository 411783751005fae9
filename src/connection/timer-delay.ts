/**
 * Delays for Node.js timers from user options: `setTimeout` fires after
 * 1 ms (with a TimeoutOverflowWarning) for a delay over 2^31 − 1 ms or a
 * non-finite one, so every configurable timeout goes through here.
 * @internal
 */

/** The longest delay Node.js timers keep (2^31 − 1 ms, ~24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a timer delay: null (no timer at all) for `Infinity` (never),
 * else clamped to 0..{@link MAX_TIMER_MS} (a longer deadline fires after
 * ~24.8 days; only the command timer re-arms until its real deadline). NaN
 * (a mis-parsed option) is 0: the timeout fires at once, loudly, rather
 * than never.
 */
export function timerDelay(ms: number): number | null {
  if (ms === Infinity) return null;
  if (Number.isNaN(ms)) return 0;
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

/** Whether a timeout option means "no timeout" (only `Infinity` does; NaN times out at once). */
export function isUnbounded(ms: number): boolean {
  return ms === Infinity;
}
