/**
 * Helpers for the fault and load tests against a real Dovecot: a private
 * throwaway Dovecot instance (so restarts and a full quota never disturb the
 * tests running against the shared server in other workers), finding and
 * killing the Dovecot `imap` process serving one of our connections (only a
 * child of the given master is ever touched), slow literal streams, a
 * tracker of unhandled rejections and snapshots of active handles.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import {
  ownPortsTo,
  parentPid,
  readTcpTable,
  socketInodesOf,
  type TestServerEnv,
} from '../helpers/dovecot.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'scripts', 'test-server.sh');

// ----------------------------------------------------------------------
// A private Dovecot instance

/** A Dovecot of our own, started with `scripts/test-server.sh` in its own state dir and ports. */
export interface PrivateServer {
  dir: string;
  port: number;
  tlsPort: number;
  /** The current env.json (re-read after every start). */
  env: TestServerEnv;
}

/** Two free TCP ports on 127.0.0.1 (asked from the kernel, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Runs `scripts/test-server.sh <action>` for the private instance. Output goes
 * to a log file, not a pipe: the Dovecot master the script starts keeps the
 * script's stderr open, so waiting for a pipe to close would wait for Dovecot
 * to exit.
 */
export function runServerScript(
  server: Pick<PrivateServer, 'dir' | 'port' | 'tlsPort'>,
  action: 'start' | 'stop' | 'restart' | 'reseed',
  timeoutMs = 120_000,
): Promise<void> {
  const logFile = `${server.dir}.script.log`;
  const fd = openSync(logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [script, action], {
      cwd: root,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        IMAPKIT_TEST_DIR: server.dir,
        IMAPKIT_TEST_PORT: String(server.port),
        IMAPKIT_TEST_TLS_PORT: String(server.tlsPort),
      },
    });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve();
        return;
      }
      let tail = '';
      try {
        tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        // no log
      }
      reject(
        new Error(
          `test-server.sh ${action} for ${server.dir} failed (${signal ?? `exit ${code}`}):\n${tail}`,
        ),
      );
    });
  });
}

function readEnv(dir: string): TestServerEnv {
  return JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as TestServerEnv;
}

/** Starts a private Dovecot (its own state dir under /tmp and two free ports), seeded like the shared one. */
export async function startPrivateServer(name: string): Promise<PrivateServer> {
  const [port, tlsPort] = await freePorts(2);
  const dir = `/tmp/imapkit-${name}-${process.pid}`;
  const server = { dir, port: port!, tlsPort: tlsPort! };
  await runServerScript(server, 'start');
  return { ...server, env: readEnv(dir) };
}

/** Starts the private server again after {@link stopPrivateServer}; refreshes `server.env`. */
export async function restartPrivateServer(server: PrivateServer): Promise<void> {
  await runServerScript(server, 'start');
  server.env = readEnv(server.dir);
}

/** Stops the private server (idempotent). */
export async function stopPrivateServer(server: PrivateServer): Promise<void> {
  await runServerScript(server, 'stop');
}

/** Stops the private server and deletes its state dir and script log. */
export async function destroyPrivateServer(server: PrivateServer): Promise<void> {
  await stopPrivateServer(server);
  if (server.dir.startsWith('/tmp/imapkit-')) {
    rmSync(server.dir, { recursive: true, force: true });
    rmSync(`${server.dir}.script.log`, { force: true });
  }
}

/** True when `pid` is alive (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// ----------------------------------------------------------------------
// Connecting

/** Options for `user` on `env` over plaintext, or implicit TLS verified with the server's CA. */
export function optionsFor(
  env: TestServerEnv,
  user: string,
  security: 'none' | 'tls' = 'none',
  extra: Partial<ConnectOptions> = {},
): ConnectOptions {
  const password = env.users[user];
  if (password === undefined) throw new Error(`no user ${user} on the test server`);
  return {
    host: env.host,
    port: security === 'tls' ? env.tlsPort : env.port,
    security,
    ...(security === 'tls'
      ? { tls: { ca: readFileSync(env.caFile), servername: 'localhost' } }
      : {}),
    auth: { username: user, password },
    ...extra,
  };
}

// ----------------------------------------------------------------------
// Finding the Dovecot imap process of one of our connections

let mailUid: number | null | undefined;

/** The uid of the `imapkit` mail user the test Dovecot runs imap processes as. */
function imapkitUid(): number | null {
  if (mailUid !== undefined) return mailUid;
  mailUid = null;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === 'imapkit') mailUid = Number(f[2]);
    }
  } catch {
    // no passwd
  }
  return mailUid;
}

/**
 * True when `pid` is a Dovecot `imap` process, a direct child of the master
 * `masterPid`, running as the imapkit mail user: the only processes these
 * tests ever signal.
 */
export function isOurImapProcess(pid: number, masterPid: number): boolean {
  if (parentPid(pid) !== masterPid) return false;
  try {
    if (!/\/imap( \(deleted\))?$/.test(readlinkSync(`/proc/${pid}/exe`))) return false;
    const uid = imapkitUid();
    if (uid === null) return false;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^Uid:\s+(\d+)/m.exec(status);
    return m !== null && Number(m[1]) === uid && statSync(`/proc/${pid}`).uid === uid;
  } catch {
    return false;
  }
}

/**
 * The Dovecot `imap` process holding the server side of our plaintext
 * connection from local port `clientPort` (after login Dovecot hands the
 * client socket itself to the imap process).
 */
export function imapProcessOf(env: TestServerEnv, clientPort: number): number | null {
  const serverSide = readTcpTable().find(
    (e) => e.localPort === env.port && e.remotePort === clientPort,
  );
  if (serverSide === undefined) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!isOurImapProcess(pid, env.pid)) continue;
    if (socketInodesOf(pid).has(serverSide.inode)) return pid;
  }
  return null;
}

/** Connects `user` over plaintext to `env`, logged in, and finds its Dovecot imap process. */
export async function connectWithPid(
  env: TestServerEnv,
  user: string,
  extra: Partial<ConnectOptions> = {},
): Promise<{ conn: ImapConnection; pid: number }> {
  const before = ownPortsTo(env.port);
  const conn = await ImapConnection.connect(optionsFor(env, user, 'none', extra));
  const added = [...ownPortsTo(env.port)].filter((p) => !before.has(p));
  if (added.length !== 1) {
    conn.close();
    throw new Error(`could not identify our connection (${added.length} new local ports)`);
  }
  const pid = imapProcessOf(env, added[0]!);
  if (pid === null) {
    conn.close();
    throw new Error('could not find the Dovecot imap process of our connection');
  }
  return { conn, pid };
}

/** SIGKILLs `pid` after checking again that it is an imap child of our master `masterPid`. */
export function killImapProcess(pid: number, masterPid: number): void {
  if (!isOurImapProcess(pid, masterPid)) {
    throw new Error(`refusing to kill ${pid}: not an imap process of Dovecot master ${masterPid}`);
  }
  process.kill(pid, 'SIGKILL');
}

// ----------------------------------------------------------------------
// Messages and streams

/** An RFC 5322 message of exactly `size` bytes (CRLF lines of 78 characters). */
export function messageOfSize(size: number, subject: string, fill = 'x'): Buffer {
  const header = Buffer.from(
    `From: Faults <faults@example.com>\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n` +
      `Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMIME-Version: 1.0\r\n\r\n`,
  );
  if (size < header.length) throw new Error(`message of ${size} bytes is too small`);
  const line = Buffer.from(fill.repeat(78) + '\r\n');
  const body = Buffer.alloc(size - header.length);
  for (let i = 0; i < body.length; i += line.length) line.copy(body, i);
  // End with CRLF so the message is well formed whatever the size.
  if (body.length >= 2) body.write('\r\n', body.length - 2);
  return Buffer.concat([header, body]);
}

/** A Readable producing `size` bytes of a message, `chunk` bytes every `delayMs`. */
export interface SlowStream {
  stream: Readable;
  size: number;
  /** Bytes handed to the consumer so far. */
  produced(): number;
}

/** A message of `size` bytes, produced slowly: `chunk` bytes every `delayMs` ms. */
export function slowMessageStream(size: number, chunk: number, delayMs: number): SlowStream {
  const header = Buffer.from('Subject: slow stream\r\n\r\n');
  const line = Buffer.from('z'.repeat(78) + '\r\n');
  let produced = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        if (produced >= size) return;
        const n = Math.min(chunk, size - produced);
        const buf = Buffer.alloc(n);
        for (let i = 0; i < n; i++) {
          const at = produced + i;
          buf[i] = at < header.length ? header[at]! : line[(at - header.length) % line.length]!;
        }
        produced += n;
        this.push(buf);
        if (produced >= size) this.push(null);
      }, delayMs);
    },
    destroy(err, cb) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      cb(err);
    },
  });
  return { stream, size, produced: () => produced };
}

// ----------------------------------------------------------------------
// Process-level observation

/** Records unhandled promise rejections until `stop()`. */
export function trackUnhandledRejections(): { reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  return { reasons, stop: () => process.off('unhandledRejection', onRejection) };
}

/** What `p` rejects with; fails, naming the value, if it resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (err: unknown) => err,
  );
}

/** Lets pending I/O callbacks and microtasks run (so late rejections surface). */
export async function settle(ms = 50): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, ms));
  await new Promise((r) => setImmediate(r));
}

/** The kinds of active handles we check for leaks. */
export const LEAK_KINDS = ['TCPSocketWrap', 'TLSWrap', 'Timeout'] as const;

/** Counts of `process.getActiveResourcesInfo()` entries of the leak-relevant kinds. */
export function activeResources(): Record<(typeof LEAK_KINDS)[number], number> {
  const counts = { TCPSocketWrap: 0, TLSWrap: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind as keyof typeof counts]++;
  }
  return counts;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns its last result. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
