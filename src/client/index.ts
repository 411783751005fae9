/**
 * The high-level client: {@link ImapClient} with mailbox locks, events,
 * streaming downloads, IDLE and automatic reconnection with QRESYNC resync.
 */
export { ImapClient } from './client.js';
export type {
  ClientFetchOptions,
  ClientMoveOptions,
  DeleteOptions,
  FlagOptions,
  MessageOptions,
} from './messages.js';
export type { DownloadMeta, DownloadOptions, DownloadResult } from './download.js';
export type { ClientContextOptions, ClientESearchOptions, ClientESortOptions } from './esearch.js';
export type { ListTreeOptions, MailboxTreeNode } from './mailbox-tree.js';
/** The mailbox tree from LIST entries, as {@link ImapClient.listTree} builds it. */
export { buildMailboxTree, MAX_TREE_DEPTH } from './mailbox-tree.js';
/** A MIME parameter (e.g. a body part's `filename`) with RFC 2231 and RFC 2047 encodings undone. */
export { mimeParam } from './download.js';
export type {
  ChangedMessage,
  ClientEvents,
  CloseEvent,
  DisconnectEvent,
  ExistsEvent,
  ExpungeEvent,
  FlagsEvent,
  MailboxInfo,
  ReconnectEvent,
  ResyncEvent,
  ResyncMethod,
  UidValidityChangeEvent,
  VanishedEvent,
} from './events.js';
export type { MailboxLock, MailboxOpenOptions } from './mailbox-lock.js';
export type { ClientOptions, ReconnectOptions } from './options.js';
