/**
 * `download()` in one command — `UID FETCH n (BODYSTRUCTURE BODY.PEEK[part])`
 * — against a scripted server: the structure ahead of a streamed part (also
 * with a literal inside it), the structure after the part (meta without
 * it, bytes intact), and `attributesBeforeLiteral` on hostile prefixes.
 */
import { describe, expect, it, vi } from 'vitest';
import { download } from '../../src/client/download.js';
import { attributesBeforeLiteral } from '../../src/wire/literal-context.js';
import { countingContext } from '../helpers/pausable-context.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers();

const FILENAME = 'data.bin';
/** An attachment whose file name is sent as a literal. */
const STRUCTURE = `("application" "octet-stream" ("name" {${FILENAME.length}}\r\n${FILENAME}) NIL NIL "base64" 300000 NIL ("attachment" ("filename" "${FILENAME}")) NIL NIL)`;

function body(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 0x41 + (i % 26);
  return b;
}

/**
 * Serves one FETCH of part 1 (the body of the single-part message
 * STRUCTURE describes) answered with `head` + data + `tail` in 2,000-byte writes.
 */
async function serveFetch(data: Buffer, head: string, tail: string) {
  return serve(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    await c.expect(/UID FETCH 7 \(BODYSTRUCTURE BODY\.PEEK\[1\]\)$/);
    const response = Buffer.concat([
      Buffer.from(head.replace('$tag', c.tag)),
      data,
      Buffer.from(tail.replace('$tag', c.tag)),
    ]);
    await c.run([{ send: response, chunks: new Array<number>(200).fill(2000) }, { stall: true }]);
  });
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) {
    parts.push(chunk as Buffer);
    if (parts.length % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return Buffer.concat(parts);
}

describe('download() in one command (scripted server)', () => {
  it('the structure ahead of the part (a literal inside it) gives the meta; the part streams', async () => {
    const data = body(300_000);
    const server = await serveFetch(
      data,
      `* 1 FETCH (UID 7 BODYSTRUCTURE ${STRUCTURE} BODY[1] {${data.length}}\r\n`,
      ')\r\n$tag OK done\r\n',
    );
    const conn = await connect(server, { streamThreshold: 1024 });
    const ctx = countingContext(conn);
    const result = await download(ctx, 7, '1', { highWaterMark: 8 * 1024 });
    expect(result.meta).toEqual({
      size: data.length,
      contentType: 'application/octet-stream',
      filename: FILENAME,
      encoding: 'base64',
      truncated: false,
      decoded: false,
    });
    expect((await readAll(result.content)).equals(data)).toBe(true);
    expect(ctx.pauses).toBeGreaterThan(0);
  });

  it('a structure sent after the part leaves the meta without it; the bytes are intact', async () => {
    const data = body(300_000);
    const server = await serveFetch(
      data,
      `* 1 FETCH (UID 7 BODY[1] {${data.length}}\r\n`,
      ` BODYSTRUCTURE ${STRUCTURE})\r\n$tag OK done\r\n`,
    );
    const conn = await connect(server, { streamThreshold: 1024 });
    const result = await download(conn, 7, '1', { highWaterMark: 8 * 1024 });
    expect(result.meta).toEqual({ size: data.length, truncated: false, decoded: false });
    expect((await readAll(result.content)).equals(data)).toBe(true);
  });
});

describe('download() with maxBytes (scripted server)', () => {
  /** Serves one FETCH of `<0.n>` answered with `data` (whatever range was asked). */
  async function servePartial(data: Buffer, asked: RegExp) {
    return serve(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      await c.expect(asked);
      const response = Buffer.concat([
        Buffer.from(`* 1 FETCH (UID 7 BODY[]<0> {${data.length}}\r\n`),
        data,
        Buffer.from(`)\r\n${c.tag} OK done\r\n`),
      ]);
      await c.run([{ send: response, chunks: new Array<number>(200).fill(2000) }, { stall: true }]);
    });
  }

  it('asks for maxBytes + 1 bytes; the extra byte marks the section truncated and is dropped', async () => {
    const data = body(100_001);
    const server = await servePartial(
      data,
      /UID FETCH 7 \(BODYSTRUCTURE BODY\.PEEK\[\]<0\.100001>\)$/,
    );
    const conn = await connect(server, { streamThreshold: 1024 });
    const result = await download(conn, 7, '', { maxBytes: 100_000, highWaterMark: 8 * 1024 });
    // The whole message: known to be message/rfc822 without a body structure.
    expect(result.meta).toEqual({
      size: 100_000,
      contentType: 'message/rfc822',
      truncated: true,
      decoded: false,
    });
    expect((await readAll(result.content)).equals(data.subarray(0, 100_000))).toBe(true);
  });

  it('a server that ignores the range still yields only maxBytes bytes', async () => {
    const data = body(300_000);
    const server = await servePartial(data, /BODY\.PEEK\[\]<0\.1001>\)$/);
    const conn = await connect(server, { streamThreshold: 1024 });
    const result = await download(conn, 7, '', { maxBytes: 1000 });
    expect(result.meta).toEqual({
      size: 1000,
      contentType: 'message/rfc822',
      truncated: true,
      decoded: false,
    });
    expect((await readAll(result.content)).equals(data.subarray(0, 1000))).toBe(true);
  });

  it('maxBytes must be a positive integer (checked before anything is sent)', async () => {
    const server = await serve(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      await c.run([{ stall: true }]);
    });
    const conn = await connect(server);
    for (const bad of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
      await expect(download(conn, 7, '', { maxBytes: bad })).rejects.toMatchObject({
        code: 'ARGUMENT',
      });
    }
  });
});

describe('download() when the structure comes ahead of the UID', () => {
  it('a "uid 1" inside the structure is not taken for the UID of the response', async () => {
    const data = body(300_000);
    const structure = STRUCTURE.replaceAll(FILENAME, 'uid 1.bin').replace(
      `{${FILENAME.length}}`,
      `{${'uid 1.bin'.length}}`,
    );
    const server = await serveFetch(
      data,
      `* 1 FETCH (BODYSTRUCTURE ${structure} UID 7 BODY[1] {${data.length}}\r\n`,
      ')\r\n$tag OK done\r\n',
    );
    const conn = await connect(server, { streamThreshold: 1024 });
    const result = await download(conn, 7, '1', { highWaterMark: 8 * 1024 });
    expect(result.meta.filename).toBe('uid 1.bin');
    const chunks: Buffer[] = [];
    for await (const chunk of result.content) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1); // streamed, not buffered whole by the parser
  });
});

describe('attributesBeforeLiteral', () => {
  const info = (prefix: string, item: string | null = 'BODY[2]') => ({
    size: 10,
    seq: 1,
    name: 'FETCH',
    item,
    prefix: Buffer.from(prefix, 'latin1'),
  });

  it('parses the items ahead of the literal, whatever the case of the item name', () => {
    const a = attributesBeforeLiteral(
      info(
        '* 1 FETCH (UID 7 FLAGS (\\Seen) BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 3 1) body[2] {10}',
      ),
    );
    expect(a?.uid).toBe(7);
    expect(a?.flags).toEqual(['\\Seen']);
    expect(a?.bodyStructure?.type).toBe('text');
  });

  it('is empty when the literal is the first item', () => {
    expect(attributesBeforeLiteral(info('* 1 FETCH (BODY[2] {10}'))).toEqual({});
  });

  it('is null for what is not a FETCH prefix ending in the item, or does not parse', () => {
    expect(attributesBeforeLiteral(info('* 1 FETCH (UID 7 RFC822 {10}'))).toBeNull();
    expect(
      attributesBeforeLiteral({ ...info('* 1 FETCH (BODY[2] {10}'), name: 'LIST' }),
    ).toBeNull();
    expect(attributesBeforeLiteral(info('* 1 FETCH (UID 7 BODY[2] {10}', null))).toBeNull();
    expect(
      attributesBeforeLiteral(info('* 1 FETCH (UID 7 BODYSTRUCTURE ((((( BODY[2] {10}')),
    ).toBeNull();
    expect(attributesBeforeLiteral(info('* 1 FETCH (UID {99}\r\nab BODY[2] {10}'))).toBeNull();
    expect(attributesBeforeLiteral(info('garbage BODY[2] {10}'))).toBeNull();
  });
});

describe('download() of a part that does not exist', () => {
  it('rejects with ImapArgumentError naming the part (not an empty stream); the connection goes on', async () => {
    const structure =
      '(("text" "plain" NIL NIL NIL "7bit" 5 1)("text" "html" NIL NIL NIL "7bit" 6 1) "alternative")';
    const server = await serve(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      for (const item of ['9', '1.2', '3.MIME']) {
        await c.expect(new RegExp(`UID FETCH 3 \\(BODYSTRUCTURE BODY\\.PEEK\\[${item}\\]\\)$`));
        await c.write(`* 1 FETCH (UID 3 BODYSTRUCTURE ${structure} BODY[${item}] "")\r\n`);
        await c.write(`${c.tag} OK done\r\n`);
      }
      await c.expect(/UID FETCH 3 \(BODYSTRUCTURE BODY\.PEEK\[2\]\)$/);
      await c.write(`* 1 FETCH (UID 3 BODYSTRUCTURE ${structure} BODY[2] "<b/>")\r\n`);
      await c.write(`${c.tag} OK done\r\n`);
    });
    const conn = await connect(server);
    for (const [part, number] of [
      ['9', '9'],
      ['1.2', '1.2'],
      ['3.MIME', '3'],
    ] as const) {
      await expect(download(conn, 3, part)).rejects.toMatchObject({
        name: 'ImapArgumentError',
        code: 'ARGUMENT',
        message: expect.stringContaining(`no part ${number} in message UID 3`) as unknown,
      });
    }
    const ok = await download(conn, 3, '2');
    expect(ok.meta).toMatchObject({ contentType: 'text/html', size: 4 });
    expect((await readAll(ok.content)).toString()).toBe('<b/>');
  });
});
