/**
 * One function per IMAP command or extension. Each takes a connection (any
 * {@link CommandContext}, e.g. an `ImapConnection`) as its first argument,
 * checks the capability it needs, and returns a typed result.
 * @packageDocumentation
 */
export { getAcl, setAcl, deleteAcl, myRights, listRights } from './acl.js';
export type { ListRightsResult } from './acl.js';
export { append, appendMany, appendCatenate } from './append.js';
export type {
  AppendManyItem,
  AppendManyResult,
  AppendMessage,
  AppendOptions,
  AppendResult,
  CatenatePart,
} from './append.js';
export { capability, refuseSequenceNumbers, requireCapability } from './capability.js';
export { check } from './check.js';
export { close } from './close.js';
export { copy } from './copy.js';
export type { CopyOptions, CopyUid } from './copy.js';
export {
  applyContextUpdates,
  cancelUpdate,
  searchContext,
  sortContext,
  SearchContext,
} from './context.js';
export type {
  ContextEnd,
  ContextOptions,
  SearchContextOptions,
  SearchUpdate,
  SortContextOptions,
} from './context.js';
export { create } from './create.js';
export type { CreateOptions, CreateResult } from './create.js';
export { deleteMailbox } from './delete.js';
export { enable } from './enable.js';
export { esearch } from './esearch.js';
export type { ESearchOptions, ESearchResult, SearchReturnOption } from './esearch.js';
export { esort, sortedMembers } from './esort.js';
export type { ESortOptions, ESortResult, SortReturnOption } from './esort.js';
export { expunge } from './expunge.js';
export type { ExpungeResult } from './expunge.js';
export type { LongCommandOptions } from './progress.js';
export { compileFetchItems, sectionKey } from './fetch-items.js';
export type {
  BodyPartRequest,
  ByteRange,
  CompiledFetchItems,
  FetchItems,
  FetchItemSpec,
} from './fetch-items.js';
export { fetch, fetchAll, fetchOne, fetchStream } from './fetch.js';
export type {
  FetchedMessage,
  FetchOptions,
  FetchStreamOptions,
  FetchStreamResult,
  MessageAddress,
  MessageAddressGroup,
  MessageEnvelope,
  MessageSet,
} from './fetch.js';
export { id } from './id.js';
export type { IdFields } from './id.js';
export { getJmapAccess } from './jmapaccess.js';
export { list } from './list.js';
export type { ListOptions, ListReturn, ListSelection, MailboxEntry } from './list.js';
export { logout } from './logout.js';
export { lsub } from './lsub.js';
export { getMetadata, setMetadata } from './metadata.js';
export type { GetMetadataOptions, MetadataValues } from './metadata.js';
export { messageLimit, saveLimit } from './messagelimit.js';
export { move } from './move.js';
export type { MoveOptions, MoveResult } from './move.js';
export { namespace } from './namespace.js';
export type { NamespaceResult } from './namespace.js';
export { noop } from './noop.js';
export { notify } from './notify.js';
export type { NotifyEvent, NotifyGroup, NotifyMailboxes, NotifyOptions } from './notify.js';
export { partial } from './partial.js';
export type { PartialOptions } from './partial.js';
export { proxyAuth } from './proxyauth.js';
export { getQuota, getQuotaRoot, setQuota } from './quota.js';
export type { QuotaResource, QuotaResources, QuotaRootResult } from './quota.js';
export { rawCommand } from './raw.js';
export { rename } from './rename.js';
export { replace } from './replace.js';
export type { ReplaceOptions } from './replace.js';
export { compileSearch } from './search-query.js';
export type {
  CompiledSearch,
  CompileSearchOptions,
  ModseqCriterion,
  SearchDate,
  SearchQuery,
  SearchQueryObject,
  SetInput,
} from './search-query.js';
export { search } from './search.js';
export type { SearchOptions, SearchResult } from './search.js';
export { select, examine } from './select.js';
export type { QresyncParams, SelectChange, SelectOptions, SelectResult } from './select.js';
export { sort, SORT_KEYS } from './sort.js';
export type { SortCriterion, SortKey, SortOptions } from './sort.js';
export { status } from './status.js';
export type { StatusItem, StatusResult } from './status.js';
export { store } from './store.js';
export type { StoreChange, StoreOptions, StoreResult } from './store.js';
export { subscribe, unsubscribe } from './subscribe.js';
export { thread } from './thread.js';
export type { ThreadAlgorithm, ThreadOptions } from './thread.js';
export { uidExpunge } from './uid-expunge.js';
export { unauthenticate } from './unauthenticate.js';
export { unselect } from './unselect.js';
export type { CommandContext } from '../connection/types.js';
