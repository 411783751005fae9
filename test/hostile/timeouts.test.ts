/**
 * Stalls and slow drips at every point of a session end with
 * CONNECTION_TIMEOUT within the configured time; an AbortSignal cancels a
 * command with ABORTED and leaves the connection usable when it can be.
 */
import { describe, expect, it, vi } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { literal, mailbox, raw, seq } from '../../src/wire/args.js';
import { rejection, useScriptedServers } from '../helpers/scripted-harness.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

const T = 300; // every timeout in this file, ms

const { serve, options, connect, track } = useScriptedServers((server) => ({
  host: server.host,
  port: server.port,
  security: 'none',
  tls: { ca: server.ca },
  tagPrefix: 'T',
  timeouts: { connect: T, greeting: T, tls: T, command: T },
}));

/** Settles `p` or fails after `ms` with a clear message (instead of a vitest timeout). */
async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms (hang)`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function expectTimeout(p: Promise<unknown>, message: RegExp, maxMs = 2000) {
  const t0 = Date.now();
  let err: unknown;
  try {
    const v = await within(p, maxMs + 1000);
    if (v instanceof ImapConnection) track(v);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ImapConnectionError);
  expect((err as ImapConnectionError).code).toBe('CONNECTION_TIMEOUT');
  expect((err as Error).message).toMatch(message);
  const elapsed = Date.now() - t0;
  expect(elapsed).toBeGreaterThanOrEqual(T - 50);
  expect(elapsed).toBeLessThan(maxMs);
}

const GREETING = '* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n';

/** A stall after some bytes: silent for the whole timeout, or too slow within it. */
const STALLED =
  '(?:no data from the server for 300 ms|the server sent only \\d+ byte\\(s\\) and no complete response in 300 ms)';

describe('stalls end with CONNECTION_TIMEOUT', () => {
  it('before the greeting', async () => {
    const server = await serve([{ stall: true }]);
    await expectTimeout(ImapConnection.connect(options(server)), /no greeting .* 300 ms/);
  });

  it('a greeting dripped slower than the greeting timeout allows', async () => {
    const server = await serve([{ drip: '* OK a slow greeting\r\n', intervalMs: 60 }]);
    await expectTimeout(ImapConnection.connect(options(server)), /no greeting/);
  });

  it('during the implicit TLS handshake', async () => {
    const server = await serve([{ stall: true }]);
    await expectTimeout(
      ImapConnection.connect(options(server, { security: 'tls' })),
      /TLS handshake .* timed out after 300 ms/,
    );
  });

  it('during the STARTTLS handshake', async () => {
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n' },
      { expect: /STARTTLS$/ },
      { send: '$tag OK Begin TLS\r\n' },
      { stall: true },
    ]);
    await expectTimeout(
      ImapConnection.connect(options(server, { security: 'starttls' })),
      /TLS handshake .* timed out after 300 ms/,
    );
  });

  it('mid-line', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /NOOP$/ },
      { send: '* 1 EXI' },
      { stall: true },
    ]);
    const conn = await connect(server);
    // The partial line may arrive a moment after the timer started: either message is right.
    await expectTimeout(conn.noop(), new RegExp(`${STALLED} while waiting for NOOP`));
    expect(conn.closed).toBe(true);
  });

  it('mid-literal', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /FETCH/ },
      { send: '* 1 FETCH (BODY[] {100}\r\nabc' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await expectTimeout(
      conn.run('FETCH', [seq(1), raw('BODY[]')], { collect: ['FETCH'] }),
      new RegExp(`${STALLED} while waiting for FETCH`),
    );
  });

  it('before the tagged OK', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /NOOP$/ },
      { send: '* 1 EXISTS\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await expectTimeout(conn.noop(), /while waiting for NOOP/);
  });

  it('before the + of a synchronizing literal', async () => {
    const server = await serve([{ send: GREETING }, { expect: /APPEND/ }, { stall: true }]);
    const conn = await connect(server);
    await expectTimeout(
      conn.run('APPEND', [mailbox('INBOX'), literal('hello')]),
      /while waiting for APPEND/,
    );
  });

  it('a LITERAL+ APPEND answered NO by a server that then stops reading: the next command times out', async () => {
    // The literal is larger than loopback's socket buffers, so its write never drains.
    const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n');
      await c.expect(/^T\d+ APPEND INBOX \{\d+\+\}$/);
      c.socket.pause(); // reads nothing more
      await c.write('$tag NO [TOOBIG] message too big\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    const append = await within(conn.run('APPEND', [mailbox('INBOX'), literal(big)]), 2000);
    expect(append.tagged.status).toBe('NO');
    // The APPEND is no longer in flight, but its literal still blocks the writer.
    const err = await rejection(within(conn.noop(), 2000));
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('CONNECTION_TIMEOUT');
    expect(err.message).toMatch(/completed APPEND but read none of its remaining bytes for 300 ms/);
    expect(conn.closed).toBe(true);
  });

  it('an endless slow drip still ends by the command timeout (slowloris)', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /NOOP$/ },
      { drip: '* OK ' + 'x'.repeat(2000) + '\r\n', intervalMs: 50 },
      { stall: true },
    ]);
    const conn = await connect(server);
    await expectTimeout(conn.noop(), /./, 3000);
  });
});

describe('slow but live servers get a correct result', () => {
  it('a response dripped faster than the timeout completes', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /NOOP$/ },
      { drip: '* 3 RECENT\r\n$tag OK done\r\n', intervalMs: 10 },
      { stall: true },
    ]);
    const conn = await connect(server);
    const r = await within(conn.noop(), 3000);
    expect(r.tagged).toMatchObject({ status: 'OK', text: 'done' });
  });

  it('a greeting split into single bytes inside the greeting timeout is accepted', async () => {
    const server = await serve([
      { send: GREETING, chunks: Array.from({ length: GREETING.length }, () => 1) },
      { stall: true },
    ]);
    const conn = await connect(server);
    expect(conn.state).toBe('authenticated');
  });
});

describe('AbortSignal', () => {
  it('cancels a sent command with ABORTED; its late answer is dropped and the next command works', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const first = (await c.expect(/^T\d+ NOOP$/)).split(' ')[0]!;
      await new Promise((r) => setTimeout(r, 150));
      await c.write(`* 4 EXISTS\r\n${first} OK late\r\n`);
      await c.expect(/^T\d+ CHECK$/);
      await c.write('$tag OK check done\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    const ac = new AbortController();
    const p = conn.run('NOOP', [], { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user gave up')), 30);
    const t0 = Date.now();
    let err: unknown;
    try {
      await p;
    } catch (e) {
      err = e;
    }
    expect(Date.now() - t0).toBeLessThan(140);
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('ABORTED');
    expect((err as Error).message).toMatch(/NOOP was aborted/);
    const r = await within(conn.run('CHECK'), 2000);
    expect(r.tagged).toMatchObject({ status: 'OK', text: 'check done' });
    expect(conn.closed).toBe(false);
  });

  it('a queued command aborted before it is sent is never sent', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ CHECK$/);
      await new Promise((r) => setTimeout(r, 100));
      await c.write('$tag OK check done\r\n');
      await c.expect(/^T\d+ NOOP$/);
      await c.write('$tag OK noop done\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    const check = conn.run('CHECK');
    const ac = new AbortController();
    const expunge = conn.run('EXPUNGE', [], { signal: ac.signal });
    ac.abort();
    let err: unknown;
    try {
      await expunge;
    } catch (e) {
      err = e;
    }
    expect((err as ImapConnectionError).code).toBe('ABORTED');
    expect((await check).tagged.status).toBe('OK');
    expect((await within(conn.noop(), 2000)).tagged.text).toBe('noop done');
    expect(server.receivedText()).toMatch(/^T\d+ CHECK\r\nT\d+ NOOP\r\n$/);
  });

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const server = await serve([{ send: GREETING }, { stall: true }]);
    const conn = await connect(server);
    let err: unknown;
    try {
      await conn.run('NOOP', [], { signal: AbortSignal.abort() });
    } catch (e) {
      err = e;
    }
    expect((err as ImapConnectionError).code).toBe('ABORTED');
    await new Promise((r) => setTimeout(r, 30));
    expect(server.receivedText()).toBe('');
  });

  it('aborting while waiting for a literal continuation: ABORTED, and the connection recovers when the server answers NO', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const line = await c.expect(/^T\d+ APPEND INBOX \{5\}$/);
      const tag = line.split(' ')[0]!;
      await new Promise((r) => setTimeout(r, 100));
      await c.write(`${tag} NO [TOOBIG] not today\r\n`);
      await c.expect(/^T\d+ NOOP$/);
      await c.write('$tag OK noop done\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    const ac = new AbortController();
    const append = conn.run('APPEND', [mailbox('INBOX'), literal('hello')], {
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 30);
    let err: unknown;
    try {
      await append;
    } catch (e) {
      err = e;
    }
    expect((err as ImapConnectionError).code).toBe('ABORTED');
    expect((await within(conn.noop(), 2000)).tagged.text).toBe('noop done');
    // The literal was never sent: the server never said +.
    expect(server.receivedText()).toMatch(/^T\d+ APPEND INBOX \{5\}\r\nT\d+ NOOP\r\n$/);
  });

  it('aborting a FETCH drops its data; the connection keeps going', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const tag = (await c.expect(/^T\d+ FETCH/)).split(' ')[0]!;
      await new Promise((r) => setTimeout(r, 80));
      await c.write(`* 1 FETCH (UID 5 BODY[] {5}\r\nhello)\r\n${tag} OK fetched\r\n`);
      await c.expect(/^T\d+ NOOP$/);
      await c.write('$tag OK noop done\r\n');
      await c.closed();
    });
    const conn = await connect(server);
    const ac = new AbortController();
    const fetch = conn.run('FETCH', [seq(1), raw('(UID BODY[])')], {
      collect: ['FETCH'],
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 20);
    let err: unknown;
    try {
      await fetch;
    } catch (e) {
      err = e;
    }
    expect((err as ImapConnectionError).code).toBe('ABORTED');
    expect((await within(conn.noop(), 2000)).tagged.text).toBe('noop done');
    expect(conn.closed).toBe(false);
  });
});
