/**
 * Timeouts above what a Node.js timer keeps (2^31 − 1 ms), Infinity
 * included: setTimeout fires such a timer after 1 ms (with a
 * TimeoutOverflowWarning), so unclamped they re-armed a 1 ms timer in a loop
 * (command timeout) or sent DONE/IDLE hundreds of times a second (IDLE
 * restart). Infinity means no timer; a finite value is clamped.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 5000 });

const { serve, connect } = useScriptedServers();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** TimeoutOverflowWarnings emitted during the test. */
let overflows = 0;
const onWarning = (w: Error): void => {
  if (w.name === 'TimeoutOverflowWarning') overflows++;
};
beforeEach(() => {
  overflows = 0;
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

describe('command timeout beyond a timer', () => {
  for (const command of [Infinity, 2 ** 31, 30 * 86_400_000]) {
    it(`timeouts.command ${command}: no 1 ms timer loop, the command waits for its answer`, async () => {
      const server = await serve(async (c) => {
        await c.write('* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n');
        await c.expect(/^T\d+ NOOP/);
        await new Promise((r) => setTimeout(r, 300));
        await c.write('$tag OK late\r\n');
        await c.closed();
      });
      const conn = await connect(server, {
        timeouts: { greeting: 2000, command },
      });
      const spy = vi.spyOn(globalThis, 'setTimeout');
      try {
        const result = await conn.run('NOOP');
        expect(result.tagged.text).toBe('late');
        // The engine armed at most a couple of timers, not one per millisecond.
        expect(spy.mock.calls.length).toBeLessThan(10);
      } finally {
        spy.mockRestore();
      }
      expect(overflows).toBe(0);
      expect(conn.closed).toBe(false);
    });
  }

  it('timeouts.command NaN (a mis-parsed option) times out at once instead of never', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n');
      await c.expect(/^T\d+ NOOP/);
      await c.closed(); // never answers
    });
    const conn = await connect(server, { timeouts: { greeting: 2000, command: NaN } });
    await expect(conn.run('NOOP')).rejects.toMatchObject({ code: 'CONNECTION_TIMEOUT' });
    expect(conn.closed).toBe(true);
  });

  it('a command with timeout: Infinity has none, beside a connection default of 200 ms', async () => {
    const server = await serve(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n');
      await c.expect(/^T\d+ NOOP/);
      await new Promise((r) => setTimeout(r, 400));
      await c.write('$tag OK late\r\n');
      await c.closed();
    });
    const conn = await connect(server, { timeouts: { command: 200 } });
    const result = await conn.run('NOOP', [], { timeout: Infinity });
    expect(result.tagged.text).toBe('late');
    expect(conn.closed).toBe(false);
    expect(overflows).toBe(0);
  });
});

describe('IDLE restart beyond a timer', () => {
  for (const idleRestart of [Infinity, 2 ** 31]) {
    it(`timeouts.idleRestart ${idleRestart}: IDLE is sent once, not restarted in a loop`, async () => {
      let idles = 0;
      let dones = 0;
      const server = await serve(async (c) => {
        await c.write('* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n');
        for (;;) {
          const line = await c.expect(/^(T\d+ IDLE|DONE)$/);
          if (line === 'DONE') {
            dones++;
            await c.write(`${idleTag} OK idle done\r\n`);
          } else {
            idles++;
            idleTag = c.tag;
            await c.write('+ idling\r\n');
          }
        }
      });
      let idleTag = '';
      const conn = await connect(server, { timeouts: { command: 2000, idleRestart } });
      const handle = await conn.idle();
      await sleep(300);
      expect({ idles, dones }).toEqual({ idles: 1, dones: 0 });
      await handle.done();
      expect({ idles, dones }).toEqual({ idles: 1, dones: 1 });
      expect(overflows).toBe(0);
    });
  }
});

describe('connection timeouts of Infinity mean none', () => {
  it('timeouts.greeting, connect and tls: Infinity wait for a greeting sent after 100 ms', async () => {
    const server = await serve(async (c) => {
      await new Promise((r) => setTimeout(r, 100));
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n');
      await c.closed();
    });
    const conn = await connect(server, {
      timeouts: { connect: Infinity, greeting: Infinity, tls: Infinity, command: Infinity },
    });
    expect(conn.state).toBe('authenticated');
    expect(overflows).toBe(0);
  });
});
