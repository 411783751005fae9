/** imaplib's connection states. */
export type ImaplibState = 'NONAUTH' | 'AUTH' | 'SELECTED' | 'LOGOUT';

const ANY: readonly ImaplibState[] = ['NONAUTH', 'AUTH', 'SELECTED', 'LOGOUT'];
const AUTH_SEL: readonly ImaplibState[] = ['AUTH', 'SELECTED'];
const SEL: readonly ImaplibState[] = ['SELECTED'];
const NONAUTH: readonly ImaplibState[] = ['NONAUTH'];

/** CPython imaplib's `Commands`: the states in which each command is allowed. */
export const COMMAND_STATES = new Map<string, readonly ImaplibState[]>([
  ['APPEND', AUTH_SEL],
  ['AUTHENTICATE', NONAUTH],
  ['CAPABILITY', ANY],
  ['CHECK', SEL],
  ['CLOSE', SEL],
  ['COPY', SEL],
  ['CREATE', AUTH_SEL],
  ['DELETE', AUTH_SEL],
  ['DELETEACL', AUTH_SEL],
  ['ENABLE', ['AUTH']],
  ['EXAMINE', AUTH_SEL],
  ['EXPUNGE', SEL],
  ['FETCH', SEL],
  ['GETACL', AUTH_SEL],
  ['GETANNOTATION', AUTH_SEL],
  ['GETQUOTA', AUTH_SEL],
  ['GETQUOTAROOT', AUTH_SEL],
  ['IDLE', AUTH_SEL],
  ['MYRIGHTS', AUTH_SEL],
  ['LIST', AUTH_SEL],
  ['LOGIN', NONAUTH],
  ['LOGOUT', ANY],
  ['LSUB', AUTH_SEL],
  ['MOVE', SEL],
  ['NAMESPACE', AUTH_SEL],
  ['NOOP', ANY],
  ['PARTIAL', SEL],
  ['PROXYAUTH', ['AUTH']],
  ['RENAME', AUTH_SEL],
  ['SEARCH', SEL],
  ['SELECT', AUTH_SEL],
  ['SETACL', AUTH_SEL],
  ['SETANNOTATION', AUTH_SEL],
  ['SETQUOTA', AUTH_SEL],
  ['SORT', SEL],
  ['STARTTLS', NONAUTH],
  ['STATUS', AUTH_SEL],
  ['STORE', SEL],
  ['SUBSCRIBE', AUTH_SEL],
  ['THREAD', SEL],
  ['UID', SEL],
  ['UNSUBSCRIBE', AUTH_SEL],
  ['UNSELECT', SEL],
]);
