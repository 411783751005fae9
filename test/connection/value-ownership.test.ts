/**
 * Body sections fetched through a real connection (socket bytes read into
 * 64 KiB slabs by src/connection/reader.ts) do not keep those slabs alive:
 * a small value is a copy, a large one may stay a view of the bytes it
 * arrived in. The bound asserted is the one of test/wire/parser-ownership:
 * a value's ArrayBuffer is at most `max(8 × its length, Buffer.poolSize)`
 * bytes (a slab is 64 KiB; Node's pool for Buffers under 4 KiB is 8 KiB).
 */
import { describe, expect, it, vi } from 'vitest';
import { fetchAll } from '../../src/commands/fetch.js';
import type { Security } from '../../src/connection/types.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';
import type { Script } from '../helpers/scripted-server.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers((server) => ({
  host: server.host,
  port: server.port,
  security: 'none',
  tls: { ca: server.ca },
  tagPrefix: 'T',
  timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 2000 },
}));

function filler(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x41 + ((i + seed) % 26);
  return b;
}

const COUNT = 80;
/** Sizes of the sources: small ones, and every 20th one large (most of a slab). */
const sourceSize = (uid: number): number => (uid % 20 === 0 ? 50_000 : 600 + ((uid * 37) % 900));

/** A UID FETCH of 1:COUNT answered with BODY[HEADER] and BODY[] of each, in one write. */
const script: Script = async (c) => {
  await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
  await c.expect(/UID FETCH 1:80 /);
  const parts: Buffer[] = [];
  for (let uid = 1; uid <= COUNT; uid++) {
    parts.push(
      Buffer.from(`* ${uid} FETCH (UID ${uid} BODY[HEADER] {200}\r\n`),
      filler(200, uid),
      Buffer.from(` BODY[] {${sourceSize(uid)}}\r\n`),
      filler(sourceSize(uid), uid),
      Buffer.from(')\r\n'),
    );
  }
  parts.push(Buffer.from(`${c.tag} OK done\r\n`));
  await c.write(Buffer.concat(parts));
  await c.run([{ stall: true }]);
};

const securities: Security[] = ['none', 'tls'];

describe.each(securities)('fetched values and the read slabs (security %s)', (security) => {
  it('small BODY[] and BODY[HEADER] values do not reference the 64 KiB read slabs', async () => {
    const server = await serve(script, { tls: security === 'tls' });
    const conn = await connect(server, { security });
    const msgs = await fetchAll(conn, '1:80', { headers: true, source: true }, { uid: true });
    expect(msgs).toHaveLength(COUNT);
    for (const m of msgs) {
      const uid = m.uid!;
      expect(m.headers?.equals(filler(200, uid))).toBe(true);
      expect(m.source?.equals(filler(sourceSize(uid), uid))).toBe(true);
      for (const v of [m.headers!, m.source!]) {
        expect(
          v.buffer.byteLength,
          `UID ${uid}: a ${v.length}-byte value keeps ${v.buffer.byteLength} bytes alive`,
        ).toBeLessThanOrEqual(Math.max(8 * v.length, Buffer.poolSize));
      }
    }
  });
});
