/**
 * The imaplib facade against a flooding server: `untagged_responses` keeps
 * what the caller has not consumed (as in CPython), but at most
 * `maxCollectedBytes`; past it, IMAP4.error (code LIMIT) is raised when the
 * running command ends, and the connection stays usable. CPython's record
 * grows without bound, within a command and across commands.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as imaplib from '../../src/imaplib/index.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

vi.setConfig({ testTimeout: 10_000 });

const servers: ScriptedServer[] = [];
const clients: imaplib.IMAP4[] = [];
afterEach(async () => {
  for (const M of clients.splice(0)) M.shutdown();
  for (const s of servers.splice(0)) await s.close();
});

const GREETING = '* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n';

function lines(prefix: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `${prefix}${i}\r\n`;
  return out;
}

async function connected(
  replies: ReadonlyArray<readonly [RegExp, string]>,
): Promise<imaplib.IMAP4> {
  const server = await startScriptedServer(async (c) => {
    await c.write(GREETING);
    await c.expect(/^\S+ CAPABILITY$/);
    await c.write('* CAPABILITY IMAP4rev1\r\n$tag OK caps\r\n');
    for (const [pattern, reply] of replies) {
      await c.expect(pattern);
      await c.write(reply);
    }
    await c.closed();
  });
  servers.push(server);
  const M = await imaplib.IMAP4.connect('127.0.0.1', server.port, { maxCollectedBytes: 20_000 });
  clients.push(M);
  return M;
}

async function failure(p: Promise<unknown>): Promise<InstanceType<typeof imaplib.IMAP4.error>> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(imaplib.IMAP4.error);
    return err as InstanceType<typeof imaplib.IMAP4.error>;
  }
  throw new Error('expected IMAP4.error, the command succeeded');
}

describe('untagged_responses is bounded', () => {
  it('a LIST flood past maxCollectedBytes raises IMAP4.error LIMIT at the completion, and the next command works', async () => {
    const M = await connected([
      [/^\S+ LIST "" \*$/, lines('* LIST () "/" box', 2000) + '$tag OK listed\r\n'],
      [/^\S+ NOOP$/, '* 4 EXISTS\r\n$tag OK noop\r\n'],
      [/^\S+ LIST "" a$/, lines('* LIST () "/" a', 2) + '$tag OK listed\r\n'],
    ]);
    const err = await failure(M.list('""', '*'));
    expect(err).not.toBeInstanceOf(imaplib.IMAP4.abort);
    expect(err.code).toBe('LIMIT');
    expect(err.message).toMatch(/untagged_responses went over the 20000-byte limit/);
    expect(err.message).toMatch(/maxCollectedBytes/);
    expect(M.untagged_responses['LIST']).toBeUndefined();
    expect(await M.noop()).toEqual(['OK', [Buffer.from('noop')]]);
    expect(M.untagged_responses['EXISTS']).toEqual([Buffer.from('4')]);
    const [typ, data] = await M.list('""', 'a');
    expect(typ).toBe('OK');
    expect(data).toEqual([Buffer.from('() "/" a0'), Buffer.from('() "/" a1')]);
  });

  it('a SELECT over the limit raises LIMIT but has selected the mailbox; LOGOUT never raises it', async () => {
    const M = await connected([
      [
        /^\S+ SELECT INBOX$/,
        lines('* XFLOOD ', 200) + '* 3 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n',
      ],
      [/^\S+ FETCH 1 \(FLAGS\)$/, '* 1 FETCH (FLAGS ())\r\n$tag OK fetched\r\n'],
      [/^\S+ LOGOUT$/, lines('* XFLOOD ', 200) + '* BYE bye\r\n$tag OK bye\r\n'],
    ]);
    const err = await failure(M.select('INBOX'));
    expect(err.code).toBe('LIMIT');
    expect(M.state).toBe('SELECTED');
    expect((await M.fetch('1', '(FLAGS)'))[0]).toBe('OK');
    const [typ] = await M.logout(); // its own flood is over the limit too
    expect(typ).toBe('BYE');
  });

  it('a SELECT refused with NO while over the limit returns NO (state AUTH); the limit error comes with the next command', async () => {
    const M = await connected([
      [/^\S+ SELECT Nope$/, lines('* XFLOOD ', 200) + '$tag NO [NONEXISTENT] no such mailbox\r\n'],
      [/^\S+ NOOP$/, '$tag OK noop\r\n'],
    ]);
    const [typ] = await M.select('Nope');
    expect(typ).toBe('NO');
    expect(M.state).toBe('AUTH');
    expect((await failure(M.noop())).code).toBe('LIMIT');
  });

  it('without the option the limit is 2 GiB: 5,000 LIST lines are recorded, as in CPython', async () => {
    const server = await startScriptedServer(async (c) => {
      await c.write(GREETING);
      await c.expect(/^\S+ CAPABILITY$/);
      await c.write('* CAPABILITY IMAP4rev1\r\n$tag OK caps\r\n');
      await c.expect(/^\S+ LIST "" \*$/);
      await c.write(lines('* LIST () "/" box', 5000) + '$tag OK listed\r\n');
      await c.closed();
    });
    servers.push(server);
    const M = await imaplib.IMAP4.connect('127.0.0.1', server.port);
    clients.push(M);
    const [typ, data] = await M.list('""', '*');
    expect(typ).toBe('OK');
    expect(data).toHaveLength(5000);
  });

  it('responses nobody consumes, sent across many commands, are bounded too', async () => {
    const replies: Array<readonly [RegExp, string]> = [];
    for (let i = 0; i < 20; i++) {
      replies.push([/^\S+ NOOP$/, lines('* XFLOOD ', 30) + '$tag OK noop\r\n']);
    }
    const M = await connected(replies);
    let failedAt = -1;
    for (let i = 0; i < 20; i++) {
      try {
        await M.noop();
      } catch (err) {
        expect((err as InstanceType<typeof imaplib.IMAP4.error>).code).toBe('LIMIT');
        failedAt = i;
        break;
      }
    }
    // 30 responses of ~140 counted bytes per NOOP: over 20,000 in the fifth.
    expect(failedAt).toBe(4);
    expect(M.untagged_responses['XFLOOD']).toBeUndefined();
    expect((await M.noop())[0]).toBe('OK');
    expect(M.untagged_responses['XFLOOD']?.length).toBe(30);
  });

  it('what the caller consumes no longer counts: many commands whose data is popped never hit the limit', async () => {
    const replies: Array<readonly [RegExp, string]> = [];
    for (let i = 0; i < 30; i++) {
      replies.push([/^\S+ LIST /, lines('* LIST () "/" box', 50) + '$tag OK listed\r\n']);
    }
    const M = await connected(replies);
    for (let i = 0; i < 30; i++) {
      const [typ, data] = await M.list();
      expect(typ).toBe('OK');
      expect(data.length).toBe(50);
    }
  });
});

/** A PREAUTH server with IDLE that sends `flood` once IDLE is accepted. */
async function idleServer(flood: string): Promise<imaplib.IMAP4> {
  const server = await startScriptedServer(async (c) => {
    await c.write(GREETING);
    await c.expect(/^\S+ CAPABILITY$/);
    await c.write('* CAPABILITY IMAP4rev1 IDLE\r\n$tag OK caps\r\n');
    const tag = (await c.expect(/^\S+ IDLE$/)).split(' ')[0]!;
    await c.write('+ idling\r\n');
    void c.write(flood); // the socket takes what the client reads
    await c.expect(/^DONE$/);
    await c.write(`${tag} OK idle done\r\n`);
    await c.expect(/^\S+ NOOP$/);
    await c.write('$tag OK noop\r\n');
    await c.closed();
  });
  servers.push(server);
  const M = await imaplib.IMAP4.connect('127.0.0.1', server.port);
  clients.push(M);
  return M;
}

describe('idle()', () => {
  it('reading pauses while responses wait for a slow loop; those not delivered are recorded when it ends', async () => {
    const total = 200_000;
    const flood = lines('* XFLOOD ', total);
    const M = await idleServer(flood);
    const socket = M.socket() as Socket;
    const seen: string[] = [];
    let readDuringPause = 0;
    let recordedDuringLoop: number | undefined;
    for await (const [typ, data] of M.idle()) {
      seen.push(`${typ} ${data[0]!.toString()}`);
      if (seen.length === 1) {
        const before = socket.bytesRead;
        await new Promise((r) => setTimeout(r, 300));
        readDuringPause = socket.bytesRead - before;
      }
      if (seen.length === 3) {
        recordedDuringLoop = M.untagged_responses['XFLOOD']?.length;
        break;
      }
    }
    expect(seen).toEqual(['XFLOOD 0', 'XFLOOD 1', 'XFLOOD 2']);
    // Without the pause the whole flood (2.9 MB) is read during the 300 ms.
    expect(readDuringPause).toBeLessThan(flood.length / 3);
    // What the loop gets is not recorded (CPython 3.14)...
    expect(recordedDuringLoop).toBeUndefined();
    // ...what it did not get is, in order, with what came until IDLE completed.
    const rest = M.untagged_responses['XFLOOD']!;
    expect(rest).toHaveLength(total - 3);
    expect(rest[0]).toEqual(Buffer.from('3'));
    expect(rest[rest.length - 1]).toEqual(Buffer.from(String(total - 1)));
    expect((await M.noop())[0]).toBe('OK');
  });

  it('a long loop does not grow untagged_responses', async () => {
    const total = 20_000;
    const M = await idleServer(lines('* XFLOOD ', total));
    let n = 0;
    for await (const [typ, data] of M.idle()) {
      expect(typ).toBe('XFLOOD');
      expect(data).toEqual([Buffer.from(String(n))]);
      n++;
      if (n % 1000 === 0) expect(Object.keys(M.untagged_responses)).toEqual(['PREAUTH']);
      if (n === total) break;
    }
    expect(n).toBe(total);
    expect(M.untagged_responses['XFLOOD']).toBeUndefined();
    expect((await M.noop())[0]).toBe('OK');
  });
});
