/**
 * W4 against the bench Dovecot, outside the harness, with the main thread's
 * CPU apart from the process's (V8 compiles and collects garbage on
 * background threads, which `process.cpuUsage()` counts): 2,000 sequential
 * `UID STORE n +FLAGS (\Flagged)` in mailbox W4 through the typed API
 * (`imapkit`) or a minimal TLS loop (`raw`), then the flags reset. Needs the
 * bench instance's W4 mailbox (seeded by `npm run bench`).
 *
 *   IMAPKIT_TEST_DIR=/tmp/imapkit-bench npx tsx bench/w4-threads.ts raw|imapkit [--count 2000] [--port 14994]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'node:tls';
import { select } from '../src/commands/select.js';
import { store } from '../src/commands/store.js';
import { ImapConnection } from '../src/connection/connection.js';
import { mainThreadNs } from './thread-cpu.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const mode = process.argv[2] === 'raw' ? 'raw' : 'imapkit';
const count = Number(option('count', '2000'));
const port = Number(option('port', '14994'));
const ca = readFileSync(
  join(process.env.IMAPKIT_TEST_DIR ?? '/tmp/imapkit-bench', 'tls', 'ca.pem'),
);
const [user, password] = ['bench', 'bench-pass'];

async function viaImapkit(): Promise<void> {
  const conn = await ImapConnection.connect({
    host: '127.0.0.1',
    port,
    security: 'tls',
    tls: { ca },
    auth: { username: user, password },
  });
  await select(conn, 'W4');
  for (let uid = 1; uid <= count; uid++) await store(conn, uid, { add: ['\\Flagged'], uid: true });
  await store(conn, `1:${count}`, { remove: ['\\Flagged'], uid: true, silent: true });
  await conn.logout();
}

async function viaRaw(): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port, ca });
  let held = '';
  let waiting: { end: string; done: () => void } | null = null;
  socket.on('data', (d: Buffer) => {
    held += d.toString('latin1');
    if (waiting !== null && held.includes(waiting.end)) {
      const { done } = waiting;
      waiting = null;
      held = '\r\n';
      done();
    }
  });
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  held = '\r\n';
  let n = 0;
  const command = (text: string): Promise<void> =>
    new Promise((done) => {
      const tag = `r${++n}`;
      waiting = { end: `\r\n${tag} `, done };
      socket.write(`${tag} ${text}\r\n`);
    });
  await command(`LOGIN ${user} "${password}"`);
  await command('SELECT W4');
  for (let uid = 1; uid <= count; uid++) await command(`UID STORE ${uid} +FLAGS (\\Flagged)`);
  await command(`UID STORE 1:${count} -FLAGS.SILENT (\\Flagged)`);
  await command('LOGOUT');
  socket.end();
}

const cpu0 = process.cpuUsage();
const main0 = mainThreadNs();
const t0 = performance.now();
await (mode === 'raw' ? viaRaw() : viaImapkit());
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const main = (mainThreadNs() - main0) / 1e6;
const total = (cpu.user + cpu.system) / 1000;
console.log(
  `${mode}: wall ${wall.toFixed(0)} ms, process CPU ${total.toFixed(0)} ms, main thread ${main.toFixed(0)} ms, other threads ${(total - main).toFixed(0)} ms`,
);
process.exit(0);
