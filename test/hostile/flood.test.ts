/**
 * A server flooding a command that collects its untagged responses (LIST,
 * SEARCH, STATUS, STORE's FETCH updates, fetchAll): the command may hold
 * at most `maxCollectedBytes`; past it, it fails with an ImapLimitError on
 * its tagged response and the connection stays usable. Streaming paths
 * (fetch() iterators) are not limited.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetch, fetchAll } from '../../src/commands/fetch.js';
import { list } from '../../src/commands/list.js';
import { search } from '../../src/commands/search.js';
import { store } from '../../src/commands/store.js';
import { ImapArgumentError, ImapConnectionError, ImapLimitError } from '../../src/model/errors.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { closeScriptedClients, scriptedClient } from '../helpers/scripted-client.js';
import { closeEvent, useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect, options, rejection } = useScriptedServers();
afterEach(closeScriptedClients);

const GREETING = '* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n';
const SELECTED =
  '* 5000 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 5001] ok\r\n$tag OK [READ-WRITE] selected\r\n';

function listLines(n: number, from = 0): string {
  let out = '';
  for (let i = from; i < from + n; i++) out += `* LIST (\\HasNoChildren) "/" "box${i}"\r\n`;
  return out;
}

function fetchLines(n: number): string {
  let out = '';
  for (let i = 1; i <= n; i++) out += `* ${i} FETCH (UID ${i} FLAGS (\\Seen))\r\n`;
  return out;
}

function expectLimit(err: Error, command: RegExp): ImapLimitError {
  expect(err).toBeInstanceOf(ImapLimitError);
  const e = err as ImapLimitError;
  expect(e.code).toBe('LIMIT');
  expect(e.limit).toBe('maxCollectedBytes');
  expect(e.message).toMatch(/collected more than 20000 bytes of untagged responses/);
  expect(e.message).toMatch(/maxCollectedBytes/);
  expect(e.command).toMatch(command);
  return e;
}

describe('a collecting command over maxCollectedBytes', () => {
  it('LIST flooded past the limit rejects with ImapLimitError on its completion, and the next command on the connection works', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ LIST "" "\*"$/);
      // ~1 MB of LIST responses (limit 20,000 bytes), in several writes, then OK.
      for (let i = 0; i < 20; i++) await c.write(listLines(1000, i * 1000));
      await c.write(`${'$tag'} OK listed\r\n`);
      await c.expect(/^T\d+ NOOP$/);
      await c.write('* 3 EXISTS\r\n$tag OK noop\r\n');
      await c.expect(/^T\d+ LIST "" a$/);
      await c.write(listLines(2) + '$tag OK listed\r\n');
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 20_000 });
    const err = await rejection(list(conn, '', '*'));
    expectLimit(err, /LIST "" "\*"/);
    expect(conn.closed).toBe(false);
    const noop = await conn.noop();
    expect(noop.tagged.text).toBe('noop');
    const again = await list(conn, '', 'a');
    expect(again.map((e) => e.name)).toEqual(['box0', 'box1']);
  });

  it('a collection under the limit is complete', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ LIST "" "\*"$/ },
      { send: listLines(100) + '$tag OK listed\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server, { maxCollectedBytes: 20_000 });
    const entries = await list(conn, '', '*');
    expect(entries.length).toBe(100);
    expect(entries[99]!.name).toBe('box99');
  });

  it('the limit counts bytes plus a per-response charge: 100 short responses of ~170 bytes each pass 20,000, 130 do not', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      for (const n of [100, 130]) {
        await c.expect(/^T\d+ STATUS /);
        let out = '';
        for (let i = 0; i < n; i++) out += `* STATUS x (MESSAGES ${i})\r\n`;
        await c.write(out + '$tag OK status\r\n');
      }
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 20_000 });
    const ok = await conn.run('STATUS', [{ type: 'atom', value: 'x' }], { collect: ['STATUS'] });
    expect(ok.untagged.length).toBe(100);
    const err = await rejection(
      conn.run('STATUS', [{ type: 'atom', value: 'x' }], { collect: ['STATUS'] }),
    );
    expectLimit(err, /STATUS x/);
  });

  it('an endless SEARCH flood: once over the limit plus another limit of discarded data, data is no progress; the connection is closed with the limit error after the command timeout', async () => {
    const line = `* SEARCH ${Array.from({ length: 200 }, (_, i) => 1000 + i).join(' ')}\r\n`;
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ SELECT INBOX$/);
      await c.write(SELECTED);
      await c.expect(/^T\d+ UID SEARCH ALL$/);
      while (!c.isClosed) {
        await c.write(line.repeat(10));
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    const conn = await connect(server, {
      maxCollectedBytes: 20_000,
      timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 300 },
    });
    await conn.exec('SELECT', [{ type: 'atom', value: 'INBOX' }]);
    const closed = closeEvent(conn);
    const started = Date.now();
    const err = await rejection(search(conn, { all: true }, { uid: true }));
    expectLimit(err, /UID SEARCH ALL/);
    expect(err.message).toMatch(/did not complete the command within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(conn.closed).toBe(true);
    expect(await closed).toBeInstanceOf(ImapLimitError);
  });

  it('a slow link finishing an answer over the limit: its discarded data is progress (up to another limit), so the connection survives the command timeout', async () => {
    const line = `* SEARCH ${Array.from({ length: 200 }, (_, i) => 1000 + i).join(' ')}\r\n`;
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ SELECT INBOX$/);
      await c.write(SELECTED);
      await c.expect(/^T\d+ UID SEARCH ALL$/);
      // 20 lines of ~1,000 bytes (the limit) at once, then 15 more 100 ms
      // apart: 1.5 s in all, five command timeouts.
      await c.write(line.repeat(20));
      for (let i = 0; i < 15; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await c.write(line);
      }
      await c.write('$tag OK done\r\n');
      await c.expect(/^T\d+ NOOP$/);
      await c.write('$tag OK noop\r\n');
    });
    const conn = await connect(server, {
      maxCollectedBytes: 20_000,
      timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 300 },
    });
    await conn.exec('SELECT', [{ type: 'atom', value: 'INBOX' }]);
    const err = await rejection(search(conn, { all: true }, { uid: true }));
    expectLimit(err, /UID SEARCH ALL/);
    expect(err.message).not.toMatch(/did not complete/);
    expect(conn.closed).toBe(false);
    await conn.noop();
  });

  it('STORE (whose onUntagged keeps the FETCH updates) is limited too', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ SELECT INBOX$/);
      await c.write(SELECTED);
      await c.expect(/^T\d+ UID STORE 1:5000 \+FLAGS \(\\Seen\)$/);
      // The same message's update, over and over.
      await c.write('* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n'.repeat(2000) + '$tag OK stored\r\n');
      await c.expect(/^T\d+ NOOP$/);
      await c.write('$tag OK noop\r\n');
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 20_000 });
    await conn.exec('SELECT', [{ type: 'atom', value: 'INBOX' }]);
    const err = await rejection(store(conn, '1:5000', { add: ['\\Seen'], uid: true }));
    expectLimit(err, /UID STORE/);
    expect((await conn.noop()).tagged.status).toBe('OK');
  });

  it('a fetch() iterator is a stream, not a collection: it is not limited; fetchAll is', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ SELECT INBOX$/);
      await c.write(SELECTED);
      for (let round = 0; round < 2; round++) {
        await c.expect(/^T\d+ UID FETCH 1:2000 \(UID FLAGS\)$/);
        await c.write(fetchLines(2000) + '$tag OK fetched\r\n');
      }
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 20_000 });
    await conn.exec('SELECT', [{ type: 'atom', value: 'INBOX' }]);
    let count = 0;
    let last = 0;
    for await (const m of fetch(conn, '1:2000', { uid: true, flags: true }, { uid: true })) {
      count++;
      last = m.uid!;
    }
    expect([count, last]).toEqual([2000, 2000]);
    const err = await rejection(
      fetchAll(conn, '1:2000', { uid: true, flags: true }, { uid: true }),
    );
    expectLimit(err, /UID FETCH 1:2000/);
    expect(conn.closed).toBe(false);
  });

  it('RunOptions.maxCollectedBytes overrides the connection limit for one command', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ LIST "" "\*"$/);
      await c.write(listLines(1000) + '$tag OK listed\r\n');
      await c.expect(/^T\d+ LIST "" "\*"$/);
      await c.write(listLines(10) + '$tag OK listed\r\n');
      await c.closed();
    });
    const conn = await connect(server, { maxCollectedBytes: 20_000 });
    const wide = await conn.run(
      'LIST',
      [
        { type: 'string', value: '' },
        { type: 'string', value: '*' },
      ],
      {
        collect: ['LIST'],
        maxCollectedBytes: Infinity,
      },
    );
    expect(wide.untagged.length).toBe(1000);
    const narrow = await rejection(
      conn.run(
        'LIST',
        [
          { type: 'string', value: '' },
          { type: 'string', value: '*' },
        ],
        {
          collect: ['LIST'],
          maxCollectedBytes: 1000,
        },
      ),
    );
    expect(narrow).toBeInstanceOf(ImapLimitError);
    expect(narrow.message).toMatch(/collected more than 1000 bytes/);
  });

  it('a limit that is not a positive number is an ImapArgumentError before connecting', async () => {
    const server = await serve([{ send: GREETING }, { stall: true }]);
    for (const bad of [0, -1, Number.NaN]) {
      const err = await rejection(
        ImapConnection.connect(options(server, { maxCollectedBytes: bad })),
      );
      expect(err).toBeInstanceOf(ImapArgumentError);
      expect(err.message).toMatch(/maxCollectedBytes must be a number > 0/);
    }
    expect(server.receivedText()).toBe('');
  });

  it('ImapClient passes maxCollectedBytes to its connection', async () => {
    const client = await scriptedClient(
      'IMAP4rev1',
      [
        [/^\S+ LIST /, listLines(1000) + '$tag OK listed\r\n'],
        [/^\S+ NOOP/, '$tag OK noop\r\n'],
      ],
      [],
      { maxCollectedBytes: 20_000 },
    );
    let err: unknown = null;
    try {
      await client.list();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImapLimitError);
    expect((err as ImapConnectionError).code).toBe('LIMIT');
    await client.noop();
  });
});

describe('a server that keeps the exchange going', () => {
  it('a + challenge after the client cancelled AUTHENTICATE with * (RFC 9051 6.2.2: the server must answer BAD) closes the connection instead of answering * forever', async () => {
    let answers = 0;
    const server = await serve(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n');
      await c.expect(/^T\d+ AUTHENTICATE PLAIN \S+$/);
      // PLAIN sent its credentials as the initial response: a challenge now is a
      // protocol violation, answered with *; then the server challenges again and again.
      for (let i = 0; i < 1000 && !c.isClosed; i++) {
        await c.write('+ \r\n');
        const line = await c.readLine().catch(() => null);
        if (line === null) break;
        answers++;
      }
      await c.closed();
    });
    const err = await rejection(
      ImapConnection.connect(
        options(server, { auth: { username: 'alice', password: 'pw', mechanism: 'PLAIN' } }),
      ),
    );
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('PROTOCOL');
    expect(err.message).toMatch(/another AUTHENTICATE PLAIN challenge after the client cancelled/);
    expect(answers).toBe(1); // the one `*`
  });
});
