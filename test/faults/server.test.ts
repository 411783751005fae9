/**
 * Issue 6, items 8b and 8c, against a private throwaway Dovecot (started with
 * scripts/test-server.sh in its own state dir and ports, stopped and deleted
 * at the end), so that filling a quota and restarting the server never
 * disturb the tests running against the shared server in other workers.
 *
 * 8c: bob's quota (10 MiB, `count` backend, no grace) fills during APPEND:
 * Dovecot answers `NO [OVERQUOTA]`; the APPEND API says per message whether it
 * was stored (APPENDUID result, or ImapProtocolError); the connection stays
 * usable; deleting the scratch mailbox frees the quota again.
 *
 * 8b: Dovecot is stopped and started with connections open: they end with a
 * typed ImapConnectionError, a command on them rejects, connecting while the
 * server is down fails with CONNECTION_FAILED, and a new connection works
 * after the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append } from '../../src/commands/append.js';
import { create } from '../../src/commands/create.js';
import { deleteMailbox } from '../../src/commands/delete.js';
import { fetchAll } from '../../src/commands/fetch.js';
import { noop } from '../../src/commands/noop.js';
import { getQuotaRoot, type QuotaResource } from '../../src/commands/quota.js';
import { select } from '../../src/commands/select.js';
import { status } from '../../src/commands/status.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapConnectionError, ImapProtocolError } from '../../src/model/errors.js';
import {
  destroyPrivateServer,
  messageOfSize,
  optionsFor,
  rejectionOf,
  restartPrivateServer,
  settle,
  slowMessageStream,
  startPrivateServer,
  stopPrivateServer,
  trackUnhandledRejections,
  type PrivateServer,
} from './helpers.js';

let server: PrivateServer | null = null;
const opened: ImapConnection[] = [];

beforeAll(async () => {
  server = await startPrivateServer('fault-server');
}, 180_000);

afterAll(async () => {
  for (const c of opened) c.close();
  if (server !== null) await destroyPrivateServer(server);
}, 60_000);

function srv(): PrivateServer {
  if (server === null) throw new Error('the private Dovecot did not start');
  return server;
}

async function connect(
  user: string,
  security: 'none' | 'tls' = 'none',
  timeoutMs = 10_000,
): Promise<ImapConnection> {
  const conn = await ImapConnection.connect(
    optionsFor(srv().env, user, security, { timeouts: { command: timeoutMs } }),
  );
  opened.push(conn);
  return conn;
}

async function storage(conn: ImapConnection, box: string): Promise<QuotaResource> {
  const q = await getQuotaRoot(conn, box);
  expect(q.roots).toEqual(['User quota']);
  const s = q.quotas.get('User quota')?.get('STORAGE');
  if (s === undefined) throw new Error('no STORAGE quota for the mailbox');
  return s;
}

function expectOverQuota(err: unknown): void {
  expect(err).toBeInstanceOf(ImapProtocolError);
  const e = err as ImapProtocolError;
  expect(e.status).toBe('NO');
  expect(e.code).toBe('PROTOCOL_NO');
  expect(e.responseCode).toEqual({ name: 'OVERQUOTA' });
  expect(e.serverText).toMatch(/^Quota exceeded \(mailbox for user is full\)/);
  expect(e.command).toMatch(/^A\d+ APPEND /);
}

describe('quota fills during APPEND (bob: 10 MiB)', () => {
  const MSG = 1024 * 1024; // 1 MiB, CRLF lines: its virtual size is its size

  it('APPEND until OVERQUOTA: stored messages report APPENDUID, the refused one is NO [OVERQUOTA] and not stored; the connection goes on; DELETE frees the quota', async () => {
    const conn = await connect('bob');
    const box = `fault-quota-${process.pid}`;
    const baseline = await storage(conn, 'INBOX');
    expect(baseline.limit).toBe(10240n);
    await create(conn, box);
    const fits = Math.floor(((Number(baseline.limit) - Number(baseline.usage)) * 1024) / MSG);
    expect(fits).toBeGreaterThanOrEqual(5);

    const stored: Array<{ uidValidity: number; uid: number } | null> = [];
    let refused: unknown = null;
    for (let i = 0; i < fits + 3 && refused === null; i++) {
      try {
        stored.push(await append(conn, box, messageOfSize(MSG, `quota ${i + 1}`)));
      } catch (err) {
        refused = err;
      }
    }
    // Exactly the messages that fit were stored, with consecutive UIDs from 1.
    expect(stored).toHaveLength(fits);
    const uidValidity = stored[0]!.uidValidity;
    expect(stored).toEqual(Array.from({ length: fits }, (_, i) => ({ uidValidity, uid: i + 1 })));
    expectOverQuota(refused);

    // The connection is still usable after the NO, and the refused message is not there.
    await noop(conn);
    const st = await status(conn, box, ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY']);
    expect(st).toEqual({ name: box, messages: fits, uidNext: fits + 1, uidValidity });
    const used = await storage(conn, box);
    expect(used.usage).toBe(baseline.usage + BigInt((fits * MSG) / 1024));
    expect(used.usage).toBeLessThanOrEqual(used.limit);

    await select(conn, box);
    const subjects = (await fetchAll(conn, '1:*', { headers: ['Subject'] })).map((m) =>
      m.headers!.toString('latin1').trim(),
    );
    expect(subjects).toEqual(Array.from({ length: fits }, (_, i) => `Subject: quota ${i + 1}`));

    // Clean up: the quota is free again.
    await conn.exec('UNSELECT');
    await deleteMailbox(conn, box);
    expect((await storage(conn, 'INBOX')).usage).toBe(baseline.usage);
    await conn.logout();
  }, 60_000);

  it('a 12 MiB streamed APPEND over the quota: NO [OVERQUOTA], nothing stored, the connection stays usable', async () => {
    const conn = await connect('bob');
    const box = `fault-quota-stream-${process.pid}`;
    const baseline = await storage(conn, 'INBOX');
    await create(conn, box);
    const unhandled = trackUnhandledRejections();
    try {
      const size = 12 * 1024 * 1024;
      const source = slowMessageStream(size, 256 * 1024, 0);
      const err = await rejectionOf(append(conn, box, { stream: source.stream, size }));
      expectOverQuota(err);

      // The next commands on the same connection work. A non-synchronizing
      // literal (LITERAL+) must be sent to its end, with the command's final
      // CRLF, even though the server already refused it: the server reads it
      // all before the next command.
      await noop(conn);
      expect(source.produced()).toBe(size);
      const st = await status(conn, box, ['MESSAGES', 'UIDNEXT']);
      expect(st).toEqual({ name: box, messages: 0, uidNext: 1 });
      // A message that fits is still accepted afterwards.
      const ok = await append(conn, box, messageOfSize(4096, 'after the refusal'));
      expect(ok?.uid).toBe(1);
      await settle();
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
      // Cleanup on a fresh connection, in case this one is wedged.
      const cleaner = await connect('bob');
      await deleteMailbox(cleaner, box);
      expect((await storage(cleaner, 'INBOX')).usage).toBe(baseline.usage);
      await cleaner.logout();
      conn.close();
    }
  }, 60_000);

  it('a 12 MiB Buffer APPEND over the quota (NO arrives while it is being written): the connection stays usable', async () => {
    const conn = await connect('bob');
    const box = `fault-quota-buffer-${process.pid}`;
    await create(conn, box);
    try {
      const err = await rejectionOf(append(conn, box, messageOfSize(12 * 1024 * 1024, 'too big')));
      expectOverQuota(err);
      await noop(conn);
      const st = await status(conn, box, ['MESSAGES']);
      expect(st).toEqual({ name: box, messages: 0 });
    } finally {
      const cleaner = await connect('bob');
      await deleteMailbox(cleaner, box);
      await cleaner.logout();
      conn.close();
    }
  }, 60_000);
});

describe('Dovecot restarted with connections open', () => {
  it('open connections end with a typed error and reject the next command; connecting while down fails; a new connection works after the restart', async () => {
    const s = srv();
    const unhandled = trackUnhandledRejections();
    try {
      const oldPid = s.env.pid;
      const plain = await connect('alice', 'none', 60_000);
      const tls = await connect('carol', 'tls', 60_000);
      const before = await select(plain, 'INBOX');
      expect(before.exists).toBeGreaterThan(0);
      const idle = await tls.idle();
      expect(idle.active).toBe(true);

      const closes = new Map<ImapConnection, Array<Error | null>>([
        [plain, []],
        [tls, []],
      ]);
      const closed = [plain, tls].map(
        (c) =>
          new Promise<Error | null>((resolve) =>
            c.on('close', (err) => {
              closes.get(c)!.push(err);
              resolve(err);
            }),
          ),
      );
      const byes: string[] = [];
      plain.on('bye', (text) => byes.push(text));
      // Give Dovecot's master time to register the new imap processes (one
      // created in the same instant as the SIGTERM is not shut down by it).
      await new Promise((r) => setTimeout(r, 500));

      await stopPrivateServer(s);

      // While Dovecot is down: connection refused, as a typed error.
      const down = await rejectionOf(ImapConnection.connect(optionsFor(s.env, 'alice')));
      expect(down).toBeInstanceOf(ImapConnectionError);
      expect((down as ImapConnectionError).code).toBe('CONNECTION_FAILED');
      expect(((down as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

      await restartPrivateServer(s);
      expect(s.env.pid).not.toBe(oldPid);

      // The old sessions are shut down with "* BYE Server shutting down."
      // (Dovecot's imap processes outlive the master by some seconds).
      const errors = await Promise.all(closed);
      for (const err of errors) {
        expect(err).toBeInstanceOf(ImapConnectionError);
        expect((err as ImapConnectionError).code).toBe('CONNECTION_BYE');
        expect((err as ImapConnectionError).serverText).toBe('Server shutting down.');
      }
      expect(byes).toEqual(['Server shutting down.']);
      expect(idle.active).toBe(false);
      for (const c of [plain, tls]) {
        expect(c.closed).toBe(true);
        expect(c.state).toBe('logout');
        const next = await rejectionOf(noop(c));
        expect(next).toBeInstanceOf(ImapConnectionError);
        expect((next as ImapConnectionError).code).toBe('CONNECTION_CLOSED');
      }
      await idle.done(); // nothing to stop; never rejects

      // A new connection to the restarted server works, over both ports.
      for (const security of ['none', 'tls'] as const) {
        const fresh = await connect('alice', security);
        const after = await select(fresh, 'INBOX');
        expect(after.exists).toBe(before.exists);
        expect(after.uidValidity).toBe(before.uidValidity);
        const freshClose = new Promise<Error | null>((r) => fresh.once('close', r));
        await fresh.logout();
        expect(await freshClose).toBeNull();
      }

      await settle();
      for (const list of closes.values()) expect(list).toHaveLength(1);
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  }, 90_000);
});
