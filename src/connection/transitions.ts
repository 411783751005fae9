/**
 * The connection state machine (RFC 9051 3): what sending a command changes
 * (SELECT/EXAMINE leave the selected state, LOGOUT, STARTTLS/COMPRESS,
 * AUTHENTICATE), what its tagged completion changes, and the response code
 * of a completion. The connection's fields are reached through a
 * {@link StateMachineHost}.
 */
import type { TaggedResponse } from '../model/response.js';
import type { CommandArg } from '../wire/command-arg.js';
import { applyCode, newMailbox } from './mailbox-state.js';
import type { Pending } from './queue.js';
import type { Selecting } from './receiver.js';
import type { ConnectionState, SelectedMailbox } from './types.js';

/** The connection state the state machine reads and changes. */
export interface StateMachineHost {
  state(): ConnectionState;
  setState(state: ConnectionState): void;
  selected(): SelectedMailbox | null;
  setSelected(mailbox: SelectedMailbox | null): void;
  selecting(): Selecting | null;
  setSelecting(selecting: Selecting | null): void;
  setCapabilities(caps: readonly string[]): void;
  clearEnabled(): void;
  emitAlert(text: string): void;
  emitReadonly(): void;
  /** The selected mailbox's UIDVALIDITY changed (a tagged response's code). */
  emitUidValidity(previous: number, current: number): void;
  /** LOGOUT was sent: the server's close is expected. */
  startLogout(): void;
  /** STARTTLS or COMPRESS was sent: read line by line to find the switch point. */
  setSwitchCommand(p: Pending): void;
  /** AUTHENTICATE was sent (its continuations are redacted in the trace). */
  startAuthenticating(): void;
  /** After login: capabilities from the completion, or a new CAPABILITY command. */
  refreshCapabilities(p: Pending): Promise<void> | undefined;
  beginTls(): Promise<void>;
  beginCompression(): void;
}

/** The mailbox name of a SELECT/EXAMINE's arguments. */
export function mailboxNameOf(args: readonly CommandArg[]): string {
  const first = args[0];
  if (first === undefined) return '';
  switch (first.type) {
    case 'mailbox':
    case 'atom':
    case 'raw':
      return first.value;
    case 'rawBytes':
      return first.value.toString('utf8');
    case 'astring':
    case 'string':
      return typeof first.value === 'string' ? first.value : first.value.toString('utf8');
    default:
      return '';
  }
}

/** State changes when a command is sent. */
export function beforeSend(host: StateMachineHost, p: Pending): void {
  switch (p.verb) {
    case 'SELECT':
    case 'EXAMINE': {
      const examine = p.verb === 'EXAMINE';
      host.setSelected(null);
      host.setSelecting({
        command: p,
        mailbox: newMailbox(mailboxNameOf(p.args), examine),
        examine,
      });
      if (host.state() === 'selected') host.setState('authenticated');
      break;
    }
    case 'LOGOUT':
      host.startLogout();
      break;
    case 'STARTTLS':
    case 'COMPRESS':
      host.setSwitchCommand(p);
      break;
    case 'AUTHENTICATE':
      host.startAuthenticating();
      break;
  }
}

/** The response code of a tagged completion: CAPABILITY, ALERT, or mailbox data. */
export function applyTaggedCode(host: StateMachineHost, p: Pending, r: TaggedResponse): void {
  const code = r.code;
  if (code === null) return;
  if (code.name === 'CAPABILITY') {
    host.setCapabilities(code.capabilities);
    p.sawCapability = true;
  } else if (code.name === 'ALERT') {
    host.emitAlert(r.text);
  } else {
    const selected = host.selected();
    if (selected !== null && host.selecting()?.command !== p) {
      for (const ev of applyCode(selected, code, false)) {
        if (ev.type === 'readonly') host.emitReadonly();
        else if (ev.type === 'uidvalidity') host.emitUidValidity(ev.previous, ev.current);
      }
    }
  }
}

/** State changes on a command's completion; a returned promise delays its result. */
export function transition(
  host: StateMachineHost,
  p: Pending,
  r: TaggedResponse,
): Promise<void> | undefined {
  const ok = r.status === 'OK';
  switch (p.verb) {
    case 'SELECT':
    case 'EXAMINE': {
      const selecting = host.selecting();
      if (selecting === null || selecting.command !== p) return undefined;
      host.setSelecting(null);
      if (ok) {
        const mb = selecting.mailbox;
        if (r.code?.name === 'READ-ONLY') mb.readOnly = true;
        else if (r.code?.name === 'READ-WRITE') mb.readOnly = false;
        host.setSelected(mb);
        host.setState('selected');
      } else {
        host.setSelected(null);
        if (host.state() === 'selected') host.setState('authenticated');
      }
      return undefined;
    }
    case 'CLOSE':
    case 'UNSELECT':
      if (ok) {
        host.setSelected(null);
        host.setState('authenticated');
      }
      return undefined;
    case 'LOGIN':
    case 'AUTHENTICATE':
      if (!ok) return undefined;
      host.setState('authenticated');
      return host.refreshCapabilities(p);
    case 'UNAUTHENTICATE':
      if (!ok) return undefined;
      host.setSelected(null);
      host.clearEnabled();
      host.setState('not-authenticated');
      return host.refreshCapabilities(p);
    case 'STARTTLS':
      return ok ? host.beginTls() : undefined;
    case 'COMPRESS':
      if (ok) host.beginCompression();
      return undefined;
    default:
      return undefined;
  }
}
