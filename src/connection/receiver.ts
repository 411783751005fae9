/**
 * Helpers for receiving: the literal sink a big literal streams into (the
 * collecting command's `onLiteral`, guarded so a throwing sink fails only its
 * command), the extensions ENABLE commands in flight asked for, and the
 * mailbox events of an untagged response.
 */
import type { UntaggedResponse } from '../model/response.js';
import type { LiteralSink, LiteralStartInfo } from '../wire/parser-options.js';
import { asError } from './errors.js';
import { applyUntagged, newMailbox, type MailboxEvent } from './mailbox-state.js';
import { rejectPending, type Pending } from './queue.js';
import { nextCollector } from './router.js';
import type { SelectedMailbox } from './types.js';

/** A literal sink that drops its bytes (for responses of abandoned commands). */
export const DISCARD_SINK: LiteralSink = {
  write(): void {},
  end(): void {},
};

/** Runs a command's literal sink as that command (read pauses taken meanwhile are its). */
export type AsCommand = (p: Pending, write: () => void) => void;

/**
 * The sink for a literal announced by `info`; null to let the parser buffer
 * it. Offered to the commands collecting the response, oldest first: the
 * first whose `onLiteral` returns a sink gets it (servers run pipelined
 * commands side by side, so an older command may be still in flight). An
 * abandoned command is asked too: a literal it claims is discarded, as is
 * one that only abandoned commands could own.
 */
export function literalSinkFor(
  inFlight: readonly Pending[],
  info: LiteralStartInfo,
  asCommand: AsCommand,
): LiteralSink | null {
  if (info.name === null) return null;
  let live = false;
  let abandoned = false;
  for (let i = nextCollector(inFlight, info.name, 0); i >= 0;) {
    const p = inFlight[i]!;
    const sink = commandSink(p, info, asCommand);
    if (sink !== null) return p.abandoned ? DISCARD_SINK : sink;
    if (p.abandoned) abandoned = true;
    else live = true;
    i = nextCollector(inFlight, info.name, i + 1);
  }
  return abandoned && !live ? DISCARD_SINK : null;
}

/**
 * `p`'s sink for the literal, guarded so a throwing sink fails only `p`,
 * and run {@link AsCommand as `p`}; null when it declines.
 */
function commandSink(p: Pending, info: LiteralStartInfo, asCommand: AsCommand): LiteralSink | null {
  const onLiteral = p.options.onLiteral;
  if (onLiteral === undefined) return null;
  const abandon = (err: unknown): void => {
    p.abandoned = true;
    rejectPending(p, asError(err));
  };
  let sink: LiteralSink | null;
  try {
    sink = onLiteral(info);
  } catch (err) {
    abandon(err);
    return DISCARD_SINK;
  }
  if (sink === null) return null;
  // A throwing sink fails its command, never the connection: the bytes
  // still have to be read past to stay in sync.
  const target = sink;
  let piece: Buffer | null = null;
  const write = (): void => target.write(piece!);
  const end = (): void => target.end();
  const guarded = (step: () => void): void => {
    if (p.abandoned) return;
    try {
      asCommand(p, step);
    } catch (err) {
      abandon(err);
    }
  };
  return {
    write(chunk: Buffer): void {
      piece = chunk;
      guarded(write);
      piece = null;
    },
    end(): void {
      guarded(end);
    },
  };
}

/**
 * Extensions named by the ENABLE commands in flight (`enabling`: those
 * commands, kept by the connection), whoever sent them: atoms, and the words
 * of raw arguments (the imaplib facade's `enable('UTF8=ACCEPT')` sends its
 * argument as given, like CPython, possibly several names in one).
 */
export function enableRequests(enabling: readonly Pending[]): Set<string> {
  const asked = new Set<string>();
  for (const p of enabling) {
    for (const a of p.args) {
      if (a.type === 'atom') asked.add(a.value.toUpperCase());
      else if (a.type === 'raw' || a.type === 'rawBytes') {
        const text = a.type === 'raw' ? a.value : a.value.toString('latin1');
        for (const word of text.split(' ')) if (word !== '') asked.add(word.toUpperCase());
      }
    }
  }
  return asked;
}

const NO_EVENTS: readonly MailboxEvent[] = Object.freeze([]);

/** A SELECT/EXAMINE in flight and the mailbox it is building. */
export interface Selecting {
  command: Pending;
  mailbox: SelectedMailbox;
  examine: boolean;
}

/**
 * Applies `r` to the mailbox being selected (only VANISHED is reported then)
 * or else to the selected one, and returns the events to emit.
 */
export function applyMailbox(
  selecting: Selecting | null,
  selected: SelectedMailbox | null,
  r: UntaggedResponse,
): readonly MailboxEvent[] {
  if (selecting !== null) {
    const events = applyUntagged(selecting.mailbox, r, true);
    if (events.some((e) => e.type === 'closed')) {
      // [CLOSED]: what came before was about the previous mailbox.
      selecting.mailbox = newMailbox(selecting.mailbox.name, selecting.examine);
    }
    return events.filter((e) => e.type === 'vanished');
  }
  if (selected !== null) return applyUntagged(selected, r, false);
  return NO_EVENTS;
}
