/**
 * The worker side of the benchmark, shared by the Node contenders: read the
 * job from argv, run the workload between two measurement points, write the
 * result file, exit. bench/contenders/cpython.py mirrors this in Python.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Job, WorkerResult, WorkerRow, WorkloadId } from '../workloads.js';

/** What a workload function returns: proof of work. */
export interface Outcome {
  check?: string;
  bytes?: number;
  note?: string;
  rows?: WorkerRow[];
}

/** Per-run data loaded before the measured window. */
export interface Context {
  job: Job;
  ca: Buffer;
  /** W5: the messages to append. */
  messages: Buffer[];
}

export type WorkloadFn = (ctx: Context) => Promise<Outcome>;

export type Contender = Partial<Record<WorkloadId, WorkloadFn>>;

/**
 * Runs the workload named by the job in argv[2]. `load` runs before the
 * window (dynamic imports of code under test belong there); it may throw to
 * say the contender is not built.
 */
export async function runWorker(
  load: () => Promise<Contender> | Contender,
  skipReasons: Partial<Record<WorkloadId, string>> = {},
): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const write = (r: WorkerResult | { probe: true }): void =>
    writeFileSync(job.resultFile, JSON.stringify(r));
  let contender: Contender;
  try {
    contender = await load();
  } catch (err) {
    write({ wallMs: 0, cpuMs: 0, maxRssKb: 0, error: `not built: ${errorText(err)}` });
    process.exit(3);
  }
  if (job.workload === 'probe') {
    write({ probe: true });
    process.exit(0);
  }
  const fn = contender[job.workload];
  if (!fn) {
    const skip = skipReasons[job.workload] ?? 'not offered by this API';
    write({ wallMs: 0, cpuMs: 0, maxRssKb: 0, skip });
    process.exit(0);
  }
  try {
    const ctx: Context = {
      job,
      ca: readFileSync(job.caFile),
      messages: job.workload === 'W5' ? readMessages(job.messagesFile) : [],
    };
    const io0 = ioBytes();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await fn(ctx);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const io1 = ioBytes();
    write({
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssKb: process.resourceUsage().maxRSS,
      wireBytes: io1 - io0,
      ...out,
    });
    // Libraries may keep timers or sockets alive; the measurement is done.
    process.exit(0);
  } catch (err) {
    write({ wallMs: 0, cpuMs: 0, maxRssKb: 0, error: errorText(err) });
    process.exit(1);
  }
}

/**
 * Bytes this process read and wrote through read()/write() (`rchar` +
 * `wchar` of /proc/self/io). In the window that is the TLS socket: Node and
 * OpenSSL (Python's ssl) both use read()/write() on it.
 */
function ioBytes(): number {
  const io = readFileSync('/proc/self/io', 'latin1');
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1]);
  return field('rchar') + field('wchar');
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}`;
  }
  return String(err);
}

/**
 * The W5 message file: a JSON header line `{"sizes": [...]}` followed by the
 * messages back to back (written by bench/setup.ts).
 */
export function readMessages(file: string): Buffer[] {
  const data = readFileSync(file);
  const nl = data.indexOf(0x0a);
  const { sizes } = JSON.parse(data.subarray(0, nl).toString('utf8')) as { sizes: number[] };
  const out: Buffer[] = [];
  let pos = nl + 1;
  for (const size of sizes) {
    out.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `s` (cpython.py has the same). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * W1's items: UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE, as
 * imapkit's FetchItems and ImapFlow's query object both spell them.
 */
export const W1_ITEMS = {
  uid: true,
  flags: true,
  internalDate: true,
  size: true,
  envelope: true,
  bodyStructure: true,
} as const;

/**
 * W1's proof of parsing: message count, sum of UIDs and the sum (mod 2^32) of
 * the FNV-1a hashes of the subjects as the library returns them (missing = '').
 * Order-independent, so it matches across libraries.
 */
export class W1Check {
  private n = 0;
  private uids = 0;
  private subjects = 0;

  add(uid: number, subject: string | null | undefined): void {
    this.n++;
    this.uids += uid;
    this.subjects = (this.subjects + fnv1a(subject ?? '')) >>> 0;
  }

  toString(): string {
    return `n=${this.n} uids=${this.uids} subj=${this.subjects.toString(16)}`;
  }
}

/** W2's proof: message count and byte total. */
export class CountCheck {
  n = 0;
  bytes = 0;

  add(size: number): void {
    this.n++;
    this.bytes += size;
  }

  toString(): string {
    return `n=${this.n} bytes=${this.bytes}`;
  }
}

/** UIDs first..first+count-1 (W4). */
export function uidList(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}
