/**
 * Getting the server ready: start the project's Dovecot, seed the bench
 * account (cached by the script's manifest), and prepare the mailboxes the
 * workloads use. Setup talks to the server through ImapFlow; none of it is
 * measured.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import type { Scale } from './workloads.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);
const CACHE = join(BENCH_DIR, '.cache');
const SCRIPT = join(ROOT, 'scripts', 'test-server.sh');

/** /tmp/imapkit-test-server/env.json */
export interface ServerEnv {
  host: string;
  port: number;
  tlsPort: number;
  caFile: string;
  stateDir: string;
  pid: number;
  users: Record<string, string>;
}

export const BENCH_USER = 'bench';

/** What the workloads need to know about the prepared account. */
export interface Prepared {
  inboxMessages: number;
  /** W1 range; `1:*` when it covers the whole INBOX. */
  w1Range: string;
  w1Count: number;
  w2Range: string;
  w2Count: number;
  /** W3: the chosen message of Big. */
  bigUid: number;
  bigSize: number;
  /** W4: the first UID of mailbox W4 (UIDs are contiguous). */
  w4FirstUid: number;
  /** W5: the message file. */
  w5File: string;
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

/** Runs scripts/test-server.sh with a time limit; its stdout is returned. */
function testServer(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(
        new Error(
          `scripts/test-server.sh ${args.join(' ')} did not finish in ${timeoutMs / 1000} s ` +
            `(waiting for its lock? see the state dir's .lock)`,
        ),
      );
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`scripts/test-server.sh ${args.join(' ')} exited with ${code}`));
    });
  });
}

/** The N the bench account is seeded with now, from the script's manifest, or 0. */
function seededCount(stateDir: string): number {
  try {
    const m = /^n=(\d+) /.exec(readFileSync(join(stateDir, '.bench-manifest'), 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Starts Dovecot and seeds the bench account. A quick run reuses a larger
 * seed (it fetches only its first messages) so it never undoes a full seed.
 */
export async function startServer(scale: Scale): Promise<ServerEnv> {
  let env = JSON.parse(await testServer(['start'], 10 * 60_000)) as ServerEnv;
  const have = seededCount(env.stateDir);
  if (scale.name === 'quick' && have >= scale.seedMessages) {
    log(`bench account already seeded with ${have} messages; quick mode uses the first ones`);
  } else {
    log(`seed-large ${scale.seedMessages} (cached by the script's manifest) ...`);
    env = JSON.parse(
      await testServer(['seed-large', String(scale.seedMessages)], 60 * 60_000),
    ) as ServerEnv;
  }
  if (!env.users[BENCH_USER]) throw new Error(`env.json has no user ${BENCH_USER}`);
  return env;
}

/** An ImapFlow session for setup work. */
export async function admin<T>(env: ServerEnv, body: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: env.host,
    port: env.tlsPort,
    secure: true,
    tls: { ca: readFileSync(env.caFile) },
    auth: { user: BENCH_USER, pass: env.users[BENCH_USER]! },
    logger: false,
    disableAutoIdle: true,
  });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.logout();
  }
}

async function mailboxSize(c: ImapFlow, name: string): Promise<number | null> {
  try {
    const st = await c.status(name, { messages: true });
    return st === false ? null : (st.messages ?? 0);
  } catch {
    return null; // no such mailbox
  }
}

/** A deterministic pseudo-random text source (LCG), the same on every run. */
function textSource(seed: number): (bytes: number) => string {
  const words = (
    'the of and to in is it that for on was with as at by this from or have an be which ' +
    'are not but had all were when there can more if out so said what up its about into ' +
    'than them only other new some could time these two may then first any like now my ' +
    'such make over our even most me state after also made many did must before back'
  ).split(' ');
  let x = seed >>> 0;
  const next = (): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
  return (bytes) => {
    const lines: string[] = [];
    let line = '';
    let size = 0;
    while (size < bytes) {
      const w = words[next() % words.length]!;
      if (line.length + w.length > 72) {
        lines.push(line);
        size += line.length + 2;
        line = '';
      }
      line += (line ? ' ' : '') + w;
    }
    if (line) lines.push(line);
    return lines.join('\r\n');
  };
}

/** A small RFC 5322 message, `i`-th of a deterministic series. */
export function makeMessage(series: string, i: number, bodyBytes: number): Buffer {
  const text = textSource(i * 7919 + series.length)(bodyBytes);
  const date = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toUTCString().replace('GMT', '+0000');
  return Buffer.from(
    [
      `Message-ID: <${series}.${i}@bench.imapkit.test>`,
      `Date: ${date}`,
      `From: Bench Sender <sender${i % 50}@example.com>`,
      'To: Bench User <bench@example.com>',
      `Subject: ${series} message ${i}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      text,
      '',
    ].join('\r\n'),
  );
}

/** Writes (once) the W5 message file read by the workers, see common.ts readMessages. */
function writeW5Messages(count: number, size: number): string {
  const file = join(CACHE, `w5-${count}x${size}.bin`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE, { recursive: true });
  const msgs = Array.from({ length: count }, (_, i) => makeMessage('W5', i, size - 300));
  const header = Buffer.from(JSON.stringify({ sizes: msgs.map((m) => m.length) }) + '\n');
  writeFileSync(file, Buffer.concat([header, ...msgs]));
  return file;
}

/** Makes sure mailbox W4 holds exactly `size` messages (appended once, then kept). */
async function ensureW4(c: ImapFlow, size: number): Promise<number> {
  if ((await mailboxSize(c, 'W4')) !== size) {
    log(`creating mailbox W4 with ${size} messages ...`);
    if ((await mailboxSize(c, 'W4')) !== null) await c.mailboxDelete('W4');
    await c.mailboxCreate('W4');
    for (let i = 0; i < size; i++) await c.append('W4', makeMessage('W4', i, 1500));
  }
  const lock = await c.getMailboxLock('W4');
  try {
    const uids = await c.search({ all: true }, { uid: true });
    if (!uids || uids.length !== size) throw new Error('mailbox W4 changed while preparing');
    const first = Math.min(...uids);
    if (Math.max(...uids) !== first + size - 1) throw new Error('W4 UIDs are not contiguous');
    return first;
  } finally {
    lock.release();
  }
}

/** Prepares mailboxes and files; returns what the jobs need. */
export async function prepare(env: ServerEnv, scale: Scale): Promise<Prepared> {
  return admin(env, async (c) => {
    const inbox = (await mailboxSize(c, 'INBOX')) ?? 0;
    if (inbox < scale.w1Messages || inbox < scale.w2Messages) {
      throw new Error(`INBOX of ${BENCH_USER} has ${inbox} messages, fewer than needed`);
    }
    const bigLock = await c.getMailboxLock('Big');
    let big: { uid: number; size: number }[] = [];
    try {
      for await (const m of c.fetch('1:*', { uid: true, size: true })) {
        big.push({ uid: m.uid, size: m.size ?? 0 });
      }
    } finally {
      bigLock.release();
    }
    if (big.length === 0) throw new Error('mailbox Big is empty');
    big = big.sort((a, b) => a.size - b.size);
    const pick = scale.w3Pick === 'largest' ? big[big.length - 1]! : big[0]!;
    const w4FirstUid = await ensureW4(c, scale.w4MailboxSize);
    return {
      inboxMessages: inbox,
      w1Range: inbox === scale.w1Messages ? '1:*' : `1:${scale.w1Messages}`,
      w1Count: scale.w1Messages,
      w2Range: `1:${scale.w2Messages}`,
      w2Count: scale.w2Messages,
      bigUid: pick.uid,
      bigSize: pick.size,
      w4FirstUid,
      w5File: writeW5Messages(scale.w5Messages, scale.w5MessageSize),
    };
  });
}

/** Before a W4 run: no message of W4 is \Flagged. */
export function resetW4(env: ServerEnv): Promise<void> {
  return admin(env, async (c) => {
    const lock = await c.getMailboxLock('W4');
    try {
      await c.messageFlagsRemove('1:*', ['\\Flagged'], { uid: true });
    } finally {
      lock.release();
    }
  });
}

/** Before a W5 run: W5 exists and is empty. */
export function resetW5(env: ServerEnv): Promise<void> {
  return admin(env, async (c) => {
    if ((await mailboxSize(c, 'W5')) !== null) await c.mailboxDelete('W5');
    await c.mailboxCreate('W5');
  });
}
