/**
 * Which in-flight command an untagged response (or a large literal inside
 * one) belongs to. An untagged response is offered to the in-flight commands
 * collecting its name until one takes it (RFC 9051 7:
 * untagged data is not tied to a command; servers may run pipelined
 * commands side by side, so a command declines what is not its own); an
 * ESEARCH carrying a `(TAG "x")` goes only to the command with that tag,
 * when it is in flight and collects ESEARCH (else it is unsolicited: the
 * connection hands it to the receiver correlated to that tag, RFC 5267 4.3).
 * @internal
 */
import type { UntaggedResponse } from '../model/response.js';

/** What the router needs to know about an in-flight command. */
export interface Collector {
  readonly tag: string;
  readonly collect: ReadonlySet<string>;
}

/** The index of the first command in `inFlight` from `from` on collecting `name`, or -1. */
export function nextCollector(inFlight: readonly Collector[], name: string, from: number): number {
  for (let i = from; i < inFlight.length; i++) {
    if (inFlight[i]!.collect.has(name)) return i;
  }
  return -1;
}

/** The command an ESEARCH response names by its tag, if it collects ESEARCH. */
export function taggedCollector<T extends Collector>(
  inFlight: readonly T[],
  response: UntaggedResponse,
): T | undefined {
  if (response.name !== 'ESEARCH' || response.tag === null) return undefined;
  const tag = response.tag;
  return inFlight.find((c) => c.tag === tag && c.collect.has('ESEARCH'));
}

/**
 * Offers `response` to the commands collecting it (an `OTHER` response by
 * its atom, then as `OTHER`) until `take` accepts it: from index `from`
 * (the command that took the previous response: servers send each
 * command's data together, in command order) to the newest, then the older
 * ones. With `from` 0 that is oldest first. False when none took it: the response is
 * then unsolicited.
 */
export function offer<T extends Collector>(
  inFlight: readonly T[],
  response: UntaggedResponse,
  from: number,
  take: (command: T, response: UntaggedResponse) => boolean,
): boolean {
  if (response.name === 'ESEARCH' && response.tag !== null) {
    // Its correlator names the command it answers: never another's. With
    // none in flight collecting it, it is unsolicited (a RFC 5267 context
    // update, or a late or stray response).
    const byTag = taggedCollector(inFlight, response);
    return byTag !== undefined && take(byTag, response);
  }
  if (response.name !== 'OTHER') return offerByName(inFlight, response, response.name, from, take);
  return (
    offerByName(inFlight, response, response.atom, from, take) ||
    offerByName(inFlight, response, 'OTHER', from, take)
  );
}

function offerByName<T extends Collector>(
  inFlight: readonly T[],
  response: UntaggedResponse,
  name: string,
  from: number,
  take: (command: T, response: UntaggedResponse) => boolean,
): boolean {
  for (
    let i = nextCollector(inFlight, name, from);
    i >= 0;
    i = nextCollector(inFlight, name, i + 1)
  ) {
    if (take(inFlight[i]!, response)) return true;
  }
  for (let i = nextCollector(inFlight, name, 0); i >= 0 && i < from;) {
    if (take(inFlight[i]!, response)) return true;
    i = nextCollector(inFlight, name, i + 1);
  }
  return false;
}
