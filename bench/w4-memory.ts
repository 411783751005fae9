/**
 * W4 in memory: the client-side cost of benchmark W4/W4p (2,000 `UID STORE
 * n +FLAGS (\Flagged)` through the typed `store()`), without TLS, Dovecot
 * or a shared machine's noise in the way. An in-process server (a Duplex)
 * answers each command on the next event-loop turn with what Dovecot sends:
 * `* n FETCH (UID n FLAGS (\Flagged))` and the tagged OK — for commands
 * that arrive together, as Dovecot does, every untagged response first and
 * then the completions (so the pipelined mode routes like the real one).
 *
 * Each round prints process CPU (all threads: V8 compiles on background
 * threads), the main thread's CPU (from /proc/self/task/<pid>/schedstat,
 * Linux) and wall time. Round 1 of a fresh process is what the benchmark's
 * worker pays; later rounds are warm. Compare trees by running the same
 * command in each, alternating, many times (the cold round varies by
 * ±20% from run to run: take medians):
 *
 *   npx tsx bench/w4-memory.ts [--mode seq|par] [--count 2000] [--rounds 1]
 *   node --no-opt --no-sparkplug --import tsx bench/w4-memory.ts   # interpreter only: a steady proxy for bytecode run
 *   node --trace-opt --import tsx bench/w4-memory.ts                # what TurboFan compiles, and how long it takes
 */
import { Duplex } from 'node:stream';
import { ImapConnection } from '../src/connection/connection.js';
import { select } from '../src/commands/select.js';
import { store } from '../src/commands/store.js';
import { mainThreadNs } from './thread-cpu.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const mode = option('mode', 'seq');
const count = Number(option('count', '2000'));
const rounds = Number(option('rounds', '1'));

/** What Dovecot answers to one command line: its untagged data and its completion. */
function answer(tag: string, command: string): [untagged: string, tagged: string] {
  const stored = /^UID STORE (\d+) /.exec(command);
  if (stored !== null) {
    const uid = stored[1]!;
    return [`* ${uid} FETCH (UID ${uid} FLAGS (\\Flagged))\r\n`, `${tag} OK Store completed.\r\n`];
  }
  if (command.startsWith('SELECT')) {
    return [
      `* ${count} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n`,
      `${tag} OK [READ-WRITE] Select completed.\r\n`,
    ];
  }
  if (command.startsWith('LOGOUT')) return ['* BYE bye\r\n', `${tag} OK Logout completed.\r\n`];
  return ['', `${tag} OK done\r\n`];
}

/** The in-process server: reads command lines, answers each batch on the next turn. */
function server(): Duplex {
  let pending = '';
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('latin1');
      let untagged = '';
      let tagged = '';
      for (let end = pending.indexOf('\r\n'); end !== -1; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const space = line.indexOf(' ');
        const [data, done] = answer(line.slice(0, space), line.slice(space + 1));
        untagged += data;
        tagged += done;
      }
      const out = untagged + tagged;
      if (out !== '') setImmediate(() => stream.push(Buffer.from(out, 'latin1')));
      done();
    },
  });
  setImmediate(() => stream.push(Buffer.from('* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n')));
  return stream;
}

const conn = await ImapConnection.connect({ stream: server(), security: 'none' });
await select(conn, 'W4');
for (let round = 1; round <= rounds; round++) {
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadNs();
  const t0 = performance.now();
  if (mode === 'par') {
    const uids = Array.from({ length: count }, (_, i) => i + 1);
    await Promise.all(uids.map((uid) => store(conn, uid, { add: ['\\Flagged'], uid: true })));
  } else {
    for (let uid = 1; uid <= count; uid++) {
      await store(conn, uid, { add: ['\\Flagged'], uid: true });
    }
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main = (mainThreadNs() - main0) / 1e6;
  console.log(
    `${mode} round ${round}: cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ` +
      `main thread ${main.toFixed(0)} ms, wall ${wall.toFixed(0)} ms`,
  );
}
await conn.logout();
