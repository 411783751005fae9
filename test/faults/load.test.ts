/**
 * Issue 6, item 9: 200 concurrent implicit-TLS connections to the real
 * Dovecot, spread over alice, bob and carol (the test config allows 500
 * sessions per user and IP: `mail_max_userip_connections = 500`), each doing
 * login, SELECT, FETCH and LOGOUT, all succeeding; afterwards no socket, TLS
 * handle or timer is left behind, and the heap has not grown beyond a
 * generous bound.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append } from '../../src/commands/append.js';
import { create } from '../../src/commands/create.js';
import { deleteMailbox } from '../../src/commands/delete.js';
import { fetchAll } from '../../src/commands/fetch.js';
import { select } from '../../src/commands/select.js';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import { testMessage, testServer, type TestServerEnv } from '../helpers/dovecot.js';
import { activeResources, eventually, LEAK_KINDS, optionsFor, settle } from './helpers.js';

const CONNECTIONS = 200;
const USERS = ['alice', 'bob', 'carol'] as const;
const PER_BOX = 5;
const box = `faults-load-${process.pid}-${Date.now().toString(36)}`;

let env: TestServerEnv;
const admins = new Map<string, ImapConnection>();

/** A forced full GC (the flag is set at run time; a fresh context exposes `gc`). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

beforeAll(async () => {
  env = testServer();
  for (const user of USERS) {
    const conn = await ImapConnection.connect(optionsFor(env, user));
    admins.set(user, conn);
    await create(conn, box);
    for (let i = 1; i <= PER_BOX; i++) {
      await append(conn, box, testMessage(`load ${user} ${i}`), { flags: ['\\Seen'] });
    }
  }
}, 60_000);

afterAll(async () => {
  for (const conn of admins.values()) {
    await deleteMailbox(conn, box).catch(() => undefined);
    await conn.logout();
  }
});

interface Outcome {
  user: string;
  secure: boolean;
  exists: number;
  subjects: Array<string | null>;
  uids: Array<number | undefined>;
  closeError: Error | null | 'not closed';
}

async function session(i: number, base: Map<string, ConnectOptions>): Promise<Outcome> {
  const user = USERS[i % USERS.length]!;
  const conn = await ImapConnection.connect(base.get(user)!);
  let closeError: Error | null | 'not closed' = 'not closed';
  conn.once('close', (err) => {
    closeError = err;
  });
  const secure = conn.secure;
  const selected = await select(conn, box, { readOnly: true });
  const messages = await fetchAll(conn, '1:*', { uid: true, flags: true, envelope: true });
  await conn.logout();
  return {
    user,
    secure,
    exists: selected.exists,
    subjects: messages.map((m) => m.envelope?.subject ?? null),
    uids: messages.map((m) => m.uid),
    closeError,
  };
}

describe('load: 200 concurrent TLS sessions', () => {
  it('login-select-fetch-logout x200 all succeed; no sockets, TLS handles or timers leak; heap stays bounded', async () => {
    const ca = readFileSync(env.caFile);
    const base = new Map<string, ConnectOptions>(
      USERS.map((u) => [
        u,
        optionsFor(env, u, 'tls', { tls: { ca, servername: 'localhost' }, compress: false }),
      ]),
    );
    await settle();
    collectGarbage();
    const resourcesBefore = activeResources();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();

    const results = await Promise.allSettled(
      Array.from({ length: CONNECTIONS }, (_, i) => session(i, base)),
    );
    const elapsed = Date.now() - started;

    const failures = results
      .map((r, i) => (r.status === 'rejected' ? `#${i}: ${String(r.reason)}` : null))
      .filter((f) => f !== null);
    expect(failures).toEqual([]);
    const outcomes = results.map((r) => (r as PromiseFulfilledResult<Outcome>).value);
    expect(outcomes).toHaveLength(CONNECTIONS);
    outcomes.forEach((o, i) => {
      const user = USERS[i % USERS.length]!;
      expect(o).toEqual({
        user,
        secure: true,
        exists: PER_BOX,
        subjects: Array.from({ length: PER_BOX }, (_, k) => `load ${user} ${k + 1}`),
        uids: [1, 2, 3, 4, 5],
        closeError: null, // a clean LOGOUT
      });
    });
    expect(elapsed).toBeLessThan(45_000);

    // Every socket, TLS handle and timer of the 200 sessions is gone.
    const back = await eventually(() => {
      const now = activeResources();
      return (
        now.TCPSocketWrap <= resourcesBefore.TCPSocketWrap &&
        now.TLSWrap <= resourcesBefore.TLSWrap &&
        now.Timeout <= resourcesBefore.Timeout
      );
    }, 5000);
    const resourcesAfter = activeResources();
    expect(back).toBe(true);
    for (const kind of LEAK_KINDS) {
      expect(resourcesAfter[kind], kind).toBeLessThanOrEqual(resourcesBefore[kind]);
    }

    // Bounded memory: 200 finished sessions leave (almost) nothing behind.
    await settle();
    collectGarbage();
    const heapDelta = process.memoryUsage().heapUsed - heapBefore;
    expect(heapDelta).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);
});
