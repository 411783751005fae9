import zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCompression } from '../../src/connection/compress.js';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import { ImapConnectionError } from '../../src/model/errors.js';
import type { StreamedLiteral, UntaggedResponse } from '../../src/model/response.js';
import { literal, mailbox, raw, seq } from '../../src/wire/args.js';
import type { LiteralStartInfo } from '../../src/wire/parser-options.js';
import {
  captureLogger,
  connectAlice,
  createMailboxWith,
  deleteMailboxes,
  testMessage,
  tlsOptions,
  uniqueMailbox,
} from '../helpers/dovecot.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

const box = uniqueMailbox('compress');
const bigBox = uniqueMailbox('compress-big');
const bigBody = Buffer.alloc(2 * 1024 * 1024 + 123);
for (let i = 0; i < bigBody.length; i++) bigBody[i] = 0x41 + ((i * 7919) % 26);
for (let i = 76; i < bigBody.length; i += 78) {
  bigBody[i] = 0x0d;
  bigBody[i + 1] = 0x0a;
}
const bigMessage = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), bigBody]);
let admin: ImapConnection;

beforeAll(async () => {
  admin = await connectAlice();
  await createMailboxWith(
    admin,
    box,
    Array.from({ length: 12 }, (_, i) => testMessage(`compress ${i}`, `body ${i} `.repeat(50 + i))),
  );
  await admin.exec('CREATE', [mailbox(bigBox)]);
  await admin.exec('APPEND', [mailbox(bigBox), literal(bigMessage)]);
});

afterAll(async () => {
  await deleteMailboxes(admin, [box, bigBox]);
  await admin.logout();
});

let scripted: ScriptedServer | null = null;
afterEach(async () => {
  await scripted?.close();
  scripted = null;
});

async function selectAndFetch(conn: ImapConnection): Promise<unknown> {
  await conn.exec('EXAMINE', [mailbox(box)]);
  const f = await conn.exec(
    'FETCH',
    [seq('1:*'), raw('(UID FLAGS ENVELOPE RFC822.SIZE BODY.PEEK[])')],
    {
      collect: ['FETCH'],
    },
  );
  return { selected: { ...conn.selected }, fetch: f.untagged };
}

describe('COMPRESS=DEFLATE (RFC 4978) against Dovecot', () => {
  for (const transport of ['plain', 'STARTTLS'] as const) {
    it(`SELECT and FETCH give the same results with COMPRESS on and off (${transport})`, async () => {
      const extra: Partial<ConnectOptions> =
        transport === 'plain' ? {} : { security: 'starttls', tls: tlsOptions() };
      const off = await connectAlice(extra);
      const log = captureLogger();
      const on = await connectAlice({ ...extra, compress: true, logger: log.logger });
      try {
        expect(off.compressed).toBe(false);
        expect(on.compressed).toBe(true);
        const a = await selectAndFetch(off);
        const b = await selectAndFetch(on);
        expect(b).toEqual(a);
        expect((a as { fetch: unknown[] }).fetch).toHaveLength(12);
        // The trace shows the decompressed protocol.
        expect(log.lines.some((l) => /^S: \* 12 FETCH \(UID \d+ FLAGS/.test(l))).toBe(true);
        await on.logout();
        expect(on.closed).toBe(true);
      } finally {
        off.close();
        on.close();
      }
    });
  }

  it('a literal over the stream threshold goes to the command sink, through COMPRESS', async () => {
    const conn = await connectAlice({ compress: true });
    try {
      await conn.exec('EXAMINE', [mailbox(bigBox)]);
      const chunks: Buffer[] = [];
      const infos: LiteralStartInfo[] = [];
      let ended = false;
      const r = await conn.exec('FETCH', [seq(1), raw('(BODY.PEEK[])')], {
        collect: ['FETCH'],
        onLiteral: (info) => {
          infos.push(info);
          return { write: (c) => chunks.push(Buffer.from(c)), end: () => (ended = true) };
        },
      });
      expect(infos).toHaveLength(1);
      expect(infos[0]).toMatchObject({ size: bigMessage.length, seq: 1, name: 'FETCH' });
      expect(ended).toBe(true);
      expect(Buffer.concat(chunks).equals(bigMessage)).toBe(true);
      const fetch = r.untagged[0] as Extract<UntaggedResponse, { name: 'FETCH' }>;
      const section = fetch.attributes.sections?.get('BODY[]');
      expect((section?.data as StreamedLiteral).streamed).toBe(true);
      expect((section?.data as StreamedLiteral).size).toBe(bigMessage.length);
    } finally {
      conn.close();
    }
  });
});

describe('pauseReading() with COMPRESS', () => {
  /**
   * FETCHes the 2 MB message into a sink that pauses reading at its first
   * chunk and releases it after `holdMs`; what reached the sink meanwhile.
   */
  async function pausedFetch(conn: ImapConnection, holdMs: number) {
    const chunks: Buffer[] = [];
    let whilePaused = 0;
    let release: (() => void) | null = null;
    let released = false;
    let ended = false;
    const done = conn.exec('FETCH', [seq(1), raw('(BODY.PEEK[])')], {
      collect: ['FETCH'],
      onLiteral: () => ({
        write: (c) => {
          chunks.push(Buffer.from(c));
          if (release === null) {
            release = conn.pauseReading();
            setTimeout(() => {
              released = true;
              release!();
            }, holdMs);
          } else if (!released) {
            whilePaused += c.length;
          }
        },
        end: () => (ended = true),
      }),
    });
    await done;
    return { whilePaused, ended, body: Buffer.concat(chunks) };
  }

  it('no inflated byte reaches the sink while reading is paused; all arrive, in order, after', async () => {
    const conn = await connectAlice({ compress: true });
    try {
      expect(conn.compressed).toBe(true);
      await conn.exec('EXAMINE', [mailbox(bigBox)]);
      const r = await pausedFetch(conn, 300);
      expect(r.whilePaused).toBe(0);
      expect(r.ended).toBe(true);
      expect(r.body.equals(bigMessage)).toBe(true);
      // The connection goes on after the paused command.
      expect((await conn.exec('NOOP')).tagged.status).toBe('OK');
    } finally {
      conn.close();
    }
  });

  it('a server closing while reading is paused: what it sent arrives once released, then the BYE', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n');
      await c.expect(/COMPRESS DEFLATE/);
      await c.write('$tag OK deflating\r\n');
      await c.startCompress();
      await c.expect(/FETCH/);
      await c.write(
        Buffer.concat([
          Buffer.from(`* 1 FETCH (BODY[] {${body.length}}\r\n`),
          body,
          Buffer.from(`)\r\n${c.tag} OK fetched\r\n* BYE going away\r\n`),
        ]),
      );
      await new Promise((r) => setTimeout(r, 50));
      await c.close();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
      timeouts: { command: 2000 },
    });
    await conn.compress();
    const closed = new Promise<Error | null>((resolve) => conn.once('close', resolve));
    const r = await pausedFetch(conn, 300);
    expect(r.whilePaused).toBe(0);
    expect(r.ended).toBe(true);
    expect(r.body.equals(body)).toBe(true);
    expect(await closed).toMatchObject({ code: 'CONNECTION_BYE' });
  });

  it('the inflater hands over what it holds when the server closes, even while paused', async () => {
    const plain = Buffer.concat([
      Buffer.from('* 1 FETCH (BODY[] {1000000}\r\n'),
      Buffer.alloc(1_000_000, 0x62),
      Buffer.from(')\r\n* BYE bye\r\n'),
    ]);
    const got: Buffer[] = [];
    let ended = 0;
    const socket = new PassThrough();
    const compression = startCompression(socket, {
      onPlain: (b) => {
        got.push(b);
        if (got.length === 1) compression.pause(); // held back from here on
      },
      onCorrupt: (err) => {
        throw err;
      },
      onEnded: () => ended++,
    });
    compression.input.write(
      zlib.deflateRawSync(plain, { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
    const t0 = Date.now();
    expect(compression.endInput()).toBe(false);
    await vi.waitFor(() => expect(ended).toBe(1), { timeout: 2000, interval: 5 });
    // Everything, at the end of the inflater, not after the second's grace.
    expect(Date.now() - t0).toBeLessThan(500);
    expect(Buffer.concat(got).equals(plain)).toBe(true);
    compression.destroy();
  });
});

describe('COMPRESS switch point (scripted server)', () => {
  it('bytes after the OK in the same packet are compressed data and are inflated', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n');
      await c.expect(/COMPRESS DEFLATE/);
      const first = zlib.deflateRawSync(Buffer.from('* OK [ALERT] compressed hello\r\n'), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      c.socket.write(Buffer.concat([Buffer.from(`${c.tag} OK deflating\r\n`), first]));
      await c.startCompress();
      await c.expect(/NOOP/);
      await c.write('$tag OK still compressed\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const alerts: string[] = [];
    conn.on('alert', (t) => alerts.push(t));
    await conn.compress();
    const r = await conn.exec('NOOP');
    expect(r.tagged.text).toBe('still compressed');
    expect(alerts).toEqual(['compressed hello']);
    conn.close();
  });

  it('a COMPRESS OK in the read whose completion sent COMPRESS: what follows it is inflated', async () => {
    // `noop(); compress()` in one tick: COMPRESS is sent while the read with
    // the NOOP's completion is parsed; a server answering it ahead puts its
    // OK and compressed data in that read.
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n');
      const noop = await c.expect(/^A\d+ NOOP$/);
      const next = `A${Number(noop.split(' ')[0]!.slice(1)) + 1}`;
      const first = zlib.deflateRawSync(Buffer.from('* OK [ALERT] compressed hello\r\n'), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      c.socket.write(
        Buffer.concat([Buffer.from(`${c.tag} OK noop\r\n${next} OK deflating\r\n`), first]),
      );
      await c.expect(/^A\d+ COMPRESS DEFLATE$/);
      await c.startCompress();
      await c.expect(/NOOP/);
      await c.write('$tag OK still compressed\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
      timeouts: { command: 2000 },
    });
    const alerts: string[] = [];
    conn.on('alert', (t) => alerts.push(t));
    const noop = conn.noop();
    const compress = conn.compress();
    await noop;
    await compress;
    expect(conn.compressed).toBe(true);
    const r = await conn.exec('NOOP');
    expect(r.tagged.text).toBe('still compressed');
    expect(alerts).toEqual(['compressed hello']);
    conn.close();
  });

  it('uncompressed bytes after the OK close the connection (COMPRESS_INJECTION)', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n');
      await c.expect(/COMPRESS DEFLATE/);
      await c.write('$tag OK deflating\r\n* OK this is not deflate data at all\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: '127.0.0.1',
      port: scripted.port,
      security: 'none',
    });
    const closed = new Promise<Error | null>((resolve) => conn.once('close', resolve));
    await conn.compress().catch(() => undefined);
    const err = (await closed) as ImapConnectionError;
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect(['COMPRESS_INJECTION', 'PARSE']).toContain(err.code);
  });
});
