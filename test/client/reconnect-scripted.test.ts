/**
 * Reconnection edge cases a real server will not produce on demand, with the
 * scripted server: a server that keeps refusing (BYE greeting) makes the
 * client give up after maxAttempts; a refused login on reconnection stops at
 * once (any NO to LOGIN unless its code is transient, like UNAVAILABLE); commands waiting for the reconnection reject when it fails; secrets
 * never reach the logger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { captureLogger } from '../helpers/dovecot.js';
import {
  startScriptedServer,
  type ScriptedConnection,
  type ScriptedServer,
} from '../helpers/scripted-server.js';
import { nextEvent } from '../helpers/scripted-client.js';

let server: ScriptedServer | null = null;
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = null;
});

/** First connection: logs in, answers `NOOP` once, then resets; later ones run `later`. */
async function start(later: (c: ScriptedConnection) => Promise<void>): Promise<ScriptedServer> {
  let n = 0;
  server = await startScriptedServer(async (c) => {
    n++;
    if (n > 1) {
      await later(c);
      return;
    }
    await c.write('* OK [CAPABILITY IMAP4rev1] scripted\r\n');
    await c.expect(/^\S+ LOGIN /);
    await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
    await c.expect(/^\S+ NOOP/);
    await c.write('$tag OK noop\r\n');
    await c.expect(/^\S+ NOOP/);
    c.reset(); // the second NOOP is in flight when the connection drops
  });
  return server;
}

async function connect(
  s: ScriptedServer,
  extra: Partial<ConstructorParameters<typeof ImapClient>[0]> = {},
): Promise<ImapClient> {
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port: s.port,
    security: 'none',
    auth: { username: 'u', password: 'hunter2-secret' },
    ...extra,
  });
  clients.push(client);
  return client;
}

describe('ImapClient reconnection (scripted server)', () => {
  it('gives up after maxAttempts: waiting commands reject, close carries the error, error is emitted', async () => {
    const s = await start(async (c) => {
      await c.write('* BYE too busy\r\n');
      await c.close();
    });
    const log = captureLogger();
    const client = await connect(s, {
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 },
      logger: log.logger,
    });
    const reconnectEvents: number[] = [];
    client.on('reconnect', (e) => reconnectEvents.push(e.attempt));
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.noop();
    const closed = nextEvent(client, 'close');
    const inFlight = client.noop();
    await expect(inFlight).rejects.toBeInstanceOf(ImapConnectionError);
    // Issued after the drop: waits for the reconnection, which fails.
    const waiting = client.noop();
    const [event] = await closed;
    expect(event.error).toBeInstanceOf(ImapConnectionError);
    expect(event.error?.message).toMatch(/could not be restored \(3 attempts\).*too busy/);
    await expect(waiting).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(errors).toHaveLength(1);
    expect(reconnectEvents).toEqual([]);
    expect(s.connections).toBe(4);
    expect(client.usable).toBe(false);
    expect(log.all()).not.toContain('hunter2-secret');
  });

  it('a refused login on reconnection is final: no further attempts', async () => {
    const s = await start(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] again\r\n');
      await c.expect(/^\S+ LOGIN /);
      await c.write('$tag NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
    });
    const client = await connect(s, {
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 5 },
    });
    await client.noop();
    const closed = nextEvent(client, 'close');
    await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
    const [event] = await closed;
    expect(event.error?.message).toMatch(/Authentication failed/);
    expect(s.connections).toBe(2);
  });

  it.each([
    // A plain NO (no response code): the credentials were refused; final.
    {
      refusal: 'NO LOGIN failed.',
      maxAttempts: 5,
      message: /\(1 attempts\).*LOGIN failed/,
      connections: 2,
    },
    // NO [UNAVAILABLE]: temporary; retried until maxAttempts.
    {
      refusal: 'NO [UNAVAILABLE] try later',
      maxAttempts: 3,
      message: /\(3 attempts\).*try later/,
      connections: 4,
    },
  ])('a refused LOGIN on reconnection ($refusal): $connections connections', async (t) => {
    const s = await start(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] again\r\n');
      await c.expect(/^\S+ LOGIN /);
      await c.write(`$tag ${t.refusal}\r\n`);
    });
    const client = await connect(s, {
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: t.maxAttempts },
    });
    await client.noop();
    const closed = nextEvent(client, 'close');
    await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
    const [event] = await closed;
    expect(event.error?.message).toMatch(t.message);
    expect(s.connections).toBe(t.connections);
  });

  it('with reconnect disabled the drop closes the client', async () => {
    const s = await start(async () => undefined);
    const client = await connect(s, { reconnect: false });
    await client.noop();
    const disconnect = nextEvent(client, 'disconnect');
    const closed = nextEvent(client, 'close');
    await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
    expect((await disconnect)[0].reconnecting).toBe(false);
    expect((await closed)[0].error).toBeInstanceOf(ImapConnectionError);
    await expect(client.noop()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(s.connections).toBe(1);
  });

  it.each(['close', 'logout'] as const)(
    '%s() in a disconnect listener closes the client for good: one close event, no reconnection',
    async (how) => {
      const s = await start(async () => undefined);
      // No time limit: a command left waiting for a reconnection that never comes would hang.
      const client = await connect(s, {
        reconnect: { initialDelayMs: 5, maxDelayMs: 10, waitTimeoutMs: Infinity },
      });
      await client.noop();
      const closes: (Error | null)[] = [];
      client.on('close', (e) => closes.push(e.error));
      const seen: boolean[] = [];
      let closing: Promise<void> | null = null;
      client.on('disconnect', (e) => {
        seen.push(e.reconnecting);
        if (how === 'close') client.close();
        else closing = client.logout();
      });
      await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
      await closing;
      expect(seen).toEqual([true]);
      expect(closes).toEqual([null]);
      expect(client.usable).toBe(false);
      expect(client.reconnecting).toBe(false);
      await expect(client.noop()).rejects.toMatchObject({
        code: 'CONNECTION_CLOSED',
        message: 'the client is closed',
      });
      client.close();
      await client.logout();
      expect(closes).toEqual([null]);
      expect(s.connections).toBe(1);
    },
  );

  it('a command issued in a disconnect listener waits for the reconnection and runs on the new connection', async () => {
    const s = await start(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] again\r\n');
      await c.expect(/^\S+ LOGIN /);
      await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
      await c.expect(/^\S+ NOOP/);
      await c.write('$tag OK noop on the new connection\r\n');
      await c.expect(/^\S+ LOGOUT/);
      await c.write('* BYE bye\r\n$tag OK logout\r\n');
    });
    const client = await connect(s, { reconnect: { initialDelayMs: 5, maxDelayMs: 10 } });
    await client.noop();
    let inListener: Promise<unknown> | null = null;
    let reconnectingInListener: boolean | null = null;
    client.on('disconnect', () => {
      reconnectingInListener = client.reconnecting;
      inListener = client.noop().then(
        () => 'ran',
        (err: unknown) => err,
      );
    });
    const reconnected = nextEvent(client, 'reconnect');
    await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
    expect(reconnectingInListener).toBe(true);
    expect(inListener).not.toBeNull();
    expect(await inListener).toBe('ran');
    await reconnected;
    expect(s.connections).toBe(2);
    expect(client.usable).toBe(true);
    await client.logout();
  });

  it('a server that drops every reconnected session at once: the attempts go on (growing delay) and end at maxAttempts', async () => {
    const s = await start(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] again\r\n');
      await c.expect(/^\S+ LOGIN /);
      await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
      await new Promise((r) => setTimeout(r, 20));
      c.reset(); // e.g. a proxy killing each new session
    });
    const client = await connect(s, {
      reconnect: { initialDelayMs: 5, maxDelayMs: 40, maxAttempts: 4 },
    });
    const attempts: number[] = [];
    client.on('reconnect', (e) => attempts.push(e.attempt));
    client.on('error', () => undefined);
    await client.noop();
    const closed = nextEvent(client, 'close');
    await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
    const [event] = await closed;
    // Each reconnection lasted 20 ms: not healthy. The first such drop starts
    // afresh; the n-th in a row starts its attempts at n, up to maxAttempts.
    expect(attempts).toEqual([1, 1, 2, 3, 4]);
    expect(event.error?.message).toMatch(/could not be restored \(4 attempts\)/);
    expect(s.connections).toBe(6);
    expect(client.usable).toBe(false);
  });

  it('one drop right after a reconnection that used every attempt is still retried', async () => {
    let n = 1;
    const s = await start(async (c) => {
      n++;
      await c.write('* OK [CAPABILITY IMAP4rev1] again\r\n');
      await c.expect(/^\S+ LOGIN /);
      await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
      if (n === 2) {
        await new Promise((r) => setTimeout(r, 20));
        c.reset(); // a blip right after the reconnection
        return;
      }
      await c.expect(/^\S+ NOOP/);
      await c.write('$tag OK noop\r\n');
      await c.closed();
    });
    const client = await connect(s, {
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 1 },
    });
    const attempts: number[] = [];
    client.on('reconnect', (e) => attempts.push(e.attempt));
    await client.noop();
    const second = new Promise<void>((resolve) =>
      client.on('reconnect', () => attempts.length === 2 && resolve()),
    );
    await client.noop().catch(() => undefined); // in flight when the first drop comes
    await second;
    await client.noop();
    expect(attempts).toEqual([1, 1]);
    expect(s.connections).toBe(3);
    expect(client.usable).toBe(true);
  });
});
