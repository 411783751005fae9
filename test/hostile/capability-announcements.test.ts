/**
 * `* CAPABILITY` and `* ENABLED` while many commands are in flight: each
 * costs the same whatever the number of commands pipelined (they used to
 * walk every command in flight, so a server answering thousands of
 * pipelined commands with as many CAPABILITY lines cost their product).
 * The meaning stays: capabilities are asked again after login only when no
 * CAPABILITY came while the LOGIN was in flight; `* ENABLED` enables only
 * what an ENABLE in flight asked for.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ImapConnection } from '../../src/connection/connection.js';
import { captureLogger } from '../helpers/dovecot.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 40_000 });

const { serve, connect } = useScriptedServers();

const GREETING = '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n';
const PREAUTH = '* PREAUTH [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT CONDSTORE] ready\r\n';

function sentVerbs(lines: readonly string[]): string[] {
  return lines.filter((l) => l.startsWith('C: ')).map((l) => l.split(' ')[2]!);
}

/** Reads `n` command lines and returns their tags. */
async function readTags(c: { readLine(): Promise<string> }, n: number): Promise<string[]> {
  const tags: string[] = [];
  for (let i = 0; i < n; i++) tags.push((await c.readLine()).split(' ')[0]!);
  return tags;
}

describe('CAPABILITY announced while a LOGIN is in flight', () => {
  it('an untagged CAPABILITY answering LOGIN: no CAPABILITY command after it', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ LOGIN / },
      { send: '* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n$tag OK logged in\r\n' },
      { expect: /^T\d+ NOOP$/ },
      { send: '$tag OK noop\r\n' },
      { stall: true },
    ]);
    const log = captureLogger();
    const conn = await connect(server, { logger: log.logger });
    await conn.login('alice', 'pw');
    await conn.noop();
    expect(conn.hasCapability('UIDPLUS')).toBe(true);
    expect(sentVerbs(log.lines)).toEqual(['LOGIN', 'NOOP']);
  });

  it('a CAPABILITY that came before the LOGIN was sent does not count: CAPABILITY is asked after it', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ NOOP$/ },
      { send: '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n$tag OK noop\r\n' },
      { expect: /^T\d+ LOGIN / },
      { send: '$tag OK logged in\r\n' },
      { expect: /^T\d+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    const log = captureLogger();
    const conn = await connect(server, { logger: log.logger });
    await conn.noop();
    await conn.login('alice', 'pw');
    expect(conn.hasCapability('UIDPLUS')).toBe(true);
    expect(sentVerbs(log.lines)).toEqual(['NOOP', 'LOGIN', 'CAPABILITY']);
  });

  it('a [CAPABILITY] code in an untagged OK while the LOGIN is in flight counts too', async () => {
    const server = await serve([
      { send: GREETING },
      { expect: /^T\d+ LOGIN / },
      { send: '* OK [CAPABILITY IMAP4rev1 UIDPLUS] hi\r\n$tag OK logged in\r\n' },
      { expect: /^T\d+ NOOP$/ },
      { send: '$tag OK noop\r\n' },
      { stall: true },
    ]);
    const log = captureLogger();
    const conn = await connect(server, { logger: log.logger });
    await conn.login('alice', 'pw');
    await conn.noop();
    expect(conn.hasCapability('UIDPLUS')).toBe(true);
    expect(sentVerbs(log.lines)).toEqual(['LOGIN', 'NOOP']);
  });
});

/**
 * Pipelines `first` (a command collecting the flooded response, so that
 * routing each line is one step) and `n` NOOPs behind it; the server answers
 * with `n` copies of `line`, then completes them all.
 */
async function flood(
  n: number,
  line: string,
  first: (conn: ImapConnection) => Promise<unknown>,
): Promise<ImapConnection> {
  const server = await serve(async (c) => {
    await c.write(PREAUTH);
    const tags = await readTags(c, n + 1);
    await c.write(line.repeat(n));
    await c.write(tags.map((t) => `${t} OK done\r\n`).join(''));
    await c.closed();
  });
  const conn = await connect(server, {
    timeouts: { command: 15_000 },
    maxCollectedBytes: 64 * 1024 * 1024,
  });
  const all = [first(conn)];
  for (let i = 0; i < n; i++) all.push(conn.noop());
  await Promise.all(all);
  return conn;
}

describe('CAPABILITY / ENABLED floods with many commands in flight', () => {
  // Each line used to walk every command in flight (30,000 lines over 30,000
  // commands: 7-14 s, see notes/engine.md round 7); speed is the benchmarks'
  // business, so these pin the meaning with many commands in flight.
  const N = 3_000;

  it('3,000 * CAPABILITY lines over 3,000 pipelined commands: the capabilities are updated', async () => {
    const conn = await flood(N, '* CAPABILITY IMAP4rev1 IDLE\r\n', (c) =>
      c.run('CAPABILITY', [], { pipeline: true, collect: ['CAPABILITY'] }),
    );
    expect(conn.hasCapability('IDLE')).toBe(true);
  });

  it('3,000 * ENABLED lines with an ENABLE among 3,000 pipelined commands: only what was asked is enabled', async () => {
    const conn = await flood(N, '* ENABLED UTF8=ACCEPT CONDSTORE\r\n', (c) =>
      c.run('ENABLE', [{ type: 'atom', value: 'UTF8=ACCEPT' }], {
        pipeline: true,
        collect: ['ENABLED'],
      }),
    );
    expect([...conn.enabled]).toEqual(['UTF8=ACCEPT']);
  });
});
