/**
 * Parser benchmark: imapkit's ResponseParser fed 64 KiB chunks vs ImapFlow's
 * own framing (ImapStream) and parser (imap-parser) on the same bytes, driven
 * the way ImapFlow drives them, plus a plain loop touching every byte.
 *
 *   npx tsx bench/parser.ts [--quick] [--count N] [--runs N]
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ResponseParser } from '../src/wire/parser.js';
import { buildParserCorpus } from './parser-corpus.js';

/** One row of the benchmark. */
export interface ParserBenchResult {
  name: string;
  bytes: number;
  responses: number;
  seconds: number;
  mbPerSec: number;
  /** MB per second of process CPU time (steadier than wall time on a shared machine). */
  mbPerCpuSec: number;
  responsesPerSec: number;
  /** Highest heap use seen during the run minus the heap before it, in MiB. */
  peakHeapDeltaMiB: number;
}

/** Options of {@link runParserBench}. */
export interface ParserBenchOptions {
  /** Responses in the corpus (default 100,000; 10,000 with quick). */
  count?: number;
  /** Chunk size fed to the parsers (default 64 KiB). */
  chunkSize?: number;
  /** Timed runs per parser; the best is kept (default 3; 1 with quick). */
  runs?: number;
  quick?: boolean;
  /** Skip ImapFlow (e.g. when it is not installed). */
  skipImapFlow?: boolean;
}

interface ImapStreamItem {
  payload: Buffer;
  literals: Buffer[];
  next: () => void;
}
interface ImapStreamLike {
  write(chunk: Buffer): boolean;
  end(): void;
  read(): ImapStreamItem | null;
  on(event: string, fn: (...args: unknown[]) => void): void;
  readableLength: number;
  destroyed: boolean;
}
type ImapFlowParse = (payload: Buffer, options: { literals: Buffer[] }) => Promise<unknown>;

const gc = (globalThis as { gc?: () => void }).gc;

function heapSampler(): { sample(): void; peak(): number } {
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  return {
    sample() {
      const h = process.memoryUsage().heapUsed;
      if (h > peak) peak = h;
    },
    peak: () => (peak - base) / (1024 * 1024),
  };
}

function split(corpus: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < corpus.length; i += size) chunks.push(corpus.subarray(i, i + size));
  return chunks;
}

interface Clock {
  wall: bigint;
  cpu: NodeJS.CpuUsage;
}
const startClock = (): Clock => ({ wall: process.hrtime.bigint(), cpu: process.cpuUsage() });

function row(
  name: string,
  bytes: number,
  responses: number,
  clock: Clock,
  peak: number,
): ParserBenchResult {
  const seconds = Number(process.hrtime.bigint() - clock.wall) / 1e9;
  const cpu = process.cpuUsage(clock.cpu);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    name,
    bytes,
    responses,
    seconds,
    mbPerSec: bytes / 1e6 / seconds,
    mbPerCpuSec: bytes / 1e6 / cpuSeconds,
    responsesPerSec: responses / seconds,
    peakHeapDeltaMiB: peak,
  };
}

function runImapkit(chunks: Buffer[], bytes: number): ParserBenchResult {
  const heap = heapSampler();
  const parser = new ResponseParser();
  let responses = 0;
  const clock = startClock();
  for (let i = 0; i < chunks.length; i++) {
    responses += parser.push(chunks[i]!).length;
    if ((i & 15) === 0) heap.sample();
  }
  parser.end();
  heap.sample();
  return row('imapkit ResponseParser', bytes, responses, clock, heap.peak());
}

function runBaseline(chunks: Buffer[], bytes: number): ParserBenchResult {
  const heap = heapSampler();
  let sum = 0;
  let lines = 0;
  const clock = startClock();
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      const b = c[i]!;
      sum += b;
      if (b === 10) lines++;
    }
  }
  heap.sample();
  if (sum === -1) console.log(sum);
  return row('plain JS loop over every byte', bytes, lines, clock, heap.peak());
}

async function loadImapFlow(): Promise<{
  ImapStream: new (o: object) => ImapStreamLike;
  parse: ImapFlowParse;
}> {
  const streamMod = (await import('imapflow/lib/handler/imap-stream.js' as string)) as {
    ImapStream: new (o: object) => ImapStreamLike;
  };
  const parserMod = (await import('imapflow/lib/handler/imap-parser.js' as string)) as {
    default: ImapFlowParse;
  };
  return { ImapStream: streamMod.ImapStream, parse: parserMod.default };
}

/** ImapFlow 2.10: ImapStream emits {payload, literals}; its reader loop awaits parser() per item, then releases it. */
async function runImapFlow(chunks: Buffer[], bytes: number): Promise<ParserBenchResult> {
  const { ImapStream, parse } = await loadImapFlow();
  const noop = (): void => {};
  const logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    child: () => logger,
  };
  const heap = heapSampler();
  const stream = new ImapStream({ logger, cid: 'bench' });
  let responses = 0;
  let reading = false;
  let ended = false;
  let finish: () => void = noop;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const reader = async (): Promise<void> => {
    let data: ImapStreamItem | null;
    while ((data = stream.read()) !== null) {
      await parse(data.payload, { literals: data.literals });
      responses++;
      if ((responses & 1023) === 0) heap.sample();
      data.next();
    }
  };
  const onReadable = (): void => {
    if (reading) return;
    reading = true;
    reader()
      .catch((err: unknown) => console.error(err))
      .finally(() => {
        reading = false;
        if (!stream.destroyed && stream.readableLength > 0) onReadable();
        else if (ended) finish();
      });
  };
  stream.on('readable', onReadable);
  stream.on('end', () => {
    ended = true;
    if (!reading) finish();
  });
  const clock = startClock();
  for (const c of chunks) {
    if (!stream.write(c)) await once(stream as unknown as NodeJS.EventEmitter, 'drain');
  }
  stream.end();
  await done;
  heap.sample();
  return row('ImapFlow 2.10 ImapStream + parser', bytes, responses, clock, heap.peak());
}

/** Runs the parser benchmark and returns one row per contender. */
export async function runParserBench(
  options: ParserBenchOptions = {},
): Promise<ParserBenchResult[]> {
  const quick = options.quick ?? false;
  const count = options.count ?? (quick ? 10_000 : 100_000);
  const runs = options.runs ?? (quick ? 1 : 3);
  const corpus = buildParserCorpus(count);
  const chunks = split(corpus, options.chunkSize ?? 64 * 1024);
  const warm = split(buildParserCorpus(Math.min(count, 5_000), 2), options.chunkSize ?? 64 * 1024);

  const best = (rs: ParserBenchResult[]): ParserBenchResult =>
    rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const results: ParserBenchResult[] = [];

  runImapkit(warm, 0);
  const kit: ParserBenchResult[] = [];
  for (let i = 0; i < runs; i++) kit.push(runImapkit(chunks, corpus.length));
  results.push(best(kit));

  if (!options.skipImapFlow) {
    await runImapFlow(warm, 0);
    const flow: ParserBenchResult[] = [];
    for (let i = 0; i < Math.max(1, Math.min(runs, 2)); i++)
      flow.push(await runImapFlow(chunks, corpus.length));
    results.push(best(flow));
  }

  runBaseline(warm, 0);
  const base: ParserBenchResult[] = [];
  for (let i = 0; i < runs; i++) base.push(runBaseline(chunks, corpus.length));
  results.push(best(base));
  return results;
}

/** The results as a markdown table. */
export function formatParserBench(results: ParserBenchResult[]): string {
  const lines = [
    '| parser | MB/s | MB/s of CPU time | responses/s | peak heap delta (MiB) | MB | responses | s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.mbPerSec.toFixed(1)} | ${r.mbPerCpuSec.toFixed(1)} | ${Math.round(r.responsesPerSec).toLocaleString('en-US')} | ${r.peakHeapDeltaMiB.toFixed(1)} | ${(r.bytes / 1e6).toFixed(1)} | ${r.responses.toLocaleString('en-US')} | ${r.seconds.toFixed(3)} |`,
    );
  }
  const kit = results.find((r) => r.name.startsWith('imapkit'));
  const flow = results.find((r) => r.name.startsWith('ImapFlow'));
  if (kit && flow) {
    const wall = (kit.mbPerSec / flow.mbPerSec).toFixed(1);
    const cpu = (kit.mbPerCpuSec / flow.mbPerCpuSec).toFixed(1);
    lines.push('', `imapkit / ImapFlow: ${wall}x (wall time), ${cpu}x (CPU time)`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const num = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const results = await runParserBench({
    quick: args.includes('--quick'),
    count: num('--count'),
    runs: num('--runs'),
  });
  console.log(formatParserBench(results));
}
