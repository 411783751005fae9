/**
 * W2 without Dovecot: the client-side cost of benchmark W2 (the full source
 * of 10,000 messages of mostly 2-20 KB in one FETCH, through the typed
 * `fetch()`), and the memory the values it returns keep alive.
 *
 * A server in a child process (so its CPU is not counted) answers
 * `FETCH 1:N (BODY.PEEK[])` over plain TCP on 127.0.0.1 with synthesized
 * bodies (95% of 2-18 KB, 5% of 20-40 KB, ~110 MB in all, the same bytes
 * every run). The client reads the socket as a real connection does (64 KiB
 * slabs, src/connection/reader.ts), so literals arrive as the benchmark's
 * do, minus TLS. Printed: process CPU (all threads) and the main thread's
 * CPU (Linux schedstat) for the FETCH, and wall time. With `--keep K` every
 * K-th source is kept, and after the FETCH and a full GC the ArrayBuffer
 * memory still held is printed beside the bytes kept (run with
 * `node --expose-gc`); with `--headers` each response also carries a
 * 200-byte BODY[HEADER] ahead of the body, and the headers are what is kept.
 *
 * Compare trees by running the same command in each, alternating, in fresh
 * processes (take medians; the machine is shared):
 *
 *   node --expose-gc --import tsx bench/w2-memory.ts [--count 10000] [--keep 0] [--headers]
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ImapConnection } from '../src/connection/connection.js';
import { fetch } from '../src/commands/fetch.js';
import type { FetchItems } from '../src/commands/fetch-items.js';
import { select } from '../src/commands/select.js';
import { mainThreadNs } from './thread-cpu.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const count = Number(option('count', '10000'));
const keep = Number(option('keep', '0'));
/** Each response also carries a 200-byte BODY[HEADER]; what `--keep` keeps is the header. */
const withHeader = process.argv.includes('--headers');

/** Size of message `i` (1-based): deterministic, 95% 2-18 KB, 5% 20-40 KB. */
function sizeOf(i: number): number {
  const r = (Math.imul(i, 2654435761) >>> 0) / 2 ** 32;
  const s = (Math.imul(i + 7, 40503) >>> 0) % 1000;
  return r < 0.95 ? 2000 + Math.floor((s / 1000) * 16_000) : 20_000 + s * 20;
}

/** The FETCH response bytes, built once by the server. */
function fetchResponses(n: number): Buffer {
  const line =
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor inc\r\n';
  const text = Buffer.from(line.repeat(Math.ceil(40_000 / line.length)), 'latin1');
  const parts: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    const size = sizeOf(i);
    const head = withHeader ? `BODY[HEADER] {200}\r\n${'h'.repeat(198)}\r\n ` : '';
    parts.push(Buffer.from(`* ${i} FETCH (${head}BODY[] {${size}}\r\n`), text.subarray(0, size));
    parts.push(Buffer.from(')\r\n'));
  }
  return Buffer.concat(parts);
}

/** The child: a server answering SELECT, the FETCH and LOGOUT. */
function serve(): void {
  const body = fetchResponses(count);
  const server = net.createServer((socket) => {
    let pending = '';
    socket.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end !== -1; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const space = line.indexOf(' ');
        const tag = line.slice(0, space);
        const command = line.slice(space + 1);
        if (command.startsWith('SELECT')) {
          socket.write(`* ${count} EXISTS\r\n${tag} OK [READ-WRITE] Select completed.\r\n`);
        } else if (command.startsWith('FETCH')) {
          socket.write(body);
          socket.write(`${tag} OK Fetch completed.\r\n`);
        } else if (command.startsWith('LOGOUT')) {
          socket.end(`* BYE bye\r\n${tag} OK Logout completed.\r\n`);
        } else {
          socket.write(`${tag} OK done\r\n`);
        }
      }
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address !== null && typeof address === 'object') process.send?.(address.port);
  });
  process.on('disconnect', () => process.exit(0));
}

async function client(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [
    '--serve',
    ...process.argv.slice(2),
  ]);
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve(m as number)),
  );
  const conn = await ImapConnection.connect({ host: '127.0.0.1', port, security: 'none' });
  await select(conn, 'INBOX');
  const kept: Buffer[] = [];
  let n = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadNs();
  const t0 = performance.now();
  const items: FetchItems = withHeader ? { headers: true, source: true } : { source: true };
  for await (const msg of fetch(conn, `1:${count}`, items)) {
    n++;
    bytes += msg.source?.length ?? 0;
    const value = withHeader ? msg.headers : msg.source;
    if (keep > 0 && n % keep === 0 && value !== undefined) kept.push(value);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main = (mainThreadNs() - main0) / 1e6;
  let memory = '';
  if (keep > 0) {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const keptBytes = kept.reduce((sum, b) => sum + b.length, 0);
    const held = process.memoryUsage().arrayBuffers;
    memory = `, kept ${kept.length} ${withHeader ? 'headers' : 'sources'} of ${(keptBytes / 1e6).toFixed(1)} MB: arrayBuffers ${(held / 1e6).toFixed(1)} MB${gc === undefined ? ' (no --expose-gc)' : ''}`;
  }
  console.log(
    `n=${n} bytes=${bytes}: cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ` +
      `main thread ${main.toFixed(0)} ms, wall ${wall.toFixed(0)} ms${memory}`,
  );
  await conn.logout();
  child.disconnect();
}

if (process.argv.includes('--serve')) serve();
else await client();
