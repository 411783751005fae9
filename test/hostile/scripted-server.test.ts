import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';
import { TEST_CERT } from '../helpers/tls-fixtures.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

/** A minimal raw client: collects what the server sends. */
function rawClient(socket: net.Socket) {
  let data = Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let wake: (() => void) | null = null;
  const onData = (c: Buffer): void => {
    chunks.push(c);
    data = Buffer.concat([data, c]);
    wake?.();
  };
  socket.on('data', onData);
  const closed = new Promise<string>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    socket.on('close', () => resolve('close'));
  });
  return {
    chunks,
    text: () => data.toString('latin1'),
    closed,
    detach: () => socket.off('data', onData),
    async until(re: RegExp): Promise<string> {
      while (!re.test(data.toString('latin1'))) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          void closed.then(() => resolve());
        });
        if (socket.destroyed && !re.test(data.toString('latin1'))) {
          throw new Error(`closed before ${re}: ${JSON.stringify(data.toString('latin1'))}`);
        }
      }
      return data.toString('latin1');
    },
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

let server: ScriptedServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('scripted server helper', () => {
  it('replays steps, substitutes $tag and records the exact client bytes', async () => {
    server = await startScriptedServer([
      { send: '* OK ready\r\n' },
      { expect: /^\S+ CAPABILITY$/ },
      { send: '* CAPABILITY IMAP4rev1\r\n$tag OK done\r\n', chunks: [3, 5] },
    ]);
    const socket = await connect(server.port);
    const client = rawClient(socket);
    await client.until(/ready\r\n/);
    socket.write('X7 NOOP\r\nX8 CAPABILITY\r\n');
    const text = await client.until(/X8 OK done\r\n$/);
    expect(text).toBe('* OK ready\r\n* CAPABILITY IMAP4rev1\r\nX8 OK done\r\n');
    expect(client.chunks.length).toBeGreaterThanOrEqual(2);
    expect(server.receivedText()).toBe('X7 NOOP\r\nX8 CAPABILITY\r\n');
    expect(server.connections).toBe(1);
    socket.destroy();
    await server.settled();
    expect(server.errors).toEqual([]);
  });

  it('drips one byte at a time and then closes with FIN', async () => {
    server = await startScriptedServer([{ drip: 'abc\r\n', intervalMs: 5 }, { close: true }]);
    const socket = await connect(server.port);
    const client = rawClient(socket);
    expect(await client.closed).toBe('close');
    expect(client.text()).toBe('abc\r\n');
    expect(client.chunks.every((c) => c.length === 1)).toBe(true);
  });

  it('resets the connection with RST', async () => {
    server = await startScriptedServer([{ send: '* OK\r\n' }, { wait: 20 }, { reset: true }]);
    const socket = await connect(server.port);
    const client = rawClient(socket);
    expect(await client.closed).toBe('ECONNRESET');
  });

  it('stalls until the client goes away, still recording what it sends', async () => {
    server = await startScriptedServer([{ stall: true }]);
    const socket = await connect(server.port);
    socket.write('A1 NOOP\r\n');
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await server.settled();
    expect(server.receivedText()).toBe('A1 NOOP\r\n');
  });

  it('upgrades to TLS server-side and records the decrypted bytes only', async () => {
    server = await startScriptedServer([
      { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS]\r\n' },
      { expect: /STARTTLS$/ },
      { send: '$tag OK Begin TLS\r\n' },
      { startTls: true },
      { expect: /NOOP$/ },
      { send: '$tag OK secure\r\n' },
    ]);
    const plain = await connect(server.port);
    const client = rawClient(plain);
    await client.until(/STARTTLS\]\r\n/);
    plain.write('S1 STARTTLS\r\n');
    await client.until(/S1 OK Begin TLS\r\n/);
    client.detach();
    const secure = tls.connect({ socket: plain, ca: TEST_CERT, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    expect(secure.authorized).toBe(true);
    const sc = rawClient(secure);
    secure.write('S2 NOOP\r\n');
    await sc.until(/S2 OK secure\r\n/);
    expect(server.receivedText()).toBe('S1 STARTTLS\r\nS2 NOOP\r\n');
    secure.destroy();
  });

  it('hands a ClientHello that arrived with the STARTTLS line to the TLS layer', async () => {
    server = await startScriptedServer([
      { expect: /STARTTLS$/ },
      { startTls: true },
      { expect: /NOOP$/ },
      { send: '$tag OK secure\r\n' },
    ]);
    const plain = await connect(server.port);
    plain.cork();
    plain.write('S1 STARTTLS\r\n');
    const secure = tls.connect({ socket: plain, ca: TEST_CERT, servername: 'localhost' });
    process.nextTick(() => plain.uncork());
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    const sc = rawClient(secure);
    secure.write('S2 NOOP\r\n');
    await sc.until(/S2 OK secure\r\n/);
    expect(server.receivedText()).toBe('S1 STARTTLS\r\nS2 NOOP\r\n');
    secure.destroy();
  });

  it('serves implicit TLS with a certificate the client can verify', async () => {
    server = await startScriptedServer([{ send: '* OK hello\r\n' }, { close: true }], {
      tls: true,
    });
    const secure = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca });
    const client = rawClient(secure);
    await client.until(/\* OK hello\r\n/);
    expect(secure.authorized).toBe(true);
  });

  it('runs a callback script with readLine / readBytes / write / startCompress', async () => {
    server = await startScriptedServer(async (conn) => {
      await conn.write('* OK\r\n');
      const line = await conn.readLine();
      expect(line).toBe('C1 APPEND INBOX {3}');
      await conn.write('+ go\r\n');
      expect((await conn.readBytes(3)).toString()).toBe('abc');
      expect(await conn.readLine()).toBe('');
      await conn.write('C1 OK appended\r\n');
      await conn.expect(/^C2 COMPRESS DEFLATE$/);
      await conn.write('$tag OK deflating\r\n');
      await conn.startCompress();
      await conn.expect(/^C3 NOOP$/);
      await conn.write('$tag OK compressed\r\n');
    });
    const socket = await connect(server.port);
    const client = rawClient(socket);
    await client.until(/^\* OK\r\n/);
    socket.write('C1 APPEND INBOX {3}\r\n');
    await client.until(/\+ go\r\n/);
    socket.write('abc\r\n');
    await client.until(/C1 OK appended\r\n/);
    socket.write('C2 COMPRESS DEFLATE\r\n');
    await client.until(/C2 OK deflating\r\n/);
    client.detach();
    const deflate = zlib.createDeflateRaw();
    const inflate = zlib.createInflateRaw();
    deflate.on('data', (c: Buffer) => socket.write(c));
    socket.pipe(inflate);
    const inflated = rawClient(inflate as unknown as net.Socket);
    deflate.write('C3 NOOP\r\n');
    deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    await inflated.until(/C3 OK compressed\r\n/);
    expect(server.receivedText()).toBe(
      'C1 APPEND INBOX {3}\r\nabc\r\nC2 COMPRESS DEFLATE\r\nC3 NOOP\r\n',
    );
    socket.destroy();
    await server.settled();
    expect(server.errors).toEqual([]);
  });

  it('runs the script again for each connection and close() ends everything', async () => {
    server = await startScriptedServer([{ send: '* OK\r\n' }, { stall: true }]);
    const a = await connect(server.port);
    const b = await connect(server.port);
    const ca = rawClient(a);
    const cb = rawClient(b);
    await ca.until(/\* OK/);
    await cb.until(/\* OK/);
    expect(server.connections).toBe(2);
    await server.close();
    expect(await ca.closed).toBe('close');
    expect(await cb.closed).toBe('close');
  });
});
