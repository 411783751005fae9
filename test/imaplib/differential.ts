/**
 * Differential testing against CPython's imaplib: the same scenario runs
 * through `driver.py` (CPython) and through our facade, and the results are
 * encoded the same way for comparison.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as imaplib from '../../src/imaplib/index.js';

/** A JSON-safe encoding of imaplib values, shared with driver.py. */
export type Encoded =
  | null
  | { b: string }
  | { s: string }
  | { n: number }
  | { d: Record<string, Encoded> }
  | { repr: string }
  | Encoded[];

/** One call: a method with arguments; `{ bytes }` is passed as a Buffer. */
export interface Step {
  method: string;
  args?: Array<string | number | null | { bytes: string } | { date: number }>;
}

export interface Scenario {
  connect: { class: 'IMAP4' | 'IMAP4_SSL'; host: string; port: number; cafile: string };
  steps: Step[];
}

export type StepResult =
  { ok: Encoded } | { raised: 'error' | 'abort' | 'readonly'; message: string };

const DRIVER = fileURLToPath(new URL('./driver.py', import.meta.url));

/** Runs the scenario with CPython's imaplib. */
export function runPython(scenario: Scenario): StepResult[] {
  const out = spawnSync('python3', [DRIVER], {
    input: JSON.stringify(scenario),
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    timeout: 60_000,
  });
  if (out.status !== 0) throw new Error(`driver.py failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as StepResult[];
}

function encode(value: unknown): Encoded {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return { b: value.toString('latin1') };
  if (typeof value === 'string') return { s: value };
  if (typeof value === 'number') return { n: value };
  if (typeof value === 'boolean') return { n: value ? 1 : 0 };
  if (Array.isArray(value)) return value.map(encode);
  if (typeof value === 'object') {
    const d: Record<string, Encoded> = {};
    for (const [k, v] of Object.entries(value)) d[k] = encode(v);
    return { d };
  }
  return { repr: String(value) };
}

function decodeArg(a: NonNullable<Step['args']>[number]): unknown {
  if (a !== null && typeof a === 'object') {
    if ('bytes' in a) return Buffer.from(a.bytes, 'latin1');
    if ('date' in a) return a.date;
  }
  return a;
}

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** Runs the scenario with our facade. */
export async function runOurs(scenario: Scenario): Promise<StepResult[]> {
  const c = scenario.connect;
  const { readFileSync } = await import('node:fs');
  const M =
    c.class === 'IMAP4_SSL'
      ? await imaplib.IMAP4_SSL.connect(c.host, c.port, { tls: { ca: readFileSync(c.cafile) } })
      : await imaplib.IMAP4.connect(c.host, c.port);
  const out: StepResult[] = [];
  for (const step of scenario.steps) {
    const args = (step.args ?? []).map(decodeArg);
    try {
      if (step.method === '_starttls') {
        out.push({ ok: encode(await M.starttls({ ca: readFileSync(c.cafile) })) });
        continue;
      }
      if (step.method === '_set') {
        (M as unknown as Record<string, unknown>)[args[0] as string] = args[1];
        out.push({ ok: null });
        continue;
      }
      if (step.method === '_attr') {
        out.push({ ok: encode((M as unknown as Record<string, unknown>)[args[0] as string]) });
        continue;
      }
      if (step.method === '_helper') {
        const fn = (imaplib as unknown as Record<string, (...a: unknown[]) => unknown>)[
          args[0] as string
        ]!;
        let res = fn(...args.slice(1));
        if (res && typeof res === 'object' && 'tm_year' in res) {
          const t = res as imaplib.StructTime;
          res = [
            t.tm_year,
            t.tm_mon,
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
            t.tm_sec,
            t.tm_wday,
            t.tm_yday,
            t.tm_isdst,
          ];
        }
        out.push({ ok: encode(res) });
        continue;
      }
      const method = (M as unknown as Record<string, AnyMethod>)[step.method]!;
      out.push({ ok: encode(await method.apply(M, args)) });
    } catch (err) {
      if (err instanceof imaplib.ImaplibReadonly)
        out.push({ raised: 'readonly', message: err.message });
      else if (err instanceof imaplib.ImaplibAbort)
        out.push({ raised: 'abort', message: err.message });
      else if (err instanceof imaplib.ImaplibError)
        out.push({ raised: 'error', message: err.message });
      else throw err;
    }
  }
  M.shutdown();
  return out;
}

/** Removes what legitimately differs between two runs: Dovecot's timing text. */
export function normalise(results: StepResult[]): StepResult[] {
  const text = JSON.stringify(results).replace(
    / \(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)/g,
    ' (<timing>)',
  );
  return JSON.parse(text) as StepResult[];
}
