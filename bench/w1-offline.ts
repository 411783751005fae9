/**
 * W1 offline: the client-side CPU of benchmark W1 (FETCH 1:* (UID FLAGS
 * INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE), every message typed)
 * without a server, TLS or a shared machine's noise in the way.
 *
 * The input is the decrypted IMAP bytes of the W1 FETCH, recorded once from
 * the bench Dovecot's plain port into `bench/.cache/w1-fetch.bin` (with
 * `--record`), or, with `--corpus`, bench/parser-corpus.ts's generated
 * responses (encoded words, literals, message/rfc822: more varied than the
 * seeded mail). The bytes are fed in 2 KiB chunks by default (`--chunk N`;
 * what a TLS socket's 'data' events hand over for Dovecot's FETCH, the
 * worst case; the engine's batched reader (src/connection/reader.ts) now
 * hands over up to 64 KiB per event-loop turn on implicit TLS, so
 * `--chunk 16384` is closer to the benchmark) through four stages, each
 * measured in process CPU time (the first run of each is a cold JIT, as in
 * the real benchmark's fresh worker; later runs are warm):
 *
 * - `stream`: the scripted server's chunks consumed by a no-op listener (the
 *   transport's own cost, subtracted from `full`);
 * - `parse`: ResponseParser.push alone;
 * - `fold`: the parser plus toFetchedMessage per FETCH (the typed values);
 * - `full`: the typed API exactly as bench/contenders/imapkit.ts uses it:
 *   ImapConnection over a scripted in-process server (one chunk per
 *   event-loop turn), select, then `for await (fetch(...))` with the W1
 *   checksum.
 *
 * The differences between stages give the split: parser, typed folding,
 * connection routing plus iterator.
 *
 *   npx tsx bench/w1-offline.ts --record          # once: needs the bench Dovecot
 *   npx tsx bench/w1-offline.ts [--runs 5] [--stage stream|parse|fold|full] [--corpus] [--chunk 2048]
 *   node --cpu-prof --import tsx bench/w1-offline.ts --stage full --runs 3
 *   node --trace-gc --import tsx bench/w1-offline.ts --stage full --runs 1   # scavenges
 *   node --import tsx bench/w1-offline.ts --stage fold --runs 1 --curve 1000 --threads
 *
 * `--curve N` prints the CPU time of every N messages of the first run of
 * `fold` or `full` (how long a fresh process takes to reach its warm speed);
 * `--threads` prints, at exit, the CPU time of the main thread and of the
 * other threads (V8's compiler and GC helpers) from /proc (Linux).
 *
 * Record from another instance with IMAPKIT_TEST_PORT (default 14144) and
 * BENCH_USER / BENCH_PASS (default bench / bench-pass).
 */
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ImapConnection } from '../src/connection/connection.js';
import { select } from '../src/commands/select.js';
import { fetch, toFetchedMessage } from '../src/commands/fetch.js';
import type { Response } from '../src/model/response.js';
import { ResponseParser } from '../src/wire/parser.js';
import { W1Check, W1_ITEMS } from './contenders/common.js';
import { buildParserCorpus } from './parser-corpus.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

const CACHE = fileURLToPath(new URL('./.cache/', import.meta.url));
const RECORDING = CACHE + 'w1-fetch.bin';
/**
 * Chunk size: a TLS socket's 'data' events hand Dovecot's W1 FETCH over in
 * chunks of about 2 KiB (27,600 events for 56 MB, measured); the batched
 * reader delivers larger ones. The default keeps per-chunk costs visible.
 */
const CHUNK = Number(opt('--chunk') ?? 2048);

/** Records the untagged FETCH responses of W1 from the plain port. */
async function record(): Promise<void> {
  const port = Number(process.env.IMAPKIT_TEST_PORT ?? 14144);
  const user = process.env.BENCH_USER ?? 'bench';
  const pass = process.env.BENCH_PASS ?? 'bench-pass';
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let step = 0;
  let text = '';
  const send = (line: string): boolean => socket.write(line + '\r\n');
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => {
      if (step === 3) {
        chunks.push(c);
        const tail = Buffer.concat(chunks.slice(-2)).toString('latin1');
        if (tail.includes('\r\nZ3 ')) {
          step = 4;
          send('Z4 LOGOUT');
          socket.end();
          resolve();
        }
        return;
      }
      text += c.toString('latin1');
      const done = (tag: string): boolean =>
        `\r\n${text}`.includes(`\r\n${tag} `) && text.endsWith('\r\n');
      if (step === 0 && text.includes('\r\n')) {
        step = 1;
        text = '';
        send(`Z1 LOGIN ${user} "${pass}"`);
      } else if (step === 1 && done('Z1')) {
        if (!text.includes('Z1 OK')) reject(new Error(`login failed: ${text}`));
        step = 2;
        text = '';
        send('Z2 SELECT INBOX');
      } else if (step === 2 && done('Z2')) {
        step = 3;
        send('Z3 FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)');
      }
    });
  });
  const all = Buffer.concat(chunks);
  const end = all.lastIndexOf('\r\nZ3 ');
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(RECORDING, all.subarray(0, end + 2));
  console.log(`recorded ${end + 2} bytes of FETCH responses into ${RECORDING}`);
}

/** `--curve N`: CPU per N messages of a stage's first run (the warm-up ramp). */
const CURVE = Number(opt('--curve') ?? 0);

/** Records the CPU time of every {@link CURVE} messages (only during the first run). */
class Curve {
  private static firstRun = true;
  private readonly on = CURVE > 0 && Curve.firstRun;
  private n = 0;
  private last = process.cpuUsage();
  private readonly blocks: number[] = [];

  constructor() {
    Curve.firstRun = false;
  }

  /** One message done. */
  tick(): void {
    if (!this.on || ++this.n % CURVE !== 0) return;
    const c = process.cpuUsage(this.last);
    this.last = process.cpuUsage();
    this.blocks.push((c.user + c.system) / 1000);
  }

  /** Prints the blocks, if any. */
  print(): void {
    if (this.blocks.length === 0) return;
    const shown = this.blocks.map((ms) => ms.toFixed(0)).join(' ');
    console.log(`first run, CPU ms per ${CURVE} messages: ${shown}`);
  }
}

/** `--threads`: prints the CPU time of each thread of this process at exit (Linux /proc). */
function printThreadsAtExit(): void {
  process.on('exit', () => {
    let main = 0;
    const others: number[] = [];
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      // utime and stime (clock ticks, 100 per second) are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      if (Number(tid) === process.pid) main = ms;
      else if (ms > 0) others.push(ms);
    }
    const total = others.reduce((a, b) => a + b, 0);
    console.log(
      `process CPU by thread (whole life): main ${main} ms, others ${total} ms [${others.join(', ')}]`,
    );
  });
}

function loadInput(): Buffer {
  if (args.includes('--corpus')) return buildParserCorpus(Number(opt('--count') ?? 100_000));
  if (!existsSync(RECORDING)) {
    throw new Error(`no recording at ${RECORDING}: run with --record first (or use --corpus)`);
  }
  return readFileSync(RECORDING);
}

function split(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) out.push(buf.subarray(i, i + CHUNK));
  return out;
}

function stageParse(chunks: Buffer[]): string {
  const parser = new ResponseParser();
  let n = 0;
  for (const c of chunks) n += parser.push(c).length;
  parser.end();
  return `responses=${n}`;
}

function stageFold(chunks: Buffer[]): string {
  const check = new W1Check();
  const curve = new Curve();
  const parser = new ResponseParser({
    onResponse: (r: Response) => {
      if (r.kind === 'untagged' && r.name === 'FETCH') {
        const m = toFetchedMessage(r.seq, r.attributes);
        check.add(m.uid ?? 0, m.envelope?.subject);
        curve.tick();
      }
    },
  });
  for (const c of chunks) parser.push(c);
  parser.end();
  curve.print();
  return String(check);
}

const GREETING = '* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS] ready\r\n';
const SELECT =
  '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n' +
  '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n' +
  '* 100000 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1800000000] UIDs valid\r\n' +
  '* OK [UIDNEXT 100001] Predicted next UID\r\n';

/** A scripted server: answers each command; FETCH gets the recorded chunks, one per turn. */
class FakeServer extends Duplex {
  private pending: Buffer[] = [];
  private head = 0;
  private line = '';
  private waiting = false;

  constructor(private readonly fetchChunks: Buffer[]) {
    super();
    this.pending.push(Buffer.from(GREETING));
  }

  override _read(): void {
    this.waiting = true;
    this.pump();
  }

  private pump(): void {
    if (!this.waiting || this.head === this.pending.length) return;
    this.waiting = false;
    const next = this.pending[this.head++]!;
    setImmediate(() => {
      if (next.length === 0) this.push(null);
      else if (this.push(next)) {
        this.waiting = true;
        this.pump();
      }
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.line += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.line.indexOf('\r\n')) !== -1) {
      const cmd = this.line.slice(0, nl);
      this.line = this.line.slice(nl + 2);
      this.answer(cmd);
    }
    cb();
    this.pump();
  }

  private answer(cmd: string): void {
    const [tag, verb] = cmd.split(' ');
    const out = (s: string): number => this.pending.push(Buffer.from(s, 'latin1'));
    switch (verb!.toUpperCase()) {
      case 'CAPABILITY':
        out(`* CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS\r\n${tag} OK done\r\n`);
        break;
      case 'LOGIN':
        out(`${tag} OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS] Logged in\r\n`);
        break;
      case 'SELECT':
        out(`${SELECT}${tag} OK [READ-WRITE] Select completed\r\n`);
        break;
      case 'FETCH':
        for (const c of this.fetchChunks) this.pending.push(c);
        out(`${tag} OK Fetch completed\r\n`);
        break;
      case 'LOGOUT':
        out(`* BYE Logging out\r\n${tag} OK Logout completed\r\n`);
        this.pending.push(Buffer.alloc(0));
        break;
      default:
        out(`${tag} OK done\r\n`);
    }
  }
}

/** The scripted server's own cost (what raw pays for the socket): chunks consumed by a no-op. */
async function stageStream(chunks: Buffer[]): Promise<string> {
  const server = new FakeServer(chunks);
  let bytes = 0;
  server.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  server.write('Z1 FETCH\r\nZ2 LOGOUT\r\n');
  await new Promise((resolve) => server.on('end', resolve));
  return `bytes=${bytes}`;
}

async function stageFull(chunks: Buffer[]): Promise<string> {
  const conn = await ImapConnection.connect({
    stream: new FakeServer(chunks),
    security: 'none',
    auth: { username: 'bench', password: 'bench-pass' },
  });
  await select(conn, 'INBOX');
  const check = new W1Check();
  const curve = new Curve();
  for await (const msg of fetch(conn, '1:*', W1_ITEMS)) {
    check.add(msg.uid ?? 0, msg.envelope?.subject);
    curve.tick();
  }
  await conn.logout();
  curve.print();
  return String(check);
}

const STAGES = {
  stream: stageStream,
  parse: stageParse,
  fold: stageFold,
  full: stageFull,
} as const;
type Stage = keyof typeof STAGES;

async function measure(stage: Stage, chunks: Buffer[]): Promise<{ cpu: number; check: string }> {
  await new Promise((r) => setImmediate(r)); // let earlier GC entries arrive
  const c0 = process.cpuUsage();
  const check = await STAGES[stage](chunks);
  const c = process.cpuUsage(c0);
  await new Promise((r) => setImmediate(r));
  return { cpu: (c.user + c.system) / 1000, check };
}

async function main(): Promise<void> {
  if (args.includes('--record')) {
    await record();
    return;
  }
  if (args.includes('--threads')) printThreadsAtExit();
  const input = loadInput();
  const chunks = split(input);
  const runs = Number(opt('--runs') ?? 5);
  const only = opt('--stage') as Stage | undefined;
  const stages: Stage[] = only === undefined ? ['stream', 'parse', 'fold', 'full'] : [only];
  console.log(
    `input: ${(input.length / 1e6).toFixed(1)} MB in ${chunks.length} chunks of ${CHUNK} bytes`,
  );
  const best: Partial<Record<Stage, number>> = {};
  for (const stage of stages) {
    const rows: string[] = [];
    let check = '';
    let min = Infinity;
    for (let i = 0; i < runs; i++) {
      const m = await measure(stage, chunks);
      rows.push(m.cpu.toFixed(0));
      min = Math.min(min, m.cpu);
      check = m.check;
    }
    best[stage] = min;
    console.log(`${stage.padEnd(5)} CPU ms, first..last run: ${rows.join(', ')}  [${check}]`);
  }
  const { stream, parse, fold, full } = best;
  if (stream !== undefined && parse !== undefined && fold !== undefined && full !== undefined) {
    console.log(
      `split (best runs): parser ${parse.toFixed(0)} ms, typed folding ${(fold - parse).toFixed(0)} ms, ` +
        `connection + iterator ${(full - fold - stream).toFixed(0)} ms; ` +
        `imapkit total ${(full - stream).toFixed(0)} ms (+ ${stream.toFixed(0)} ms for the scripted socket)`,
    );
  }
}

await main();
