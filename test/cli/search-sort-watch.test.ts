/**
 * `imapkit search --sort` (ESORT against the real Dovecot: the exact order
 * of messages seeded with known subjects, senders, dates and sizes),
 * `search --watch` (CONTEXT=SEARCH: ADDTO / REMOVEFROM from another
 * session's APPEND and STORE, Ctrl-C exits 0), their usage errors, and the
 * server's INPROGRESS reports drawn on a terminal (a scripted server, since
 * Dovecot sends none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { store } from '../../src/commands/store.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { parseSortKeys } from '../../src/cli/sort-keys.js';
import { formatServerProgress } from '../../src/cli/progress.js';
import { liveSearchLine } from '../../src/cli/live-search.js';
import { literal, mailbox } from '../../src/wire/args.js';
import {
  createMailboxWith,
  deleteMailboxes,
  plainOptions,
  testMessage,
} from '../helpers/dovecot.js';
import { startScriptedServer, type ScriptedConnection } from '../helpers/scripted-server.js';
import { cliEnv, jsonLines, runCli, type CliRun } from './helpers.js';

let carol: ImapConnection;
const created: string[] = [];
/** Five messages with known sort keys, UIDs 1-5 in this order. */
let sortBox: string;

function scratchName(): string {
  const name = `t-cli-sort-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  created.push(name);
  return name;
}

function message(subject: string, from: string, date: string, bodyBytes: number): string {
  return (
    `From: ${from}\r\nTo: carol@example.com\r\nSubject: ${subject}\r\nDate: ${date}\r\n` +
    `Message-ID: <${Math.random().toString(36).slice(2)}@imapkit.test>\r\n\r\n` +
    `${'x'.repeat(bodyBytes)}\r\n`
  );
}

beforeAll(async () => {
  carol = await ImapConnection.connect(plainOptions('carol'));
  sortBox = scratchName();
  await createMailboxWith(carol, sortBox, [
    message('Bravo', 'Carol <carol@example.com>', 'Wed, 3 Jan 2024 10:00:00 +0000', 300),
    message('alpha', 'Alice <alice@example.com>', 'Mon, 1 Jan 2024 10:00:00 +0000', 5000),
    message('Charlie', 'Bob <bob@example.com>', 'Tue, 2 Jan 2024 10:00:00 +0000', 1000),
    message('Re: Alpha', 'Dave <dave@example.com>', 'Thu, 4 Jan 2024 10:00:00 +0000', 100),
    message('delta', 'Bob <bob@example.com>', 'Fri, 5 Jan 2024 10:00:00 +0000', 2000),
  ]);
});

afterAll(async () => {
  await deleteMailboxes(carol, created);
  await carol.logout();
});

async function sorted(...args: string[]): Promise<number[]> {
  const r = await runCli(['search', sortBox, ...args], { env: cliEnv('carol') });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

describe('search --sort', () => {
  it('prints the UIDs in the order the server sorts them, for each key and -KEY', async () => {
    // SUBJECT is the base subject (RFC 5256 2.1: "Re: " dropped), compared case-insensitively;
    // ties (alpha / Re: Alpha) in sequence order.
    expect(await sorted('--sort', 'subject')).toEqual([2, 4, 1, 3, 5]);
    expect(await sorted('--sort', '-size')).toEqual([2, 5, 3, 1, 4]);
    expect(await sorted('--sort', 'size')).toEqual([4, 1, 3, 5, 2]);
    expect(await sorted('--sort', 'DATE')).toEqual([2, 3, 1, 4, 5]);
    expect(await sorted('--sort', '-date')).toEqual([5, 4, 1, 3, 2]);
    expect(await sorted('--sort', 'arrival')).toEqual([1, 2, 3, 4, 5]);
    // FROM: the first sender's mailbox; the two bob@ messages by the second key.
    expect(await sorted('--sort', 'from,-size')).toEqual([2, 5, 3, 1, 4]);
    expect(await sorted('--sort', 'from,size')).toEqual([2, 3, 5, 1, 4]);
    expect(await sorted('--sort=-subject,date')).toEqual([5, 3, 1, 2, 4]);
  });

  it('keeps the sort with criteria, --limit (the first N) and --json', async () => {
    expect(await sorted('-from:bob', '--sort', '-date')).toEqual([4, 1, 2]);
    expect(await sorted('--sort', '-size', '--limit', '2')).toEqual([2, 5]);
    const r = await runCli(['search', sortBox, '--sort', 'subject', '--json'], {
      env: cliEnv('carol'),
    });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      { uid: 2 },
      { uid: 4 },
      { uid: 1 },
      { uid: 3 },
      { uid: 5 },
    ]);
    expect(await sorted('subject:nothing-matches', '--sort', 'date')).toEqual([]);
    // Seeded INBOX messages arrived on different days: a descending run of UIDs.
    const inbox = await runCli(['search', 'INBOX', 'uid:1:5', '--sort', '-arrival']);
    expect(inbox.stdout).toBe('5\n4\n3\n2\n1\n');
  });

  it('asks with ESORT (UID SORT RETURN (ALL)) when the server offers it', async () => {
    const r = await runCli(['search', sortBox, 'unseen', '--sort', '-date,size', '--debug'], {
      env: cliEnv('carol'),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /\[trace\] C: A\d+ UID SORT RETURN \(ALL\) \(REVERSE DATE SIZE\) UTF-8 UNSEEN\n/,
    );
    expect(r.stdout).toBe('5\n4\n1\n3\n2\n');
  });

  it('--summary lists the rows in sort order (table and JSON Lines)', async () => {
    const table = await runCli(['search', sortBox, '--sort', '-size', '--summary'], {
      env: cliEnv('carol'),
    });
    expect(table.code).toBe(0);
    const rows = table.stdout.split('\n').filter(Boolean);
    expect(rows[0]).toMatch(/^UID\s+DATE\s+FROM\s+SUBJECT\s+FLAGS$/);
    expect(rows.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['2', '5', '3', '1', '4']);
    expect(rows[1]).toMatch(/^2\s+2024-01-01 10:00\s+Alice <alice@example\.com>\s+alpha/);
    const json = await runCli(
      ['search', sortBox, '--sort', 'date', '--summary', '--json', '--limit', '3'],
      { env: cliEnv('carol') },
    );
    expect(
      jsonLines(json.stdout).map((r) => (r as { uid: number; subject: string }).subject),
    ).toEqual(['alpha', 'Charlie', 'Bravo']);
  });

  it('an unknown or empty sort key is a usage error (exit 2), nothing is sent', async () => {
    const bad = await runCli(['search', 'INBOX', '--sort', 'date,bogus'], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      'imapkit: --sort: unknown sort key "bogus" (keys: arrival, cc, date, from, size, ' +
        'subject, to, displayfrom, displayto; -KEY for descending)\n',
    );
    const empty = await runCli(['search', 'INBOX', '--sort', 'date,,size'], { env: {} });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('imapkit: --sort: empty sort key in "date,,size"\n');
    const reverseOnly = await runCli(['search', 'INBOX', '--sort=-'], { env: {} });
    expect(reverseOnly.code).toBe(2);
    const missing = await runCli(['search', 'INBOX', '--sort'], { env: {} });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^imapkit: Option '--sort <value>' argument missing/);
  });

  it('parseSortKeys: keys case-insensitive, -KEY reversed, in order', () => {
    expect(parseSortKeys('-date,From, size')).toEqual([{ reverse: 'DATE' }, 'FROM', 'SIZE']);
    expect(parseSortKeys('displayfrom,-displayto,arrival,cc,to,subject')).toEqual([
      'DISPLAYFROM',
      { reverse: 'DISPLAYTO' },
      'ARRIVAL',
      'CC',
      'TO',
      'SUBJECT',
    ]);
    expect(() => parseSortKeys('--date')).toThrow(/unknown sort key "--date"/);
  });
});

type LiveRecord = Record<string, unknown>;

/** Runs `search --watch` in-process, collecting its stdout lines as they come. */
function startLive(
  args: string[],
  env: Record<string, string>,
): {
  lines: string[];
  waitForLine(test: (line: string) => boolean): Promise<string>;
  stop(): Promise<CliRun>;
} {
  const controller = new AbortController();
  const lines: string[] = [];
  const waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let buffered = '';
  const run = runCli(['search', ...args, '--watch'], {
    env,
    signal: controller.signal,
    onStdout: (text) => {
      buffered += text;
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        for (const w of waiters.filter((w) => w.test(line))) w.resolve(line);
      }
    },
  });
  return {
    lines,
    waitForLine: (test) =>
      new Promise((resolve, reject) => {
        const found = lines.find(test);
        if (found !== undefined) return resolve(found);
        waiters.push({ test, resolve });
        // A run that ends without the line fails the wait at once.
        void run.then((r) =>
          reject(new Error(`search --watch ended (${r.code}): ${r.stderr}${r.stdout}`)),
        );
      }),
    stop: () => {
      controller.abort();
      return run;
    },
  };
}

describe('search --watch', () => {
  it('--json: the matches, then added/removed as other sessions append and change mail; Ctrl-C exits 0', async () => {
    const box = scratchName();
    await createMailboxWith(carol, box, [
      testMessage('watch me'),
      testMessage('something else'),
      testMessage('watch me too'),
    ]);
    const live = startLive([box, 'subject:watch', 'unseen', '--json'], cliEnv('carol'));
    const parsed = (l: string): LiveRecord => JSON.parse(l) as LiveRecord;
    await live.waitForLine((l) => parsed(l).event === 'watching');
    expect(live.lines.map(parsed)).toEqual([
      { uid: 1 },
      { uid: 3 },
      { event: 'watching', mailbox: box, matches: 2 },
    ]);
    const other = await ImapConnection.connect(plainOptions('carol'));
    try {
      // One that does not match, then one that does: only the second is added.
      await other.exec('APPEND', [mailbox(box), literal(testMessage('unrelated'))]);
      await other.exec('APPEND', [mailbox(box), literal(testMessage('please watch this'))]);
      expect(parsed(await live.waitForLine((l) => parsed(l).event === 'added'))).toEqual({
        event: 'added',
        uids: '5',
      });
      // Read elsewhere: no longer unseen, so it leaves the result.
      await other.exec('SELECT', [mailbox(box)]);
      await store(other, 1, { add: ['\\Seen'], uid: true });
      expect(parsed(await live.waitForLine((l) => parsed(l).event === 'removed'))).toEqual({
        event: 'removed',
        uids: '1',
      });
    } finally {
      await other.logout();
    }
    const r = await live.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).filter((x) => (x as LiveRecord).event !== undefined)).toEqual([
      { event: 'watching', mailbox: box, matches: 2 },
      { event: 'added', uids: '5' },
      { event: 'removed', uids: '1' },
    ]);
  });

  it('human: UIDs, then timed "added uid N" lines; the watching note on stderr', async () => {
    const box = scratchName();
    await createMailboxWith(carol, box, [testMessage('first')]);
    const live = startLive([box], cliEnv('carol'));
    await live.waitForLine((l) => l === '1');
    // The initial result is printed before the context is watched; wait for IDLE to be
    // running by appending until the update comes.
    await carol.exec('APPEND', [mailbox(box), literal(testMessage('second'))]);
    const added = await live.waitForLine((l) => l.includes('added'));
    expect(added).toMatch(/^\d\d:\d\d:\d\d added {4}uid 2$/);
    const r = await live.stop();
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)[0]).toBe('1');
    expect(r.stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d watching ${box} \\(1 matches\\); Ctrl-C to stop\\n$`),
    );
  });

  it('cannot be combined with --sort, --limit or --summary (exit 2)', async () => {
    for (const [option, ...rest] of [['--sort', 'date'], ['--limit', '3'], ['--summary']]) {
      const r = await runCli(['search', 'INBOX', '--watch', option!, ...rest], { env: {} });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`imapkit: --watch cannot be combined with ${option}\n`);
    }
  });

  it('record lines: the human form of each update', () => {
    const at = new Date('2026-01-02T08:14:31Z');
    expect(liveSearchLine({ event: 'added', uids: '42:44' }, at)).toBe(
      '08:14:31 added    uid 42:44',
    );
    expect(liveSearchLine({ event: 'removed', uids: '7' }, at)).toBe('08:14:31 removed  uid 7');
    expect(liveSearchLine({ event: 'watching', mailbox: 'INBOX', matches: 3 }, at)).toBe(
      '08:14:31 watching INBOX (3 matches); Ctrl-C to stop',
    );
  });
});

/**
 * A scripted server that answers LOGIN, EXAMINE, UID SEARCH (with two
 * INPROGRESS reports first), UID SORT (3 1 2) and LOGOUT, and OK to anything else; it
 * announces `caps`.
 */
function fakeServer(caps: string) {
  return async (conn: ScriptedConnection): Promise<void> => {
    await conn.write(`* OK [CAPABILITY ${caps}] ready\r\n`);
    for (;;) {
      const line = await conn.readLine();
      const [tag, ...words] = line.split(' ');
      const command = words
        .slice(0, words[0]?.toUpperCase() === 'UID' ? 2 : 1)
        .join(' ')
        .toUpperCase();
      if (command === 'LOGIN') await conn.write(`${tag} OK [CAPABILITY ${caps}] in\r\n`);
      else if (command === 'CAPABILITY') {
        await conn.write(`* CAPABILITY ${caps}\r\n${tag} OK done\r\n`);
      } else if (command === 'EXAMINE' || command === 'SELECT') {
        await conn.write(
          '* FLAGS (\\Seen)\r\n* 3 EXISTS\r\n* OK [UIDVALIDITY 7] u\r\n* OK [UIDNEXT 4] n\r\n' +
            `${tag} OK [READ-ONLY] done\r\n`,
        );
      } else if (command === 'UID SEARCH') {
        await conn.write(`* OK [INPROGRESS ("${tag}" 1 4)] Searching\r\n`);
        await conn.write(`* OK [INPROGRESS ("${tag}" 4 4)] Searching\r\n`);
        await conn.write(`* SEARCH 1 3\r\n${tag} OK done\r\n`);
      } else if (command === 'UID SORT') {
        await conn.write(`* SORT 3 1 2\r\n${tag} OK done\r\n`);
      } else if (command === 'LOGOUT') {
        await conn.write(`* BYE bye\r\n${tag} OK done\r\n`);
        await conn.close();
        return;
      } else await conn.write(`${tag} OK done\r\n`);
    }
  };
}

describe('server progress (INPROGRESS, RFC 9585)', () => {
  const env = (port: number): Record<string, string> => ({
    IMAPKIT_HOST: '127.0.0.1',
    IMAPKIT_PORT: String(port),
    IMAPKIT_SECURITY: 'plain',
    IMAPKIT_USER: 'u',
    IMAPKIT_PASSWORD: 'p',
  });

  it('search draws the reports on a terminal, clears the line, then prints the UIDs', async () => {
    const server = await startScriptedServer(fakeServer('IMAP4rev1 INPROGRESS'));
    try {
      const r = await runCli(['search', 'INBOX', 'unseen'], {
        env: env(server.port),
        stderrIsTTY: true,
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('1\n3\n');
      expect(r.stderr).toBe(
        '\r\x1b[Ksearching INBOX: 25% (1/4)\r\x1b[Ksearching INBOX: 100% (4/4)\r\x1b[K',
      );
      // Not on a pipe, and never with --json.
      const piped = await runCli(['search', 'INBOX', 'unseen'], { env: env(server.port) });
      expect(piped.stderr).toBe('');
      const json = await runCli(['search', 'INBOX', 'unseen', '--json'], {
        env: env(server.port),
        stderrIsTTY: true,
      });
      expect(json.stderr).toBe('');
      expect(jsonLines(json.stdout)).toEqual([{ uid: 1 }, { uid: 3 }]);
    } finally {
      await server.close();
    }
  });

  it('search --watch on a server without CONTEXT=SEARCH: exit 5, one clear line', async () => {
    const server = await startScriptedServer(fakeServer('IMAP4rev1 ESEARCH'));
    try {
      const r = await runCli(['search', 'INBOX', 'unseen', '--watch'], { env: env(server.port) });
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'imapkit: the server cannot do this: --watch needs CONTEXT=SEARCH (RFC 5267), ' +
          'which the server does not offer\n',
      );
      // Refused before the mailbox was opened or anything searched.
      expect(server.receivedText()).not.toMatch(/EXAMINE|SEARCH/);
    } finally {
      await server.close();
    }
  });

  it('search --sort without ESORT: a plain UID SORT, printed in its order; without SORT: exit 5', async () => {
    const server = await startScriptedServer(fakeServer('IMAP4rev1 SORT'));
    try {
      const r = await runCli(['search', 'INBOX', '--sort', '-date'], { env: env(server.port) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('3\n1\n2\n');
      expect(server.receivedText()).toMatch(/^\S+ UID SORT \(REVERSE DATE\) UTF-8 ALL\r\n/m);
    } finally {
      await server.close();
    }
    const noSort = await startScriptedServer(fakeServer('IMAP4rev1'));
    try {
      const r = await runCli(['search', 'INBOX', '--sort', 'date'], { env: env(noSort.port) });
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^imapkit: the server cannot do this: .*SORT/);
      expect(noSort.receivedText()).not.toMatch(/ SORT /);
    } finally {
      await noSort.close();
    }
  });

  it('formatServerProgress: percent with a total, the count alone, or neither', () => {
    expect(formatServerProgress('searching INBOX', { count: 400, total: 1000 })).toBe(
      'searching INBOX: 40% (400/1000)',
    );
    expect(formatServerProgress('searching INBOX', { count: 400, total: null })).toBe(
      'searching INBOX: 400',
    );
    expect(formatServerProgress('searching INBOX', { count: null, total: null })).toBe(
      'searching INBOX...',
    );
    expect(formatServerProgress('x', { count: 7, total: 5 })).toBe('x: 100% (7/5)');
  });
});
