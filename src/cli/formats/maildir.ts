/**
 * Maildir: one file per message in `cur/` (or `new/`), written to `tmp/`
 * first and renamed, LF line ends, flags in the name's info part
 * (`:2,FRS`) and the INTERNALDATE as the file's mtime (as Dovecot does).
 * Keywords get the lower-case letters a-z, numbered in the folder's
 * `dovecot-keywords` file (Dovecot's convention), so they survive too.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Maildir info letters of the IMAP system flags (`P` = passed = `$Forwarded`). */
const SYSTEM_LETTERS: ReadonlyArray<readonly [letter: string, flag: string]> = [
  ['D', '\\Draft'],
  ['F', '\\Flagged'],
  ['P', '$Forwarded'],
  ['R', '\\Answered'],
  ['S', '\\Seen'],
  ['T', '\\Deleted'],
];

/** Keywords by letter (a = 0 ... z = 25), as in `dovecot-keywords`. */
export type KeywordLetters = Map<string, string>;

/**
 * The `:2,` info of a file name for these flags; keywords missing from
 * `letters` are added to it (up to 26). Keywords left without a letter (the
 * 26 are taken) are not in the name: they are pushed to `dropped`.
 */
export function flagsToInfo(
  flags: Iterable<string>,
  letters: KeywordLetters,
  dropped?: string[],
): string {
  const out = new Set<string>();
  for (const flag of flags) {
    const system = SYSTEM_LETTERS.find(([, f]) => f.toLowerCase() === flag.toLowerCase());
    if (system !== undefined) {
      out.add(system[0]);
      continue;
    }
    if (flag.startsWith('\\')) continue; // \Recent and unknown system flags are not stored
    let letter = [...letters].find(([, k]) => k === flag)?.[0];
    if (letter === undefined && letters.size < 26) {
      letter = String.fromCharCode(0x61 + letters.size);
      letters.set(letter, flag);
    }
    if (letter !== undefined) out.add(letter);
    else dropped?.push(flag);
  }
  return ':2,' + [...out].sort().join('');
}

/** The IMAP flags of a Maildir file name (none without a `:2,` info). */
export function infoToFlags(name: string, letters: KeywordLetters): string[] {
  const i = name.lastIndexOf(':2,');
  if (i === -1) return [];
  const flags: string[] = [];
  for (const ch of name.slice(i + 3)) {
    const system = SYSTEM_LETTERS.find(([l]) => l === ch);
    if (system !== undefined) flags.push(system[1]);
    else if (ch >= 'a' && ch <= 'z' && letters.has(ch)) flags.push(letters.get(ch)!);
  }
  return flags;
}

/** The unique part of the file name of an exported message: `<seconds>.M<uid>V<uidvalidity>.imapkit`. */
export function maildirBaseName(internalDate: Date, uidValidity: number, uid: number): string {
  return `${Math.floor(internalDate.getTime() / 1000)}.M${uid}V${uidValidity}.imapkit`;
}

const EXPORTED = /^\d+\.M(\d+)V(\d+)\.imapkit(?::2,.*)?$/;

/** The UID of a file exported from mailbox `uidValidity`, or null. */
export function exportedUid(name: string, uidValidity: number): number | null {
  const m = EXPORTED.exec(name);
  return m !== null && Number(m[2]) === uidValidity ? Number(m[1]) : null;
}

/** Creates `dir/cur`, `dir/new` and `dir/tmp` when missing (mode 0700, as mail tools do). */
export function ensureMaildir(dir: string): void {
  for (const sub of ['cur', 'new', 'tmp']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  }
}

/**
 * Whether `dir` looks like a Maildir: it has a `cur` directory (`new` and
 * `tmp` may be missing: tools and copies drop empty directories).
 */
export async function isMaildir(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, 'cur'))).isDirectory();
  } catch {
    return false;
  }
}

/** The names in `dir`, none when it does not exist. */
async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads `dir/dovecot-keywords` (`N keyword` per line); empty when absent. */
export async function readKeywords(dir: string): Promise<KeywordLetters> {
  const letters: KeywordLetters = new Map();
  let text: string;
  try {
    text = await readFile(join(dir, 'dovecot-keywords'), 'utf8');
  } catch {
    return letters;
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+)$/.exec(line.trim());
    if (m !== null && Number(m[1]) < 26)
      letters.set(String.fromCharCode(0x61 + Number(m[1])), m[2]!);
  }
  return letters;
}

/** Writes `dir/dovecot-keywords` (mode 0600 when created). */
export async function writeKeywords(dir: string, letters: KeywordLetters): Promise<void> {
  const lines = [...letters]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([letter, keyword]) => `${letter.charCodeAt(0) - 0x61} ${keyword}\n`);
  await writeFile(join(dir, 'dovecot-keywords'), lines.join(''), { mode: 0o600 });
}

/** One message file of a Maildir. */
export interface MaildirEntry {
  path: string;
  /** The file name (with its info). */
  name: string;
  flags: string[];
  /** The file's mtime: the message's INTERNALDATE. */
  date: Date;
}

/** The leading number of a Maildir name (its delivery time), for ordering. */
function timeOf(name: string): number {
  const m = /^(\d+)/.exec(name);
  return m === null ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** The messages of a Maildir (`new/` then `cur/`, either may be missing; `tmp/` ignored), oldest first. */
export async function listMaildir(dir: string): Promise<MaildirEntry[]> {
  const letters = await readKeywords(dir);
  const out: MaildirEntry[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await namesIn(join(dir, sub));
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, sub, name);
      const st = await stat(path);
      if (!st.isFile()) continue;
      out.push({ path, name, flags: infoToFlags(name, letters), date: st.mtime });
    }
  }
  const collator = new Intl.Collator('en', { numeric: true });
  return out.sort((a, b) => timeOf(a.name) - timeOf(b.name) || collator.compare(a.name, b.name));
}
