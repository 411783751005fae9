import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import type { UntaggedResponse } from '../../src/model/response.js';
import { literal, mailbox } from '../../src/wire/args.js';
import {
  captureLogger,
  connectAlice,
  createMailboxWith,
  deleteMailboxes,
  testMessage,
  uniqueMailbox,
} from '../helpers/dovecot.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

const box = uniqueMailbox('idle');
let other: ImapConnection;

beforeAll(async () => {
  other = await connectAlice();
  await createMailboxWith(other, box, [testMessage('idle 1')]);
});

afterAll(async () => {
  await deleteMailboxes(other, [box]);
  await other.logout();
});

let scripted: ScriptedServer | null = null;
const conns: ImapConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await scripted?.close();
  scripted = null;
});

function waitFor<T>(register: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IDLE (RFC 2177) against Dovecot', () => {
  it('receives EXISTS while idling when another connection APPENDs', async () => {
    const conn = await connectAlice();
    conns.push(conn);
    await conn.exec('SELECT', [mailbox(box)]);
    const before = conn.selected!.exists;
    const seen: UntaggedResponse[] = [];
    const exists = waitFor<[number, number]>((resolve) =>
      conn.once('exists', (n, prev) => resolve([n, prev])),
    );
    const handle = await conn.idle({ onUntagged: (r) => seen.push(r) });
    expect(handle.mode).toBe('idle');
    await other.exec('APPEND', [mailbox(box), literal(testMessage('idle 2'))]);
    const [count, previous] = await exists;
    expect(previous).toBe(before);
    expect(count).toBe(before + 1);
    expect(conn.selected!.exists).toBe(before + 1);
    expect(seen.some((r) => r.name === 'EXISTS')).toBe(true);
    await handle.done();
    expect(handle.active).toBe(false);
    const r = await conn.exec('NOOP');
    expect(r.tagged.status).toBe('OK');
  });

  it('a command issued while idling ends IDLE with DONE first, and IDLE resumes when quiet', async () => {
    const log = captureLogger();
    const conn = await connectAlice({ logger: log.logger });
    conns.push(conn);
    await conn.exec('SELECT', [mailbox(box)]);
    const handle = await conn.idle({ resumeDelay: 10 });
    const start = log.lines.length;
    const status = await conn.exec('STATUS', [
      mailbox('INBOX'),
      { type: 'raw', value: '(MESSAGES)' },
    ]);
    expect(status.tagged.status).toBe('OK');
    // IDLE comes back by itself.
    for (let i = 0; i < 50 && !log.lines.slice(start).some((l) => / IDLE$/.test(l)); i++) {
      await sleep(20);
    }
    await sleep(50);
    await handle.done();
    const sent = log.lines
      .slice(start)
      .filter((l) => l.startsWith('C: '))
      .map((l) => (l === 'C: DONE' ? 'DONE' : l.split(' ')[2]));
    expect(sent).toEqual(['DONE', 'STATUS', 'IDLE', 'DONE']);
    expect(conn.state).toBe('selected');
  });

  it('restarts IDLE before timeouts.idleRestart, and the command timeout does not fire while idling', async () => {
    const log = captureLogger();
    const conn = await connectAlice({
      logger: log.logger,
      timeouts: { idleRestart: 150, command: 300 },
    });
    conns.push(conn);
    const handle = await conn.idle();
    await sleep(700);
    expect(conn.closed).toBe(false);
    await handle.done();
    const sent = log.lines.filter((l) => l.startsWith('C: ')).map((l) => l.split(' ').pop());
    const idles = sent.filter((s) => s === 'IDLE').length;
    expect(idles).toBeGreaterThanOrEqual(3);
    expect(sent.filter((s) => s === 'DONE').length).toBe(idles);
  });

  it('an aborted signal ends idling', async () => {
    const conn = await connectAlice();
    conns.push(conn);
    const ac = new AbortController();
    const handle = await conn.idle({ signal: ac.signal });
    ac.abort();
    for (let i = 0; i < 100 && handle.active; i++) await sleep(10);
    expect(handle.active).toBe(false);
    await handle.done();
    expect((await conn.exec('NOOP')).tagged.status).toBe('OK');
  });

  it('logout() while idling sends DONE then LOGOUT', async () => {
    const log = captureLogger();
    const conn = await connectAlice({ logger: log.logger });
    const handle = await conn.idle();
    await conn.logout();
    expect(handle.active).toBe(false);
    const tail = log.lines.filter((l) => l.startsWith('C: ')).slice(-3);
    expect(tail.map((l) => l.split(' ').pop())).toEqual(['IDLE', 'DONE', 'LOGOUT']);
  });
});

describe('IDLE fallback and edge cases (scripted server)', () => {
  it('without the IDLE capability, polls with NOOP', async () => {
    let noops = 0;
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] no idle\r\n');
      await c.expect(/LOGIN/);
      await c.write('$tag OK [CAPABILITY IMAP4rev1] in\r\n');
      for (;;) {
        await c.expect(/NOOP/);
        noops++;
        await c.write(`* ${noops} EXISTS\r\n$tag OK polled\r\n`);
      }
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
      auth: { username: 'u', password: 'p', mechanism: 'LOGIN-COMMAND' },
    });
    conns.push(conn);
    const seen: string[] = [];
    const handle = await conn.idle({ pollInterval: 40, onUntagged: (r) => seen.push(r.name) });
    expect(handle.mode).toBe('poll');
    await sleep(250);
    await handle.done();
    expect(noops).toBeGreaterThanOrEqual(3);
    expect(seen.filter((n) => n === 'EXISTS').length).toBe(noops);
  });

  it('an established IDLE ended by the server with NO: onError is told, the connection stays usable', async () => {
    let idles = 0;
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n');
      await c.expect(/^\S+ IDLE$/);
      idles++;
      await c.write('+ idling\r\n');
      await new Promise((r) => setTimeout(r, 30));
      await c.write('$tag NO [LIMIT] too many IDLE sessions\r\n');
      for (;;) {
        const line = await c.expect(/^\S+ (IDLE|NOOP)$/);
        if (line.endsWith('IDLE')) idles++;
        else await c.write('$tag OK noop\r\n');
      }
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    conns.push(conn);
    const errors: Error[] = [];
    let resolveFailed!: () => void;
    const failed = waitFor<void>((resolve) => (resolveFailed = resolve), 2000);
    const handle = await conn.idle({
      onError: (e) => {
        errors.push(e);
        resolveFailed();
      },
    });
    expect(handle.active).toBe(true);
    await failed;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ status: 'NO', serverText: 'too many IDLE sessions' });
    expect(handle.active).toBe(false);
    expect(conn.closed).toBe(false);
    // Not re-entered by itself; the connection runs commands.
    expect((await conn.exec('NOOP')).tagged.text).toBe('noop');
    await sleep(150);
    expect(idles).toBe(1);
    // idle() may be called again.
    expect(conn.state).toBe('authenticated');
  });

  it('an IDLE re-entered after a command and refused: onError is told, not retried', async () => {
    let idles = 0;
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n');
      await c.expect(/^\S+ IDLE$/);
      idles++;
      const idleTag = c.tag;
      await c.write('+ idling\r\n');
      await c.expect(/^DONE$/);
      await c.write(`${idleTag} OK done\r\n`);
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
      for (;;) {
        await c.expect(/^\S+ IDLE$/);
        idles++;
        await c.write('$tag BAD not now\r\n');
      }
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    conns.push(conn);
    const errors: Error[] = [];
    let resolveFailed!: () => void;
    const failed = waitFor<void>((resolve) => (resolveFailed = resolve), 2000);
    const handle = await conn.idle({
      resumeDelay: 10,
      onError: (e) => {
        errors.push(e);
        resolveFailed();
      },
    });
    await conn.exec('NOOP');
    await failed;
    expect(errors[0]).toMatchObject({ status: 'BAD', serverText: 'not now' });
    expect(handle.active).toBe(false);
    await sleep(150);
    expect(idles).toBe(2);
    expect(errors).toHaveLength(1);
    expect(conn.closed).toBe(false);
  });

  it('IDLE refused with NO rejects idle() with an ImapProtocolError', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n');
      await c.expect(/IDLE/);
      await c.write('$tag NO not now\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    conns.push(conn);
    await expect(conn.idle()).rejects.toMatchObject({ status: 'NO', serverText: 'not now' });
    // A second idle() is allowed after the failure.
    expect(conn.state).toBe('authenticated');
  });
});
