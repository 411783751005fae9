/**
 * The real Dovecot started by `scripts/test-server.sh` (see
 * test/setup/global-setup.ts): where it listens, its users, and helpers to
 * connect to it and to find the Dovecot process serving one of our
 * connections.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import { literal, mailbox } from '../../src/wire/args.js';

/** What `scripts/test-server.sh start` writes to env.json. */
export interface TestServerEnv {
  host: string;
  /** Plain IMAP with STARTTLS. */
  port: number;
  /** Implicit TLS. */
  tlsPort: number;
  /** The test CA that signed the server certificate (for `localhost` and 127.0.0.1). */
  caFile: string;
  stateDir: string;
  /** PID of the Dovecot master. */
  pid: number;
  /** User name → password. */
  users: Record<string, string>;
}

/** The env.json path: `$IMAPKIT_TEST_DIR/env.json`, default /tmp/imapkit-test-server/env.json. */
export function envPath(): string {
  return join(process.env.IMAPKIT_TEST_DIR ?? '/tmp/imapkit-test-server', 'env.json');
}

let cached: TestServerEnv | null = null;

/** The running test server (throws with the reason when it could not be started). */
export function testServer(): TestServerEnv {
  if (cached !== null) return cached;
  const failure = process.env.IMAPKIT_TEST_SERVER_ERROR;
  let text: string;
  try {
    text = readFileSync(envPath(), 'utf8');
  } catch (err) {
    throw new Error(
      `the test Dovecot is not available (${failure ?? (err as Error).message}); ` +
        'run `bash scripts/test-server.sh start` as root',
    );
  }
  cached = JSON.parse(text) as TestServerEnv;
  return cached;
}

/** The test CA certificate (PEM). */
export function testCa(): Buffer {
  return readFileSync(testServer().caFile);
}

/** Options for a verified TLS connection to the test server. */
export function tlsOptions(): NonNullable<ConnectOptions['tls']> {
  return { ca: testCa() };
}

/** Connect options for `user` over plaintext (no TLS), logged in unless `auth: undefined` is passed. */
export function plainOptions(user = 'alice', extra: Partial<ConnectOptions> = {}): ConnectOptions {
  const env = testServer();
  return {
    host: env.host,
    port: env.port,
    security: 'none',
    auth: { username: user, password: env.users[user]! },
    ...extra,
  };
}

/** Connects as alice (plaintext on 127.0.0.1 unless `opts` says otherwise) and logs in. */
export function connectAlice(opts: Partial<ConnectOptions> = {}): Promise<ImapConnection> {
  return ImapConnection.connect(plainOptions('alice', opts));
}

/** Connects as `user` over STARTTLS, verifying the certificate with the test CA. */
export function connectStarttls(
  user = 'alice',
  opts: Partial<ConnectOptions> = {},
): Promise<ImapConnection> {
  return ImapConnection.connect(
    plainOptions(user, { security: 'starttls', tls: tlsOptions(), ...opts }),
  );
}

/** A mailbox name no other test (or concurrent run) uses. */
export function uniqueMailbox(prefix = 'conn-test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A small RFC 5322 message. */
export function testMessage(subject: string, body = 'Hello from imapkit tests.'): string {
  return (
    `From: Tests <tests@example.com>\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n` +
    `Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@imapkit.test>\r\n\r\n${body}\r\n`
  );
}

// ----------------------------------------------------------------------
// Finding the Dovecot imap process that serves one of our connections.

export interface TcpEntry {
  localPort: number;
  remotePort: number;
  inode: string;
}

export function readTcpTable(): TcpEntry[] {
  const out: TcpEntry[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = cols[1]!;
      const remote = cols[2]!;
      out.push({
        localPort: parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
        remotePort: parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16),
        inode: cols[9]!,
      });
    }
  }
  return out;
}

export function socketInodesOf(pid: number | 'self'): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  return inodes;
}

/** Local ports of this process's TCP connections to `serverPort`. */
export function ownPortsTo(serverPort: number): Set<number> {
  const mine = socketInodesOf('self');
  const ports = new Set<number>();
  for (const e of readTcpTable()) {
    if (e.remotePort === serverPort && mine.has(e.inode)) ports.add(e.localPort);
  }
  return ports;
}

export function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(after[1]);
  } catch {
    return null;
  }
}

/**
 * The PID of the Dovecot `imap` process holding the server side of our
 * plaintext connection from local port `clientPort` — only a direct child of
 * our test Dovecot master is ever returned. (For plaintext sessions Dovecot
 * passes the client socket to the imap process after login.)
 */
export function imapProcessFor(clientPort: number): number | null {
  const env = testServer();
  const serverSide = readTcpTable().find(
    (e) => e.localPort === env.port && e.remotePort === clientPort,
  );
  if (serverSide === undefined) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (parentPid(pid) !== env.pid) continue;
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      continue;
    }
    if (!/\/imap( \(deleted\))?$/.test(exe)) continue;
    if (socketInodesOf(pid).has(serverSide.inode)) return pid;
  }
  return null;
}

/** Connects as alice over plaintext and returns the connection with the PID of its Dovecot imap process. */
export async function connectAliceWithPid(
  opts: Partial<ConnectOptions> = {},
): Promise<{ conn: ImapConnection; pid: number }> {
  const env = testServer();
  const before = ownPortsTo(env.port);
  const conn = await connectAlice(opts);
  const added = [...ownPortsTo(env.port)].filter((p) => !before.has(p));
  if (added.length !== 1) {
    conn.close();
    throw new Error(`could not identify our connection (${added.length} new local ports)`);
  }
  const pid = imapProcessFor(added[0]!);
  if (pid === null) {
    conn.close();
    throw new Error('could not find the Dovecot imap process of our connection');
  }
  return { conn, pid };
}

// ----------------------------------------------------------------------
// Logging capture

/** A logger recording every message (trace and debug), for asserting on the wire trace. */
export function captureLogger(): {
  logger: NonNullable<ConnectOptions['logger']>;
  lines: string[];
  /** Everything logged, objects included, as one string (to search for secrets). */
  all(): string;
} {
  const lines: string[] = [];
  const objects: string[] = [];
  const record =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(level === 'trace' ? (msg ?? '') : `${level}: ${msg ?? ''}`);
      objects.push(JSON.stringify(obj));
    };
  return {
    logger: {
      trace: record('trace'),
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    },
    lines,
    all: () => lines.join('\n') + '\n' + objects.join('\n'),
  };
}

/**
 * A loopback address other than 127.0.0.1, different on each call. Dovecot
 * delays logins from an IP after failed ones (auth penalty, up to 15 s), so
 * tests that fail logins on purpose connect from their own address.
 */
export function freshLoopback(): string {
  const n = 1 + Math.floor(Math.random() * 0xfffffe);
  const a = (n >> 16) & 0xff;
  const b = (n >> 8) & 0xff;
  const c = n & 0xff;
  return `127.${a === 0 ? 1 : a}.${b}.${c === 0 || c === 255 ? 7 : c}`;
}

/** Creates `name` and appends `messages` to it (plain APPENDs through the engine). */
export async function createMailboxWith(
  conn: ImapConnection,
  name: string,
  messages: readonly string[],
): Promise<void> {
  await conn.exec('CREATE', [mailbox(name)]);
  for (const m of messages) await conn.exec('APPEND', [mailbox(name), literal(m)]);
}

/** Deletes mailboxes, ignoring failures (cleanup). */
export async function deleteMailboxes(
  conn: ImapConnection,
  names: readonly string[],
): Promise<void> {
  for (const name of names) await conn.run('DELETE', [mailbox(name)]).catch(() => undefined);
}
