/**
 * Delays for Node.js timers from user options: `setTimeout` fires after
 * 1 ms (with a TimeoutOverflowWarning) for a delay over 2^31 − 1 ms or a
 * non-finite one, so every configurable timeout goes through here.
 * @internal
 */

/** The longest delay Node.js timers keep (2^31 − 1 ms, ~24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a timer delay: null (no timer at all) when it is not finite
 * (Infinity: never), else clamped to 0..{@link MAX_TIMER_MS}. A caller
 * whose deadline is further away than that checks again when the clamped
 * timer fires.
 */
export function timerDelay(ms: number): number | null {
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}
