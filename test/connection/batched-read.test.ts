/**
 * The engine reading its socket in batches (src/connection/reader.ts) over
 * TCP and implicit TLS, against a scripted server: streamed literals split
 * across many writes, back-pressure with a slow consumer, an aborted
 * stream, and data the server sent right before closing.
 */
import { describe, expect, it, vi } from 'vitest';
import { fetchStream } from '../../src/commands/fetch.js';
import type { Security } from '../../src/connection/types.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import { countingContext } from '../helpers/pausable-context.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';
import type { Script } from '../helpers/scripted-server.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers((server) => ({
  host: server.host,
  port: server.port,
  security: 'none',
  tls: { ca: server.ca },
  tagPrefix: 'T',
  streamThreshold: 1024,
  timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 2000 },
}));

/** A message body whose bytes tell their offset apart. */
function body(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 0x20 + ((i * 7 + (i >> 9)) % 90);
  return b;
}

/** The FETCH of UID 7 answered with `data`, in writes of `chunk` bytes; then a NOOP. */
function fetchScript(data: Buffer, chunk: number): Script {
  return async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    await c.expect(/UID FETCH 7 /);
    const response = Buffer.concat([
      Buffer.from(`* 1 FETCH (UID 7 BODY[] {${data.length}}\r\n`),
      data,
      Buffer.from(`)\r\n${c.tag} OK fetched\r\n`),
    ]);
    const chunks = new Array<number>(Math.ceil(response.length / chunk)).fill(chunk);
    await c.run([{ send: response, chunks }]);
    await c.expect(/NOOP$/);
    await c.write('$tag OK still here\r\n');
    await c.run([{ stall: true }]);
  };
}

const securities: Security[] = ['none', 'tls'];

describe.each(securities)('batched socket reads (security %s)', (security) => {
  it('a literal split over hundreds of writes streams whole to a slow consumer, with back-pressure', async () => {
    const data = body(400_000);
    const server = await serve(fetchScript(data, 1000), { tls: security === 'tls' });
    const conn = await connect(server, { security });
    const ctx = countingContext(conn);
    const { stream, size } = await fetchStream(ctx, 7, '', { uid: true, highWaterMark: 8 * 1024 });
    expect(size).toBe(data.length);
    const parts: Buffer[] = [];
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      if (parts.length % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(ctx.pauses).toBeGreaterThan(0);
    const noop = await conn.run('NOOP');
    expect(noop.tagged.text).toBe('still here');
  });

  it('a stream destroyed half-way discards the rest; the next command works', async () => {
    const data = body(200_000);
    const server = await serve(fetchScript(data, 4096), { tls: security === 'tls' });
    const conn = await connect(server, { security });
    const { stream } = await fetchStream(conn, 7, '', { uid: true, highWaterMark: 4096 });
    let seen = 0;
    for await (const chunk of stream) {
      seen += (chunk as Buffer).length;
      if (seen > 20_000) break; // destroys the stream
    }
    expect(stream.destroyed).toBe(true);
    const noop = await conn.run('NOOP');
    expect(noop.tagged.status).toBe('OK');
    expect(noop.tagged.text).toBe('still here');
    expect(conn.closed).toBe(false);
  });

  it('a completion and BYE sent right before the server closes are seen before the close', async () => {
    const server = await serve(
      [
        { send: '* OK [CAPABILITY IMAP4rev1] ready\r\n' },
        { expect: /NOOP$/ },
        { send: '$tag OK done\r\n* BYE shutting down\r\n' },
        { close: true },
      ],
      { tls: security === 'tls' },
    );
    const conn = await connect(server, { security });
    const closed = new Promise<Error | null>((resolve) => conn.once('close', resolve));
    const noop = await conn.run('NOOP');
    expect(noop.tagged.text).toBe('done');
    const err = await closed;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as ImapConnectionError).code).toBe('CONNECTION_BYE');
    expect(err!.message).toContain('shutting down');
  });

  it('pipelined commands complete in order when their responses arrive in one write', async () => {
    const n = 50;
    const tags = Array.from({ length: n }, (_, i) => `T${i}`);
    const response = tags
      .map((t, i) => `* ${i + 1} FETCH (UID ${i + 1} FLAGS (\\Flagged))\r\n${t} OK stored\r\n`)
      .join('');
    const server = await serve(
      async (c) => {
        await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
        for (let i = 0; i < n; i++) await c.expect(/UID STORE/);
        await c.write(response);
        await c.expect(/NOOP$/);
        await c.write('$tag OK fine\r\n');
      },
      { tls: security === 'tls' },
    );
    const conn = await connect(server, { security });
    const order: number[] = [];
    const results = await Promise.all(
      tags.map((_, i) =>
        conn.run('UID STORE', [], { pipeline: true, collect: ['FETCH'] }).then((r) => {
          order.push(i);
          return r;
        }),
      ),
    );
    expect(order).toEqual(tags.map((_, i) => i));
    expect(results.map((r) => r.untagged.length)).toEqual(tags.map(() => 1));
    expect((await conn.run('NOOP')).tagged.text).toBe('fine');
  });
});
