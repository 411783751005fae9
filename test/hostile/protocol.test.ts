/**
 * A server that breaks the protocol: unknown or duplicate tags, unexpected
 * continuations, data before the greeting, BYE or EXPUNGE in the middle of a
 * FETCH, EXISTS going down, closing early, referrals. Each ends in a typed
 * error or a correct result, with every pending command settled.
 */
import { describe, expect, it, vi } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapConnectionError, ImapParseError, ImapProtocolError } from '../../src/model/errors.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { mailbox, raw, seq } from '../../src/wire/args.js';
import { closeEvent, useScriptedServers } from '../helpers/scripted-harness.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

const { serve, options, connect, rejection } = useScriptedServers();

async function expectConnectionError(p: Promise<unknown>, code: string, message: RegExp) {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(ImapConnectionError);
  expect((err as ImapConnectionError).code).toBe(code);
  expect(err.message).toMatch(message);
  return err as ImapConnectionError;
}

const GREETING = '* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n';
const SELECT_OK = (exists: number) => [
  { expect: /^T\d+ SELECT INBOX$/ },
  {
    send: `* ${exists} EXISTS\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] ok\r\n$tag OK [READ-WRITE] selected\r\n`,
  },
];

describe('tags', () => {
  it('a tagged response with an unknown tag closes the connection and rejects every pending command', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { expect: /^T\d+ NOOP$/ },
      { send: 'ZZZ9 OK who are you\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    const closed = closeEvent(conn);
    const a = rejection(conn.noop());
    const b = rejection(conn.noop());
    for (const err of [await a, await b]) {
      expect(err).toBeInstanceOf(ImapConnectionError);
      expect((err as ImapConnectionError).code).toBe('PROTOCOL');
      expect(err.message).toMatch(/unknown tag "ZZZ9"/);
    }
    expect((await closed)?.message).toMatch(/unknown tag/);
    expect(conn.closed).toBe(true);
    await expectConnectionError(conn.noop(), 'CONNECTION_CLOSED', /closed/);
  });

  it('a duplicate tagged response: the first completes its command, the second is a desync error', async () => {
    const server = await serve(async (c) => {
      await c.write(GREETING);
      const first = (await c.expect(/^T\d+ NOOP$/)).split(' ')[0]!;
      await c.expect(/^T\d+ NOOP$/);
      await c.write(`${first} OK done\r\n${first} OK done again\r\n`);
      await c.closed();
    });
    const conn = await connect(server);
    const a = conn.noop();
    const b = rejection(conn.noop());
    expect((await a).tagged.text).toBe('done');
    const err = await b;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('PROTOCOL');
    expect(err.message).toMatch(/unknown tag/);
    expect(conn.closed).toBe(true);
  });

  it('an unexpected + continuation closes the connection with a typed error', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: '+ go ahead\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await expectConnectionError(conn.noop(), 'PROTOCOL', /continuation request no command/);
    expect(conn.closed).toBe(true);
  });
});

describe('greeting', () => {
  it('untagged data before the greeting is a parse error', async () => {
    const server = await serve([{ send: '* 5 EXISTS\r\n* OK hello\r\n' }, { stall: true }]);
    const err = await rejection(ImapConnection.connect(options(server)));
    expect(err).toBeInstanceOf(ImapParseError);
    expect((err as ImapParseError).code).toBe('PARSE');
    expect(err.message).toMatch(/expected a greeting/);
    await server.settled();
    expect(server.receivedText()).toBe('');
  });

  it('a BYE greeting rejects with CONNECTION_BYE and the server text', async () => {
    const server = await serve([{ send: '* BYE [UNAVAILABLE] too busy\r\n' }, { close: true }]);
    const err = await expectConnectionError(
      ImapConnection.connect(options(server)),
      'CONNECTION_BYE',
      /too busy/,
    );
    expect(err.serverText).toBe('too busy');
    expect(err.responseCode).toEqual({ name: 'UNAVAILABLE' });
  });

  it('the server closing right after the greeting: CONNECTION_CLOSED', async () => {
    const server = await serve([{ send: '* OK hello\r\n' }, { close: true }]);
    await expectConnectionError(
      ImapConnection.connect(options(server)),
      'CONNECTION_CLOSED',
      /closed the connection/,
    );
  });

  it('the server resetting right after the greeting: CONNECTION_CLOSED', async () => {
    const server = await serve([{ send: '* OK hello\r\n' }, { wait: 20 }, { reset: true }]);
    await expectConnectionError(ImapConnection.connect(options(server)), 'CONNECTION_CLOSED', /./);
  });

  it('the server closing before any greeting: a typed error, not a hang', async () => {
    const server = await serve([{ close: true }]);
    const err = await rejection(ImapConnection.connect(options(server)));
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(['CONNECTION_CLOSED', 'CONNECTION_FAILED']).toContain((err as ImapConnectionError).code);
  });
});

describe('unsolicited data in the middle of a command', () => {
  it('BYE in the middle of a FETCH rejects it with CONNECTION_BYE and emits bye', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ FETCH / },
      { send: '* 1 FETCH (FLAGS ())\r\n* BYE [UNAVAILABLE] shutting down\r\n' },
      { close: true },
    ]);
    const conn = await connect(server);
    const byes: string[] = [];
    conn.on('bye', (t) => byes.push(t));
    const err = await expectConnectionError(
      conn.run('FETCH', [seq('1:*'), raw('(FLAGS)')], { collect: ['FETCH'] }),
      'CONNECTION_BYE',
      /shutting down/,
    );
    expect(err.serverText).toBe('shutting down');
    expect(byes).toEqual(['shutting down']);
  });

  it('BYE without the server closing still ends the command (no hang)', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ FETCH / },
      { send: '* 1 FETCH (FLAGS ())\r\n* BYE going away\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await expectConnectionError(
      conn.run('FETCH', [seq('1:*'), raw('(FLAGS)')], { collect: ['FETCH'] }),
      'CONNECTION_BYE',
      /going away/,
    );
    expect(conn.closed).toBe(true);
  });

  it('EXPUNGE during FETCH: the FETCH completes and the mailbox count follows', async () => {
    const server = await serve([
      { send: GREETING },
      ...SELECT_OK(3),
      { expect: /^T\d+ FETCH 1:3 \(UID\)$/ },
      {
        send: '* 1 FETCH (UID 11)\r\n* 2 EXPUNGE\r\n* 2 FETCH (UID 13)\r\n$tag OK fetched\r\n',
      },
      { stall: true },
    ]);
    const conn = await connect(server);
    await conn.exec('SELECT', [mailbox('INBOX')]);
    expect(conn.selected?.exists).toBe(3);
    const expunged: number[] = [];
    conn.on('expunge', (n) => expunged.push(n));
    const r = await conn.exec('FETCH', [seq('1:3'), raw('(UID)')], { collect: ['FETCH'] });
    expect(r.untagged.map((u) => (u.name === 'FETCH' ? [u.seq, u.attributes.uid] : null))).toEqual([
      [1, 11],
      [2, 13],
    ]);
    expect(expunged).toEqual([2]);
    expect(conn.selected?.exists).toBe(2);
  });

  it('EXISTS decreasing: the count follows the server and the event says so', async () => {
    const server = await serve([
      { send: GREETING },
      ...SELECT_OK(5),
      { expect: /^T\d+ NOOP$/ },
      { send: '* 3 EXISTS\r\n$tag OK noop\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await conn.exec('SELECT', [mailbox('INBOX')]);
    const events: Array<[number, number]> = [];
    conn.on('exists', (count, previous) => events.push([count, previous]));
    await conn.noop();
    expect(events).toEqual([[3, 5]]);
    expect(conn.selected?.exists).toBe(3);
    expect(conn.closed).toBe(false);
  });
});

describe('unsolicited ENABLED', () => {
  it('an ENABLED no ENABLE asked for (RFC 5161 3.2) does not switch the session to UTF-8', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: '* ENABLED UTF8=ACCEPT\r\n$tag OK noop\r\n' },
      { expect: /^T\d+ CREATE / },
      { send: '$tag OK created\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await conn.noop();
    expect(conn.utf8Enabled).toBe(false);
    await conn.exec('CREATE', [mailbox('Entwürfe')]);
    expect(server.receivedText()).toMatch(/^T\d+ NOOP\r\nT\d+ CREATE Entw&APw-rfe\r\n$/);
  });
});

describe('referrals', () => {
  it('[REFERRAL] on a NO is reported, never followed', async () => {
    const elsewhere = await serve([{ send: '* OK elsewhere\r\n' }, { stall: true }]);
    const url = `imap://${elsewhere.host}:${elsewhere.port}/`;
    const server = await serve([
      { send: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hello\r\n' },
      { expect: /^T\d+ LOGIN / },
      { send: `$tag NO [REFERRAL ${url}] try over there\r\n` },
      { stall: true },
    ]);
    const conn = await connect(server);
    const err = await rejection(conn.login('user', 'pw'));
    expect(err).toBeInstanceOf(ImapProtocolError);
    expect((err as ImapProtocolError).code).toBe('PROTOCOL_NO');
    expect((err as ImapProtocolError).responseCode).toEqual({ name: 'REFERRAL', url });
    await new Promise((r) => setTimeout(r, 50));
    expect(elsewhere.connections).toBe(0);
    expect(server.connections).toBe(1);
  });

  it('[REFERRAL] in a BYE greeting is reported, never followed', async () => {
    const elsewhere = await serve([{ send: '* OK elsewhere\r\n' }, { stall: true }]);
    const url = `imap://${elsewhere.host}:${elsewhere.port}/`;
    const server = await serve([{ send: `* BYE [REFERRAL ${url}] moved\r\n` }, { close: true }]);
    const err = await expectConnectionError(
      ImapConnection.connect(options(server)),
      'CONNECTION_BYE',
      /moved/,
    );
    expect(err.responseCode).toEqual({ name: 'REFERRAL', url });
    await new Promise((r) => setTimeout(r, 50));
    expect(elsewhere.connections).toBe(0);
  });
});

describe('unparsable data in the middle of a session', () => {
  it('garbage from the server closes the connection with PARSE and rejects the command', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: '* 1 FETCH (UID 1\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    const err = await rejection(conn.noop());
    expect(err).toBeInstanceOf(ImapParseError);
    expect(err.message).toMatch(/FETCH/);
    expect(conn.closed).toBe(true);
  });

  it('a completion arriving in the same packet as garbage is still delivered before the PARSE error', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: '$tag OK done\r\n* 1 FETCH (UID 1\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    const closed = new Promise<Error | null>((resolve) => conn.once('close', resolve));
    const first = await conn.noop();
    expect(first.tagged).toMatchObject({ status: 'OK', text: 'done' });
    const err = await closed;
    expect(err).toBeInstanceOf(ImapParseError);
    expect(conn.closed).toBe(true);
  });

  it('a line over the configured limit closes the connection with LIMIT', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: '* OK ' + 'x'.repeat(5000) + '\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server, { limits: { maxLineLength: 1024 } });
    await expectConnectionError(conn.noop(), 'LIMIT', /line longer than 1024 bytes/);
  });

  it('10 MB without a line end: LIMIT as soon as a 1 MiB line limit is passed', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: Buffer.alloc(10 * 1024 * 1024, 0x61), chunks: Array(160).fill(64 * 1024) },
      { stall: true },
    ]);
    const conn = await connect(server, { limits: { maxLineLength: 1024 * 1024 } });
    const before = process.memoryUsage().heapUsed;
    await expectConnectionError(conn.noop(), 'LIMIT', /line longer than 1048576 bytes/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a VANISHED 1:4294967295 from the server stays one range in the event', async () => {
    const server = await serve([
      { send: GREETING },
      ...SELECT_OK(2),
      { expect: /^T\d+ NOOP$/ },
      { send: '* VANISHED 1:4294967295\r\n$tag OK noop\r\n' },
      { stall: true },
    ]);
    const conn = await connect(server);
    await conn.exec('SELECT', [mailbox('INBOX')]);
    const sets: SequenceSet[] = [];
    conn.on('vanished', (r) => sets.push(r.uids));
    await conn.noop();
    expect(sets).toHaveLength(1);
    expect(sets[0]!.ranges).toEqual([[1, 4294967295]]);
    expect(conn.selected?.exists).toBe(0);
  });
});
