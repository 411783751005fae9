/**
 * Which in-flight command an untagged response (or a large literal inside
 * one) belongs to. An untagged response goes to the oldest in-flight command
 * whose `collect` names it (RFC 9051 7: untagged data is not tied to a
 * command, so the oldest asker is the best guess); an ESEARCH carrying a
 * `(TAG "x")` goes to the command with that tag when it collects ESEARCH.
 * @internal
 */
import type { UntaggedResponse } from '../model/response.js';

/** What the router needs to know about an in-flight command. */
export interface Collector {
  readonly tag: string;
  readonly collect: ReadonlySet<string>;
}

/** The names an untagged response can be collected under (`OTHER` also by its atom). */
export function responseNames(response: UntaggedResponse): readonly string[] {
  return response.name === 'OTHER' ? [response.atom, 'OTHER'] : [response.name];
}

/** The oldest command in `inFlight` collecting `name`, if any. */
export function collectorByName<T extends Collector>(
  inFlight: readonly T[],
  name: string,
): T | undefined {
  for (let i = 0; i < inFlight.length; i++) {
    const command = inFlight[i]!;
    if (command.collect.has(name)) return command;
  }
  return undefined;
}

/** The command that should receive `response`, if any. */
export function collectorFor<T extends Collector>(
  inFlight: readonly T[],
  response: UntaggedResponse,
): T | undefined {
  if (response.name === 'ESEARCH' && response.tag !== null) {
    const tag = response.tag;
    const byTag = inFlight.find((c) => c.tag === tag && c.collect.has('ESEARCH'));
    if (byTag !== undefined) return byTag;
  }
  // As responseNames() orders them, without an array per response.
  if (response.name !== 'OTHER') return collectorByName(inFlight, response.name);
  return collectorByName(inFlight, response.atom) ?? collectorByName(inFlight, 'OTHER');
}
