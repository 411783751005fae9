/**
 * A scripted IMAP server for hostile-server tests: it replays byte
 * transcripts (or runs a callback) against whatever the client does, on
 * 127.0.0.1, over plain TCP or TLS with the test certificate, and records
 * every byte the client sent (after TLS decryption and COMPRESS inflation) so
 * tests can assert "the exact bytes on the wire".
 *
 * Each accepted connection runs the script from the start. A script never
 * throws into the test: failures (the client hung up while a step waited, a
 * handshake the client aborted) are collected in `errors`.
 */
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { tlsServerOptions, TEST_CERT } from './tls-fixtures.js';

/** One step of a script. `$tag` in sent text is the tag of the last line matched by `expect`. */
export type ScriptStep =
  /** Write bytes; `chunks` splits them into writes of these sizes (the rest in one last write); `delayMs` waits before each write. */
  | { send: string | Buffer; chunks?: number[]; delayMs?: number }
  /** Wait for a client line matching (lines that do not match are skipped); its first word becomes `$tag`. */
  | { expect: RegExp }
  /** Upgrade to TLS server-side with the test certificate (after the STARTTLS OK was sent). */
  | { startTls: true }
  /** Start COMPRESS=DEFLATE both ways (after the COMPRESS OK was sent). */
  | { compress: true }
  /** Close cleanly (FIN). */
  | { close: true }
  /** Abort the TCP connection with RST. */
  | { reset: true }
  /** Never answer again; keep reading until the client or the test closes. */
  | { stall: true }
  /** Write one byte every `intervalMs`. */
  | { drip: string | Buffer; intervalMs: number }
  /** Pause. */
  | { wait: number };

/** One accepted client connection, as the callback form of a script sees it. */
export interface ScriptedConnection {
  /** The current socket: the TCP socket, or the TLSSocket after {@link startTls}. */
  readonly socket: net.Socket;
  /** The tag of the last line matched by `expect` or read by {@link readCommand}. */
  tag: string;
  /** The next line the client sent, without its CRLF (or LF). Rejects when the client is gone. */
  readLine(): Promise<string>;
  /** Waits for a line matching `re` (skipping others) and sets {@link tag} from its first word. */
  expect(re: RegExp): Promise<string>;
  /** Exactly `n` bytes from the client (literal data). */
  readBytes(n: number): Promise<Buffer>;
  /** Writes bytes (after TLS / COMPRESS when active). `$tag` is substituted in strings. */
  write(data: string | Buffer): Promise<void>;
  /** TLS handshake as the server, with the test certificate. */
  startTls(): Promise<void>;
  /** Deflate what is written and inflate what is read from now on (RFC 4978). */
  startCompress(): Promise<void>;
  /** Runs script steps on this connection. */
  run(steps: readonly ScriptStep[]): Promise<void>;
  /** Closes cleanly (FIN) and waits for the socket to close. */
  close(): Promise<void>;
  /** Aborts with a TCP RST. */
  reset(): void;
  /** Resolves when the connection is closed (by either side). */
  closed(): Promise<void>;
  /** True once the connection is closed. */
  readonly isClosed: boolean;
  /** Every byte this client sent (decrypted, inflated). */
  received(): Buffer;
}

/** A running scripted server. */
export interface ScriptedServer {
  port: number;
  host: '127.0.0.1';
  /** The certificate to trust (present when started with `tls: true`; always the test certificate). */
  ca: Buffer;
  /** Every byte all clients sent, in connection order (decrypted, inflated). */
  received(): Buffer;
  /** `received()` as latin1 text, handy for `toBe` on command lines. */
  receivedText(): string;
  /** How many connections were accepted. */
  readonly connections: number;
  /** The accepted connections, in order. */
  readonly sessions: readonly ScriptedConnection[];
  /** Errors of the scripts (e.g. the client hung up during an `expect`). */
  readonly errors: readonly Error[];
  /** Resolves when every script started so far has finished. */
  settled(): Promise<void>;
  /** Stops listening, destroys every connection and waits for them (and, up to 1 s, for the scripts). */
  close(): Promise<void>;
}

/** Options of {@link startScriptedServer}. */
export interface ScriptedServerOptions {
  /** Implicit TLS from the first byte, with the test certificate. */
  tls?: boolean;
}

export type Script = readonly ScriptStep[] | ((conn: ScriptedConnection) => Promise<void>);

class ConnectionClosedError extends Error {
  constructor(what: string) {
    super(`scripted server: client connection closed while waiting for ${what}`);
    this.name = 'ConnectionClosedError';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    t.unref();
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class Conn implements ScriptedConnection {
  socket: net.Socket;
  tag = '*';
  readonly #raw: net.Socket;
  readonly #log: Buffer[] = [];
  #buf: Buffer = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  #ended = false;
  #closed = false;
  readonly #closedPromise: Promise<void>;
  readonly #signal: AbortSignal;
  #inflate: zlib.InflateRaw | null = null;
  #deflate: zlib.DeflateRaw | null = null;
  readonly #onData = (chunk: Buffer): void => {
    if (this.#inflate) {
      this.#inflate.write(chunk);
      return;
    }
    this.#push(chunk);
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#notify();
  };

  constructor(raw: net.Socket, signal: AbortSignal) {
    this.#raw = raw;
    this.socket = raw;
    this.#signal = signal;
    this.#closedPromise = new Promise((resolve) => {
      raw.once('close', () => {
        this.#closed = true;
        this.#ended = true;
        this.#notify();
        resolve();
      });
    });
    raw.on('error', () => {
      /* RSTs, EPIPEs: the client's choice; 'close' follows. */
    });
    this.#attach(raw);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  #attach(s: net.Socket): void {
    s.on('data', this.#onData);
    s.on('end', this.#onEnd);
  }

  #detach(s: net.Socket): void {
    s.off('data', this.#onData);
    s.off('end', this.#onEnd);
  }

  #push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#log.push(chunk);
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #waitData(what: string): Promise<void> {
    if (this.#ended || this.#signal.aborted) throw new ConnectionClosedError(what);
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  received(): Buffer {
    return Buffer.concat(this.#log);
  }

  async readLine(): Promise<string> {
    for (;;) {
      const lf = this.#buf.indexOf(0x0a);
      if (lf !== -1) {
        const end = lf > 0 && this.#buf[lf - 1] === 0x0d ? lf - 1 : lf;
        const line = this.#buf.subarray(0, end).toString('latin1');
        this.#buf = this.#buf.subarray(lf + 1);
        return line;
      }
      await this.#waitData('a line');
    }
  }

  async expect(re: RegExp): Promise<string> {
    for (;;) {
      const line = await this.readLine();
      if (re.test(line)) {
        this.tag = line.split(' ', 1)[0] ?? '*';
        return line;
      }
    }
  }

  async readBytes(n: number): Promise<Buffer> {
    while (this.#buf.length < n) await this.#waitData(`${n} bytes`);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  #subst(data: string | Buffer): Buffer {
    return typeof data === 'string'
      ? Buffer.from(data.replace(/\$tag/g, this.tag), 'latin1')
      : data;
  }

  async write(data: string | Buffer): Promise<void> {
    const bytes = this.#subst(data);
    if (this.#closed || this.socket.destroyed || !this.socket.writable) return;
    if (this.#deflate) {
      const deflate = this.#deflate;
      await new Promise<void>((resolve) => {
        deflate.write(bytes);
        deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve());
      });
      return;
    }
    await new Promise<void>((resolve) => {
      this.socket.write(bytes, () => resolve());
    });
  }

  async startTls(): Promise<void> {
    const raw = this.socket;
    this.#detach(raw);
    raw.pause();
    // Bytes already read but not consumed belong to the TLS handshake: give
    // them back to the socket (TLSSocket reads a socket's buffered data) and
    // take them out of the plaintext log.
    const leftover = this.#buf;
    this.#buf = Buffer.alloc(0);
    if (leftover.length > 0) {
      this.#unlog(leftover.length);
      raw.unshift(leftover);
    }
    const secure = new tls.TLSSocket(raw, { isServer: true, ...tlsServerOptions() });
    this.socket = secure;
    secure.on('error', () => {
      /* reported through the handshake promise or 'close' */
    });
    await new Promise<void>((resolve, reject) => {
      const onSecure = (): void => {
        secure.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        secure.off('secure', onSecure);
        reject(new ConnectionClosedError('the TLS handshake'));
      };
      secure.once('secure', onSecure);
      secure.once('close', onClose);
    });
    this.#attach(secure);
  }

  #unlog(n: number): void {
    while (n > 0 && this.#log.length > 0) {
      const last = this.#log[this.#log.length - 1]!;
      if (last.length <= n) {
        this.#log.pop();
        n -= last.length;
      } else {
        this.#log[this.#log.length - 1] = last.subarray(0, last.length - n);
        n = 0;
      }
    }
  }

  async startCompress(): Promise<void> {
    const inflate = zlib.createInflateRaw();
    inflate.on('data', (chunk: Buffer) => this.#push(chunk));
    inflate.on('error', () => {
      this.#ended = true;
      this.#notify();
    });
    const leftover = this.#buf;
    this.#buf = Buffer.alloc(0);
    if (leftover.length > 0) this.#unlog(leftover.length);
    this.#inflate = inflate;
    if (leftover.length > 0) inflate.write(leftover);
    const deflate = zlib.createDeflateRaw();
    const out = this.socket;
    deflate.on('data', (chunk: Buffer) => {
      if (!out.destroyed && out.writable) out.write(chunk);
    });
    deflate.on('error', () => {});
    this.#deflate = deflate;
  }

  async run(steps: readonly ScriptStep[]): Promise<void> {
    for (const step of steps) {
      if (this.#signal.aborted) return;
      if ('send' in step) {
        const bytes = this.#subst(step.send);
        const pieces: Buffer[] = [];
        let at = 0;
        for (const size of step.chunks ?? []) {
          if (at >= bytes.length) break;
          pieces.push(bytes.subarray(at, at + size));
          at += size;
        }
        if (at < bytes.length) pieces.push(bytes.subarray(at));
        for (const piece of pieces) {
          if (step.delayMs) await sleep(step.delayMs, this.#signal);
          await this.write(piece);
        }
      } else if ('expect' in step) {
        await this.expect(step.expect);
      } else if ('startTls' in step) {
        await this.startTls();
      } else if ('compress' in step) {
        await this.startCompress();
      } else if ('close' in step) {
        await this.close();
      } else if ('reset' in step) {
        this.reset();
      } else if ('stall' in step) {
        await Promise.race([this.closed(), abortPromise(this.#signal)]);
      } else if ('drip' in step) {
        const bytes = this.#subst(step.drip);
        for (let i = 0; i < bytes.length; i++) {
          if (this.#closed || this.#signal.aborted) return;
          await this.write(bytes.subarray(i, i + 1));
          await sleep(step.intervalMs, this.#signal);
        }
      } else if ('wait' in step) {
        await sleep(step.wait, this.#signal);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#deflate) this.#deflate.end();
    this.socket.end();
    const t = setTimeout(() => this.#raw.destroy(), 1000);
    t.unref();
    await this.#closedPromise;
    clearTimeout(t);
  }

  reset(): void {
    if (this.#closed) return;
    try {
      // Only a plain TCP handle can send an RST; an implicit-TLS socket is destroyed instead.
      this.#raw.resetAndDestroy();
    } catch {
      this.#raw.destroy();
    }
  }

  destroy(): void {
    this.socket.destroy();
    this.#raw.destroy();
  }

  closed(): Promise<void> {
    return this.#closedPromise;
  }
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Starts a scripted server on 127.0.0.1 (ephemeral port). Every accepted
 * connection runs `script` (steps or a callback). Call `close()` when done.
 */
export async function startScriptedServer(
  script: Script,
  options: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const abort = new AbortController();
  const sessions: Conn[] = [];
  const errors: Error[] = [];
  const running: Promise<void>[] = [];

  const onConnection = (socket: net.Socket): void => {
    if (abort.signal.aborted) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn = new Conn(socket, abort.signal);
    sessions.push(conn);
    const done = (async () => {
      try {
        if (typeof script === 'function') await script(conn);
        else await conn.run(script);
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    })();
    running.push(done);
  };

  const server: net.Server = options.tls
    ? tls.createServer(tlsServerOptions(), onConnection)
    : net.createServer(onConnection);
  if (options.tls) {
    server.on('tlsClientError', (err: Error) => {
      errors.push(err);
    });
  }
  server.on('error', (err) => errors.push(err));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const address = server.address() as net.AddressInfo;

  let closing: Promise<void> | null = null;
  return {
    port: address.port,
    host: '127.0.0.1',
    ca: TEST_CERT,
    received: () => Buffer.concat(sessions.map((s) => s.received())),
    receivedText: () => Buffer.concat(sessions.map((s) => s.received())).toString('latin1'),
    get connections() {
      return sessions.length;
    },
    sessions,
    errors,
    settled: async () => {
      await Promise.all(running);
    },
    close: () => {
      closing ??= (async () => {
        abort.abort();
        const closedServer = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sessions) s.destroy();
        await Promise.all([closedServer, ...sessions.map((s) => s.closed())]);
        // A callback script waiting on something else than the socket must not hold the test.
        await Promise.race([Promise.all(running), sleep(1000, new AbortController().signal)]);
      })();
      return closing;
    },
  };
}
