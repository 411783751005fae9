/**
 * Issue 6, item 8a: the server side of a connection dies (its Dovecot `imap`
 * process is SIGKILLed) in the middle of a FETCH of many bodies, of one large
 * streamed body, and of a slowly streamed 20 MB APPEND. Every pending command
 * must reject with a typed ImapConnectionError, the 'close' event must fire
 * once with that error, nothing may hang and no rejection may go unhandled.
 * Runs against the shared test Dovecot; only the imap process serving our own
 * connection (a child of the shared master, found by its socket) is killed.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { append, appendMany } from '../../src/commands/append.js';
import { create } from '../../src/commands/create.js';
import { deleteMailbox } from '../../src/commands/delete.js';
import { fetch, fetchStream } from '../../src/commands/fetch.js';
import { noop } from '../../src/commands/noop.js';
import { select } from '../../src/commands/select.js';
import { status } from '../../src/commands/status.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { testServer, uniqueMailbox, type TestServerEnv } from '../helpers/dovecot.js';
import {
  connectWithPid,
  killImapProcess,
  messageOfSize,
  optionsFor,
  processAlive,
  rejectionOf,
  settle,
  slowMessageStream,
  trackUnhandledRejections,
} from './helpers.js';

const MANY = 40;
const MANY_SIZE = 512 * 1024; // 40 x 512 KiB = 20 MiB: far more than the socket buffers hold
const LARGE_SIZE = 16 * 1024 * 1024;

let env: TestServerEnv;
let admin: ImapConnection;
const bodiesBox = uniqueMailbox('faults-kill');
const appendBox = uniqueMailbox('faults-kill-append');
const opened: ImapConnection[] = [];
let unhandled: ReturnType<typeof trackUnhandledRejections>;

beforeAll(async () => {
  env = testServer();
  admin = await ImapConnection.connect(optionsFor(env, 'alice'));
  await create(admin, bodiesBox);
  await create(admin, appendBox);
  const stored = await appendMany(
    admin,
    bodiesBox,
    Array.from({ length: MANY }, (_, i) => ({
      message: messageOfSize(MANY_SIZE, `many ${i + 1}`, String.fromCharCode(0x61 + (i % 26))),
    })),
  );
  expect(stored?.uids).toHaveLength(MANY);
  const large = await append(admin, bodiesBox, messageOfSize(LARGE_SIZE, 'large', 'L'));
  expect(large?.uid).toBe(stored!.uids[MANY - 1]! + 1);
}, 120_000);

afterAll(async () => {
  for (const c of opened) c.close();
  if (admin !== undefined) {
    await deleteMailbox(admin, bodiesBox).catch(() => undefined);
    await deleteMailbox(admin, appendBox).catch(() => undefined);
    await admin.logout();
  }
});

beforeEach(() => {
  unhandled = trackUnhandledRejections();
});

afterEach(() => {
  unhandled.stop();
});

/** Connects as alice with the pid of the Dovecot imap process serving us, and records close events. */
async function victim(): Promise<{
  conn: ImapConnection;
  pid: number;
  closes: Array<Error | null>;
  closed: Promise<Error | null>;
}> {
  const { conn, pid } = await connectWithPid(env, 'alice');
  opened.push(conn);
  const closes: Array<Error | null> = [];
  const closed = new Promise<Error | null>((resolve) => {
    conn.on('close', (err) => {
      closes.push(err);
      resolve(err);
    });
  });
  return { conn, pid, closes, closed };
}

function expectConnectionClosed(err: unknown): void {
  expect(err).toBeInstanceOf(ImapConnectionError);
  expect((err as ImapConnectionError).code).toBe('CONNECTION_CLOSED');
}

describe('the Dovecot imap process of our connection is killed', () => {
  it('mid-FETCH of many bodies: the iterator and every queued command reject with CONNECTION_CLOSED; close fires once', async () => {
    const { conn, pid, closes, closed } = await victim();
    const selected = await select(conn, bodiesBox);
    expect(selected.exists).toBe(MANY + 1);

    const received: Array<{ seq: number; size: number; subject: string }> = [];
    let killedAt = 0;
    let queued: Array<Promise<unknown>> = [];
    const iterate = (async () => {
      for await (const m of fetch(conn, `1:${MANY}`, { uid: true, source: true })) {
        const source = m.source!;
        received.push({
          seq: m.seq,
          size: source.length,
          subject: /^Subject: (.*)\r$/m.exec(source.toString('latin1'))?.[1] ?? '',
        });
        if (killedAt === 0) {
          // FETCH by sequence numbers is not pipelined: these wait behind it.
          queued = [noop(conn), status(conn, 'INBOX', ['MESSAGES']), select(conn, 'INBOX')];
          killImapProcess(pid, env.pid);
          killedAt = Date.now();
        }
      }
    })();
    const fetchError = await rejectionOf(iterate);
    const failedAfter = Date.now() - killedAt;
    expectConnectionClosed(fetchError);
    expect(failedAfter).toBeLessThan(5000);

    // What arrived before the kill is intact, in order; the FETCH did not complete.
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.length).toBeLessThan(MANY);
    received.forEach((r, i) => {
      expect(r).toEqual({ seq: i + 1, size: MANY_SIZE, subject: `many ${i + 1}` });
    });

    const results = await Promise.allSettled(queued);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expectConnectionClosed((r as PromiseRejectedResult).reason);

    const closeError = await closed;
    expectConnectionClosed(closeError);
    expect(closeError).toBe(fetchError);
    expect(conn.closed).toBe(true);
    expect(conn.state).toBe('logout');
    expectConnectionClosed(await rejectionOf(noop(conn)));

    await settle();
    expect(closes).toHaveLength(1);
    expect(unhandled.reasons).toEqual([]);
    expect(processAlive(pid)).toBe(false);
  }, 30_000);

  it('mid-FETCH of one large streamed body: the stream errors with CONNECTION_CLOSED; queued commands reject', async () => {
    const { conn, pid, closes, closed } = await victim();
    await select(conn, bodiesBox);
    const { stream, size } = await fetchStream(conn, MANY + 1, '');
    expect(size).toBe(LARGE_SIZE);
    // Queued behind the FETCH (non-UID FETCH is not pipelined).
    const queued = [noop(conn), status(conn, bodiesBox, ['MESSAGES'])];

    let bytes = 0;
    let killedAt = 0;
    const streamError = await new Promise<unknown>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (killedAt === 0) {
          killImapProcess(pid, env.pid);
          killedAt = Date.now();
        }
      });
      stream.on('error', resolve);
      stream.on('end', () => resolve(new Error(`the stream ended after ${bytes} bytes`)));
    });
    expectConnectionClosed(streamError);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(LARGE_SIZE);
    expect(stream.destroyed).toBe(true);

    const results = await Promise.allSettled(queued);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) expectConnectionClosed((r as PromiseRejectedResult).reason);
    expectConnectionClosed(await closed);
    await settle();
    expect(closes).toHaveLength(1);
    expect(unhandled.reasons).toEqual([]);
  }, 30_000);

  it('mid-APPEND of a slowly streamed 20 MB literal: APPEND and queued commands reject, the stream is no longer read, nothing is stored', async () => {
    const { conn, pid, closes, closed } = await victim();
    const total = 20 * 1024 * 1024;
    const source = slowMessageStream(total, 64 * 1024, 5); // ~13 MB/s at most: 1.6 s for all of it
    const appending = append(conn, appendBox, { stream: source.stream, size: total });
    const queued = [noop(conn), status(conn, appendBox, ['MESSAGES'])];

    // Let a few MB go out, then kill the server side mid-literal.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (source.produced() >= 2 * 1024 * 1024) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    killImapProcess(pid, env.pid);
    const killedAt = Date.now();

    const appendError = await rejectionOf(appending);
    expectConnectionClosed(appendError);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    const results = await Promise.allSettled(queued);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) expectConnectionClosed((r as PromiseRejectedResult).reason);
    expectConnectionClosed(await closed);

    // The engine stopped consuming the caller's stream (a read already
    // asked for may still deliver one chunk) and destroyed it.
    const producedAtClose = source.produced();
    expect(producedAtClose).toBeLessThan(total);
    await settle(200);
    const producedAfter = source.produced();
    expect(producedAfter - producedAtClose).toBeLessThanOrEqual(64 * 1024);
    expect(source.stream.destroyed).toBe(true);
    await settle(300);
    expect(source.produced()).toBe(producedAfter);

    // The half-sent message was not stored.
    const st = await status(admin, appendBox, ['MESSAGES']);
    expect(st.messages).toBe(0);

    expect(closes).toHaveLength(1);
    expect(unhandled.reasons).toEqual([]);
  }, 30_000);
});
