/**
 * Fuzzer for the response parser.
 *
 *   npx tsx test/fuzz/run.ts --inputs 100000      (or --seconds 60)
 *   npx tsx test/fuzz/run.ts --workers 4 --seed 7 --inputs 1000000
 *   npx tsx test/fuzz/run.ts --replay test/fuzz/crashes/<hash>.bin
 *
 * Inputs: mutated real responses, concatenations of them, random bytes and
 * random grammar tokens, each parsed whole and in random chunks with random
 * options (some with streamed literals whose prefix is parsed on its own,
 * as download() does). A finding is: an exception that is not an ImapError, an input that
 * takes over 1 s (or hangs: a watchdog in the main thread), or chunked
 * parsing disagreeing with whole parsing. Findings are saved to
 * test/fuzz/crashes/<hash>.bin; the exit code is non-zero if there are any.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { buildParserCorpus } from '../../bench/parser-corpus.js';
import { ImapError } from '../../src/model/errors.js';
import type { Response } from '../../src/model/response.js';
import { attributesBeforeLiteral } from '../../src/wire/literal-context.js';
import { ResponseParser } from '../../src/wire/parser.js';
import type { ParserOptions } from '../../src/wire/parser-options.js';
import { type Rand, mutate, randomBytes, randomCuts, seeded } from '../wire/fixtures/mutate.js';
import { realResponseBytes } from '../wire/fixtures/responses.js';

const here = dirname(fileURLToPath(import.meta.url));
const crashDir = join(here, 'crashes');
const SLOW_MS = 1000;
const HANG_MS = 10_000;
const MAX_INPUT = 64 * 1024;

interface WorkerConfig {
  seed: number;
  inputs: number;
  seconds: number;
  /** Shared: [0] inputs done, then the current input's length and bytes. */
  shared: SharedArrayBuffer;
}

type Outcome = { responses: Response[] } | { error: string };

function optionsFor(rand: Rand): ParserOptions {
  const o: ParserOptions = {};
  if (rand(4) === 0) o.maxDepth = 1 + rand(40);
  if (rand(4) === 0) o.maxLineLength = 1 + rand(2000);
  if (rand(4) === 0) o.maxLiteralSize = rand(2000);
  if (rand(6) === 0) o.maxResponseBytes = 1 + rand(4000);
  if (rand(3) === 0) o.keepRaw = true;
  if (rand(5) === 0) o.greeting = true;
  if (rand(4) === 0) {
    o.streamThreshold = rand(64);
    const mode = rand(3);
    o.literalSink = (info) => {
      // What download() does at a literal's start: parse the items before it.
      if (mode === 2) attributesBeforeLiteral(info);
      return mode === 0 ? null : { write: () => {}, end: () => {} };
    };
  }
  return o;
}

/** Parses the chunks; an ImapError is an outcome, anything else propagates. */
function parseChunks(chunks: Buffer[], options: ParserOptions): Outcome {
  const p = new ResponseParser(options);
  const responses: Response[] = [];
  try {
    for (const c of chunks) responses.push(...p.push(c));
    p.end();
    return { responses };
  } catch (err) {
    if (err instanceof ImapError) return { error: err.code };
    throw err;
  }
}

function split(input: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(input.subarray(prev, c));
    prev = c;
  }
  out.push(input.subarray(prev));
  return out;
}

/** Checks one input; returns a finding's description or null. */
export function checkInput(input: Buffer, rand: Rand): string | null {
  const options = optionsFor(rand);
  const cuts = randomCuts(rand, input.length);
  const t0 = performance.now();
  let whole: Outcome;
  let chunked: Outcome;
  try {
    whole = parseChunks([input], options);
    chunked = parseChunks(split(input, cuts), options);
  } catch (err) {
    return `non-ImapError thrown: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`;
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_MS) return `slow input: ${ms.toFixed(0)} ms`;
  if (!isDeepStrictEqual(whole, chunked)) {
    return `chunked parse (cuts ${cuts.join(',')}) differs from whole parse`;
  }
  return null;
}

function seeds(): Buffer[] {
  const out = [...realResponseBytes];
  for (let s = 1; s <= 100; s++) out.push(buildParserCorpus(1, s));
  return out;
}

const TOKENS = [
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  ' ',
  '\r\n',
  '*',
  '+',
  '~{2}\r\n',
  '{1}\r\n',
  'NIL',
  '0',
  '1',
  '4294967296',
  'FETCH',
  'BODY',
  'BODYSTRUCTURE',
  'ENVELOPE',
  'UID',
  'OK',
  'a1',
  'BINARY',
  '<0>',
  'LIST',
  'STATUS',
  'THREAD',
  'ESEARCH',
  'HEADER.FIELDS',
  '\x00',
  '\xff',
  '\n',
];

function generate(rand: Rand, pool: Buffer[]): Buffer {
  const kind = rand(10);
  let b: Buffer;
  if (kind < 4) {
    b = mutate(pool[rand(pool.length)]!, rand);
  } else if (kind < 6) {
    const n = 2 + rand(3);
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const src = pool[rand(pool.length)]!;
      parts.push(rand(2) === 0 ? src : mutate(src, rand));
    }
    b = Buffer.concat(parts);
  } else if (kind < 8) {
    b = randomBytes(rand, 400);
  } else {
    const n = rand(80);
    let s = rand(2) === 0 ? '* 1 FETCH (' : '';
    for (let i = 0; i < n; i++) s += TOKENS[rand(TOKENS.length)]!;
    b = Buffer.from(s + '\r\n', 'latin1');
  }
  return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
}

function saveFinding(input: Buffer, reason: string): string {
  mkdirSync(crashDir, { recursive: true });
  const hash = createHash('sha256').update(input).digest('hex').slice(0, 16);
  const file = join(crashDir, `${hash}.bin`);
  writeFileSync(file, input);
  writeFileSync(join(crashDir, `${hash}.txt`), reason + '\n');
  return file;
}

function workerMain(config: WorkerConfig): void {
  const counter = new Int32Array(config.shared, 0, 2);
  const current = new Uint8Array(config.shared, 8);
  const rand = seeded(config.seed);
  const pool = seeds();
  const deadline = config.seconds > 0 ? Date.now() + config.seconds * 1000 : Infinity;
  let done = 0;
  let findings = 0;
  while ((config.inputs <= 0 || done < config.inputs) && (done & 255 || Date.now() < deadline)) {
    const input = generate(rand, pool);
    const len = Math.min(input.length, current.length);
    current.set(input.subarray(0, len));
    Atomics.store(counter, 1, len);
    const finding = checkInput(input, rand);
    if (finding !== null) {
      findings++;
      const file = saveFinding(input, finding);
      parentPort?.postMessage({ type: 'finding', file, reason: finding.split('\n')[0] });
    }
    done++;
    Atomics.store(counter, 0, done);
  }
  parentPort?.postMessage({ type: 'done', done, findings });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (flag: string, def: number): number => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const replay = args.indexOf('--replay');
  if (replay >= 0) {
    const input = readFileSync(args[replay + 1]!);
    let bad = 0;
    for (let s = 0; s < 200; s++) {
      const finding = checkInput(input, seeded(s));
      if (finding !== null) {
        console.log(`seed ${s}: ${finding}`);
        bad++;
      }
    }
    console.log(bad === 0 ? 'no finding on replay (200 option/chunking seeds)' : `${bad} findings`);
    process.exitCode = bad === 0 ? 0 : 1;
    return;
  }
  const seconds = arg('--seconds', 0);
  const inputs = arg('--inputs', seconds > 0 ? 0 : 100_000);
  const workers = Math.max(1, arg('--workers', 1));
  const seed = arg('--seed', 1);
  const started = Date.now();
  const findings: string[] = [];
  let total = 0;
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const shared = new SharedArrayBuffer(8 + MAX_INPUT);
      const config: WorkerConfig = {
        seed: seed * 1000 + w,
        inputs: inputs > 0 ? Math.ceil(inputs / workers) : 0,
        seconds,
        shared,
      };
      // Workers do not inherit the TypeScript loader: register tsx, then load this file.
      const tsxApi = import.meta.resolve('tsx/esm/api');
      const worker = new Worker(
        `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`,
        { eval: true, workerData: config },
      );
      const counter = new Int32Array(shared, 0, 2);
      let last = -1;
      let lastChange = Date.now();
      return new Promise<void>((resolve) => {
        const watchdog = setInterval(() => {
          const now = Atomics.load(counter, 0);
          if (now !== last) {
            last = now;
            lastChange = Date.now();
          } else if (Date.now() - lastChange > HANG_MS) {
            const len = Atomics.load(counter, 1);
            const input = Buffer.from(new Uint8Array(shared, 8, len));
            const file = saveFinding(input, `hang: no progress for ${HANG_MS} ms`);
            findings.push(`${file}: hang`);
            total += now;
            clearInterval(watchdog);
            void worker.terminate().then(() => resolve());
          }
        }, 500);
        worker.on(
          'message',
          (m: { type: string; file?: string; reason?: string; done?: number }) => {
            if (m.type === 'finding') {
              findings.push(`${m.file}: ${m.reason}`);
              console.log(`finding: ${m.file}: ${m.reason}`);
            } else if (m.type === 'done') {
              total += m.done ?? 0;
            }
          },
        );
        worker.on('error', (err) => {
          findings.push(`worker ${w} crashed: ${String(err)}`);
          clearInterval(watchdog);
          resolve();
        });
        worker.on('exit', () => {
          clearInterval(watchdog);
          resolve();
        });
      });
    }),
  );
  const secs = (Date.now() - started) / 1000;
  console.log(
    `fuzz: ${total.toLocaleString('en-US')} inputs in ${secs.toFixed(1)} s (${Math.round(total / secs).toLocaleString('en-US')} inputs/s, ${workers} worker${workers > 1 ? 's' : ''}), ${findings.length} finding${findings.length === 1 ? '' : 's'}`,
  );
  for (const f of findings) console.log(`  ${f}`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

if (isMainThread) {
  if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
    await main();
  }
} else {
  workerMain(workerData as WorkerConfig);
}
