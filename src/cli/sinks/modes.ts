/**
 * Modes of what an export creates: mail is private, so files are 0600 and
 * directories 0700 (as mail tools make them; a umask can only narrow them).
 */

/** Mode of created files (messages, mbox, state and mark files). */
export const PRIVATE_FILE = 0o600;

/** Mode of created directories. */
export const PRIVATE_DIR = 0o700;
