/**
 * `npm run bench` — imapkit against its peers on a real Dovecot.
 *
 *   tsx bench/run.ts [--quick] [--rounds N] [--only W1,W3] [--contenders raw,imapflow]
 *                    [--no-write] [--no-warmup] [--allow-failures] [--report-only] [--merge]
 *
 * Starts the project's Dovecot (scripts/test-server.sh), seeds the bench
 * account (cached), then runs every workload for every contender, each run in
 * its own process, alternating contenders over several rounds, and writes the
 * medians to BENCHMARKS.md (between the bench markers) and
 * benchmarks.svg. Exits non-zero when a built contender fails or its
 * checksum disagrees with the others (so `--quick --no-write` is a smoke test).
 * `--report-only` renders the last run's saved measurements (bench/.cache) again;
 * `--merge` (with --only / --contenders) re-measures those cells and keeps the others.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SessionTracker,
  compileWorkers,
  runJob,
  type DovecotInfo,
  type Measurement,
} from './measure.js';
import {
  cellKey,
  markdownTable,
  summarize,
  svgChart,
  writeBetweenMarkers,
  type RunInfo,
} from './report.js';
import {
  BENCH_DIR,
  BENCH_USER,
  ROOT,
  prepare,
  resetW4,
  resetW5,
  startServer,
  type Prepared,
  type ServerEnv,
} from './setup.js';
import { FULL, QUICK, WORKLOADS, type Job, type Scale, type WorkloadId } from './workloads.js';

interface Contender {
  name: string;
  /** Worker script under bench/contenders/. */
  script: string;
  /** Only these workloads (default: all; W6 only for those in W6_ROWS). */
  workloads?: readonly WorkloadId[];
  compress?: boolean;
}

const CONTENDERS: readonly Contender[] = [
  { name: 'raw', script: 'raw.ts' },
  { name: 'imapkit', script: 'imapkit.ts' },
  { name: 'imapkit-client', script: 'imapkit-client.ts' },
  { name: 'imapkit-imaplib', script: 'imapkit-imaplib.ts' },
  { name: 'imapflow', script: 'imapflow.ts' },
  { name: 'imapflow-default', script: 'imapflow.ts', workloads: ['W1', 'W2'], compress: true },
  { name: 'node-imap', script: 'node-imap.ts' },
  { name: 'cpython-imaplib', script: 'cpython.py' },
];

const BASELINE = 'raw';

/** W6 runs bench/parser.ts once per round; its results are these contenders' rows. */
const W6_SCRIPT = 'parsers.ts';
const W6_ROWS = ['imapkit', 'imapflow', 'raw'];

function takesPart(c: Contender, w: WorkloadId): boolean {
  if (w === 'W6') return W6_ROWS.includes(c.name);
  return c.workloads?.includes(w) ?? true;
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

interface Cli {
  scale: Scale;
  workloads: WorkloadId[];
  contenders: Contender[];
  write: boolean;
  warmup: boolean;
  allowFailures: boolean;
  reportOnly: boolean;
  /** Keep the last run's other cells: re-measure a subset and update the table. */
  merge: boolean;
}

function parseCli(): Cli {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      contenders: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      'no-warmup': { type: 'boolean', default: false },
      'allow-failures': { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      merge: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: tsx bench/run.ts [--quick] [--rounds N] [--only W1,W3] ' +
        '[--contenders raw,imapflow] [--no-write] [--no-warmup] [--allow-failures] [--report-only] [--merge]\n' +
        `workloads: ${WORKLOADS.map((w) => w.id).join(', ')}\n` +
        `contenders: ${CONTENDERS.map((c) => c.name).join(', ')}\n`,
    );
    process.exit(0);
  }
  const scale = { ...(values.quick ? QUICK : FULL) };
  if (values.rounds !== undefined) {
    scale.rounds = Number(values.rounds);
    if (!Number.isInteger(scale.rounds) || scale.rounds < 1) throw new Error('--rounds: N >= 1');
  }
  const list = (s: string | undefined): string[] | null =>
    s === undefined
      ? null
      : s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
  const only = list(values.only);
  const workloads = WORKLOADS.map((w) => w.id).filter((id) => !only || only.includes(id));
  for (const id of only ?? []) {
    if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`--only: no workload ${id}`);
  }
  const names = list(values.contenders);
  for (const n of names ?? []) {
    if (!CONTENDERS.some((c) => c.name === n)) throw new Error(`--contenders: no contender ${n}`);
  }
  const contenders = CONTENDERS.filter((c) => !names || names.includes(c.name));
  return {
    scale,
    workloads,
    contenders,
    write: !values['no-write'],
    warmup: !values['no-warmup'],
    allowFailures: values['allow-failures'],
    reportOnly: values['report-only'],
    merge: values.merge,
  };
}

function jobFor(
  w: WorkloadId | 'probe',
  c: Contender,
  env: ServerEnv,
  p: Prepared,
  scale: Scale,
): Omit<Job, 'resultFile'> {
  const job: Omit<Job, 'resultFile'> = {
    workload: w,
    variant: c.name,
    host: env.host,
    port: env.tlsPort,
    caFile: env.caFile,
    user: BENCH_USER,
    password: env.users[BENCH_USER]!,
    mailbox: 'INBOX',
    range: '',
    count: 0,
    uid: 0,
    size: 0,
    messagesFile: '',
    compress: c.compress === true,
    quick: scale.name === 'quick',
  };
  switch (w) {
    case 'W1':
      return { ...job, range: p.w1Range, count: p.w1Count };
    case 'W2':
      return { ...job, range: p.w2Range, count: p.w2Count };
    case 'W3':
      return { ...job, mailbox: 'Big', uid: p.bigUid, size: p.bigSize };
    case 'W4':
    case 'W4p':
      return { ...job, mailbox: 'W4', uid: p.w4FirstUid, count: scale.w4Stores };
    case 'W5':
      return { ...job, mailbox: 'W5', messagesFile: p.w5File, count: scale.w5Messages };
    default:
      return job;
  }
}

async function beforeRun(w: WorkloadId, env: ServerEnv): Promise<void> {
  if (w === 'W4' || w === 'W4p') await resetW4(env);
  if (w === 'W5') await resetW5(env);
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return '?';
  }
}

function pkgVersion(name: string): string {
  try {
    const file = join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function runInfo(scale: Scale, p: Prepared, loadBefore: number): RunInfo {
  const cpu = cpus();
  const n = (x: number): string => x.toLocaleString('en-US');
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    scale: scale.name,
    rounds: scale.rounds,
    machine:
      `${cpu.length} × ${cpu[0]?.model.trim() ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Linux ${release()}, load average ${loadBefore.toFixed(1)} before / ${loadavg()[0]!.toFixed(1)} after`,
    versions:
      `Node ${process.version}, ${version('python3', ['--version'])}, ` +
      `Dovecot ${version('dovecot', ['--version'])}, imapflow ${pkgVersion('imapflow')}, ` +
      `imap (node-imap) ${pkgVersion('imap')}`,
    corpus:
      `bench INBOX of ${n(p.inboxMessages)} messages; W1 ${n(p.w1Count)} messages, ` +
      `W2 ${n(p.w2Count)}, W3 one message of ${(p.bigSize / 1e6).toFixed(1)} MB, ` +
      `W4 ${n(scale.w4Stores)} STOREs, W5 ${n(scale.w5Messages)} APPENDs`,
  };
}

function line(w: WorkloadId, c: string, m: Measurement): string {
  const head = `${w.padEnd(4)} ${c.padEnd(17)}`;
  if (m.error) return `${head} ERROR ${m.error}${m.stderr ? `\n${m.stderr}` : ''}`;
  if (m.skip) return `${head} skipped: ${m.skip}`;
  const f = (x: number | undefined, div = 1, width = 7): string =>
    (x !== undefined && Number.isFinite(x) ? (x / div).toFixed(0) : '-').padStart(width);
  return (
    `${head} wall ${f(m.wallMs)} ms  cpu ${f(m.cpuMs)} ms  rss ${f(m.maxRssKb, 1024, 5)} MB  ` +
    `dovecot ${f(m.dovecotCpuMs, 1, 6)} ms  wire ${f(m.wireBytes, 1024, 7)} KiB  ` +
    `${m.check ?? ''}${m.noisy ? '  (other users active)' : ''}`
  );
}

/** The W6 worker's rows as measurements of the given contenders (its error for all when it failed). */
function splitRows(m: Measurement, names: string[]): [string, Measurement][] {
  if (!m.rows) return names.map((n) => [n, m]);
  const out: [string, Measurement][] = [];
  for (const r of m.rows) {
    if (!names.includes(r.contender)) continue;
    out.push([
      r.contender,
      {
        ...r,
        cpuMs: NaN,
        maxRssKb: NaN,
        dovecotCpuMs: NaN,
        imapBytes: NaN,
        noisy: false,
        processMs: m.processMs,
      },
    ]);
  }
  return out;
}

async function main(): Promise<void> {
  const cli = parseCli();
  const { scale } = cli;
  if (cli.reportOnly) {
    const last = loadLastRun(scale);
    publish(cli, last.runs, last.info);
    return;
  }
  const loadBefore = loadavg()[0]!;
  const env = await startServer(scale);
  const dovecot: DovecotInfo = {
    pid: env.pid,
    sessions: new SessionTracker(join(env.stateDir, 'log', 'dovecot.log'), BENCH_USER),
  };
  const prepared = await prepare(env, scale);
  log(compileWorkers() ? 'Node workers compiled to bench/.cache/js' : 'Node workers run with tsx');
  const script = (c: Contender): string => join(BENCH_DIR, 'contenders', c.script);
  const runs = new Map<string, Measurement[]>();
  const record = (w: WorkloadId, c: string, m: Measurement): void => {
    const key = cellKey(w, c);
    runs.set(key, [...(runs.get(key) ?? []), m]);
  };

  // Contenders whose code does not load (e.g. imapkit before it is built) are reported, not run.
  const active: Contender[] = [];
  for (const c of cli.contenders) {
    const probe = await runJob(
      script(c),
      jobFor('probe', c, env, prepared, scale),
      dovecot,
      60_000,
    );
    if (probe.error) {
      log(`${c.name}: ${probe.error}`);
      for (const w of cli.workloads) if (takesPart(c, w)) record(w, c.name, probe);
    } else {
      active.push(c);
    }
  }

  if (cli.warmup) {
    // Dovecot caches ENVELOPE/BODYSTRUCTURE on first use: let nobody pay for that in round 1.
    const raw = CONTENDERS.find((c) => c.name === 'raw')!;
    for (const w of cli.workloads.filter((x) => x === 'W1' || x === 'W2' || x === 'W3')) {
      const m = await runJob(
        script(raw),
        jobFor(w, raw, env, prepared, scale),
        dovecot,
        scale.timeoutMs,
      );
      log(`warm-up ${w}: ${m.error ?? `${m.wallMs.toFixed(0)} ms`}`);
    }
  }

  for (let round = 0; round < scale.rounds; round++) {
    // rotate the order each round so no contender always goes first
    const order = active.map((_, i) => active[(i + round) % active.length]!);
    for (const w of cli.workloads) {
      if (w === 'W6') {
        const rows = cli.contenders.filter((c) => takesPart(c, 'W6')).map((c) => c.name);
        if (rows.length === 0) continue;
        const job = jobFor('W6', active[0] ?? cli.contenders[0]!, env, prepared, scale);
        const m = await runJob(
          join(BENCH_DIR, 'contenders', W6_SCRIPT),
          job,
          dovecot,
          scale.timeoutMs,
        );
        for (const [name, row] of splitRows(m, rows)) {
          record('W6', name, row);
          log(`[${round + 1}/${scale.rounds}] ${line('W6', name, row)}`);
        }
        continue;
      }
      for (const c of order) {
        if (!takesPart(c, w)) continue;
        await beforeRun(w, env);
        const m = await runJob(
          script(c),
          jobFor(w, c, env, prepared, scale),
          dovecot,
          scale.timeoutMs,
        );
        record(w, c.name, m);
        log(`[${round + 1}/${scale.rounds}] ${line(w, c.name, m)}`);
      }
    }
  }
  if (cli.workloads.includes('W4') || cli.workloads.includes('W4p')) await resetW4(env);

  let info = runInfo(scale, prepared, loadBefore);
  let all = runs;
  if (cli.merge) {
    const last = loadLastRun(scale);
    all = new Map([...last.runs, ...runs]);
    info = { ...info, date: `${last.info.date}, partly re-measured ${info.date}` };
    // render every workload and contender the merged data has
    cli.workloads = WORKLOADS.map((w) => w.id);
    cli.contenders = [...CONTENDERS];
  }
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(
    lastRunFile(scale),
    JSON.stringify({ info, prepared, runs: Object.fromEntries(all) }, null, 1),
  );
  publish(cli, all, info);
}

const CACHE = join(BENCH_DIR, '.cache');
const lastRunFile = (scale: Scale): string => join(CACHE, `last-run-${scale.name}.json`);

/** --report-only: the measurements of the last run at this scale, to render again. */
function loadLastRun(scale: Scale): { runs: Map<string, Measurement[]>; info: RunInfo } {
  const saved = JSON.parse(readFileSync(lastRunFile(scale), 'utf8')) as {
    info: RunInfo;
    runs: Record<string, Measurement[]>;
  };
  return { runs: new Map(Object.entries(saved.runs)), info: saved.info };
}

/** Writes (or prints) the table and chart; exits 1 on failures or disagreeing checks. */
function publish(cli: Cli, runs: Map<string, Measurement[]>, info: RunInfo): void {
  const names = cli.contenders.map((c) => c.name);
  const summaries = summarize(runs, cli.workloads, names).filter((s) =>
    takesPart(
      cli.contenders.find((c) => c.name === s.contender)!,
      s.workload,
    ),
  );
  const workloads = WORKLOADS.filter((w) => cli.workloads.includes(w.id));
  const table = markdownTable(summaries, workloads, info, BASELINE, cli.scale);
  if (cli.write) {
    writeBetweenMarkers(join(ROOT, 'BENCHMARKS.md'), table);
    writeFileSync(join(ROOT, 'benchmarks.svg'), svgChart(summaries, workloads, names, info));
    log('wrote BENCHMARKS.md and benchmarks.svg');
  } else {
    process.stdout.write(`${table}\n`);
  }

  const bad = summaries.filter((s) => s.status === 'failed' || s.checkAgrees === false);
  for (const s of bad) {
    const what = s.status === 'failed' ? s.reason : `check ${s.check} disagrees`;
    log(`PROBLEM ${s.workload} ${s.contender}: ${what}`);
  }
  if (bad.length > 0 && !cli.allowFailures) process.exit(1);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(2);
});
