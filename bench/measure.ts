/**
 * Running one measured job: spawn the contender's worker process, read its
 * result file, and account for what Dovecot did meanwhile (CPU time of the
 * master and all its descendants from /proc, and the bench sessions'
 * in=/out= byte counts from Dovecot's log).
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  closeSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job, WorkerResult } from './workloads.js';

/** One run as the report sees it. */
export interface Measurement extends WorkerResult {
  /** user + system CPU of Dovecot (master and descendants) while the job ran. */
  dovecotCpuMs: number;
  /** Bytes the bench sessions moved as Dovecot counts them (in= plus out= of its log). */
  imapBytes: number;
  /** Other users logged in while the job ran: Dovecot's CPU figure includes their work. */
  noisy: boolean;
  /** Spawn to exit, including runtime start-up. */
  processMs: number;
  /** Last lines of the worker's stderr when it failed. */
  stderr?: string;
}

export interface DovecotInfo {
  /** The master's PID (env.json `pid`). */
  pid: number;
  /** Follows the benchmark user's sessions in Dovecot's log. */
  sessions: SessionTracker;
}

let clockTicks = 0;

function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      clockTicks = 100;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null; // exited meanwhile
  }
  // the command name may hold spaces or parentheses: fields start after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const num = (i: number): number => Number(f[i]);
  return { pid, ppid: num(1), ticks: num(11) + num(12) + num(13) + num(14) };
}

/**
 * CPU time (ms) of the Dovecot master and every live descendant, each with its
 * reaped children (cutime/cstime), so a session process that exits between two
 * readings is still counted: its time moves into its parent's cutime.
 */
export function dovecotCpuMs(masterPid: number): number {
  const byParent = new Map<number, ProcStat[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = byParent.get(st.ppid);
    if (list) list.push(st);
    else byParent.set(st.ppid, [st]);
  }
  const master = readStat(masterPid);
  if (!master) throw new Error(`Dovecot master ${masterPid} is not running`);
  let ticks = 0;
  const todo = [master];
  while (todo.length > 0) {
    const st = todo.pop()!;
    ticks += st.ticks;
    todo.push(...(byParent.get(st.pid) ?? []));
  }
  return (ticks * 1000) / ticksPerSecond();
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  const size = fileSize(path);
  if (size <= offset) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Follows Dovecot's log for the bench user's IMAP sessions: `Login:` lines of
 * imap-login (with `session=<id>`) and the imap process's `Disconnected`
 * line (with `in=`/`out=` byte counts) for the same session id.
 */
export class SessionTracker {
  private offset: number;
  private rest = '';
  /** Sessions logged in and not yet disconnected. */
  readonly open = new Set<string>();
  /** Bytes (in + out) of each disconnected session. */
  readonly bytes = new Map<string, number>();
  /** Logins of other users seen so far. */
  otherLogins = 0;

  constructor(
    private readonly file: string,
    private readonly user: string,
  ) {
    this.offset = fileSize(file);
  }

  /** Reads what Dovecot logged since the last poll; returns the sessions that logged in. */
  poll(): string[] {
    const size = fileSize(this.file);
    if (size < this.offset) this.offset = 0; // rotated
    const text = this.rest + readFrom(this.file, this.offset);
    this.offset = size;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? ''; // an incomplete last line waits for the next poll
    const logins: string[] = [];
    for (const line of lines) {
      const login = /imap-login: Info: Login: user=<([^>]*)>.*session=<([^>]+)>/.exec(line);
      if (login) {
        if (login[1] !== this.user) this.otherLogins++;
        else {
          this.open.add(login[2]!);
          logins.push(login[2]!);
        }
        continue;
      }
      const end = /imap\(([^)]*)\)<\d+><([^>]+)>: Info: Disconnected.* in=(\d+) out=(\d+)/.exec(
        line,
      );
      if (end && end[1] === this.user) {
        this.open.delete(end[2]!);
        this.bytes.set(end[2]!, Number(end[3]) + Number(end[4]));
      }
    }
    return logins;
  }

  /** Waits (at most `timeoutMs`) until the given sessions, or all open ones, have ended. */
  async settle(timeoutMs: number, sessions?: readonly string[]): Promise<void> {
    const pending = (): boolean =>
      sessions ? sessions.some((id) => this.open.has(id)) : this.open.size > 0;
    const deadline = performance.now() + timeoutMs;
    this.poll();
    while (pending() && performance.now() < deadline) {
      await sleep(25);
      this.poll();
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);
/** Where compileWorkers() puts the JavaScript of src/ and the Node workers. */
const WORKER_JS = join(BENCH, '.cache', 'js');
let compiled = false;

/**
 * Compiles src/ and the Node workers (bench/tsconfig.workers.json) to
 * bench/.cache/js, so every Node contender runs as plain JavaScript under
 * `node`, without tsx and its ~35 MB of resident memory: the peak RSS column
 * then starts from Node's own floor (~40 MB) for all of them alike. Type
 * errors do not stop the emit (another file may be mid-edit); a failure to
 * emit falls back to tsx.
 */
export function compileWorkers(): boolean {
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(BENCH, 'tsconfig.workers.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    process.stderr.write(
      `bench: type errors while compiling the workers (emitted anyway):\n${out.slice(0, 2000)}`,
    );
  }
  compiled =
    statSync(join(WORKER_JS, 'bench', 'contenders', 'common.js'), {
      throwIfNoEntry: false,
    })?.isFile() === true;
  return compiled;
}

/** The command line of a worker: plain Node on the compiled `.js` (tsx before compileWorkers()), python3 for `.py`. */
export function workerCommand(script: string, job: Job): [string, string[]] {
  const arg = JSON.stringify(job);
  if (script.endsWith('.py')) return ['python3', [script, arg]];
  const nodeArgs = (process.env.IMAPKIT_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  if (compiled) {
    const js = join(WORKER_JS, relative(REPO, script)).replace(/\.ts$/, '.js');
    return [process.execPath, [...nodeArgs, js, arg]];
  }
  return [process.execPath, [...nodeArgs, '--import', 'tsx', script, arg]];
}

let jobCounter = 0;

/** Runs `script` on `job` in its own process and measures it. */
export async function runJob(
  script: string,
  job: Omit<Job, 'resultFile'>,
  dovecot: DovecotInfo,
  timeoutMs: number,
): Promise<Measurement> {
  const resultFile = join(tmpdir(), `imapkit-bench-${process.pid}-${++jobCounter}.json`);
  rmSync(resultFile, { force: true });
  const full: Job = { ...job, resultFile };
  const [cmd, args] = workerCommand(script, full);

  // Sessions of earlier runs and of setup must be over, or their work would count here.
  const { sessions } = dovecot;
  await sessions.settle(5000);
  const otherBefore = sessions.otherLogins;
  const cpuBefore = dovecotCpuMs(dovecot.pid);
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  const processMs = performance.now() - t0;

  // Wait (briefly) for Dovecot to end and log every session the job opened.
  const mine = sessions.poll();
  await sessions.settle(5000, mine);
  const dovecotCpu = dovecotCpuMs(dovecot.pid) - cpuBefore;
  const imapBytes = mine.reduce((sum, id) => sum + (sessions.bytes.get(id) ?? 0), 0);

  let result: WorkerResult;
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8')) as WorkerResult;
  } catch {
    const why = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    const timedOut = processMs >= timeoutMs ? ` (timeout ${timeoutMs / 1000} s)` : '';
    result = { wallMs: 0, cpuMs: 0, maxRssKb: 0, error: `no result: ${why}${timedOut}` };
  }
  rmSync(resultFile, { force: true });
  const m: Measurement = {
    ...result,
    dovecotCpuMs: dovecotCpu,
    imapBytes,
    noisy: sessions.otherLogins > otherBefore,
    processMs,
  };
  if (result.error) m.stderr = stderr.trim().split('\n').slice(-5).join('\n');
  return m;
}
