/**
 * Turning measurements into the results: medians per (workload, contender),
 * the markdown table written between the markers in BENCHMARKS.md, and
 * a hand-written SVG bar chart (benchmarks.svg).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Measurement } from './measure.js';
import type { Scale, Workload, WorkloadId } from './workloads.js';

export const START_MARKER = '<!-- bench:start -->';
export const END_MARKER = '<!-- bench:end -->';

export type Status = 'ok' | 'skipped' | 'not built' | 'failed';

/** One cell of the table: the medians of the rounds of one contender on one workload. */
export interface Summary {
  workload: WorkloadId;
  contender: string;
  status: Status;
  /** Why it was skipped or failed. */
  reason?: string;
  rounds: number;
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
  dovecotCpuMs: number;
  /** TLS bytes through the client's socket (compressed when COMPRESS is on). */
  wireBytes: number;
  /** IMAP bytes as Dovecot counts them (after TLS and decompression). */
  imapBytes: number;
  check?: string;
  /** Whether `check` equals the other contenders' (null: nothing to compare with). */
  checkAgrees: boolean | null;
  note?: string;
  /** Some round ran while other users used the server. */
  noisy: boolean;
}

/** About the run, printed above the table. */
export interface RunInfo {
  date: string;
  scale: string;
  rounds: number;
  machine: string;
  versions: string;
  corpus: string;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summarizeCell(workload: WorkloadId, contender: string, runs: Measurement[]): Summary {
  const base = {
    workload,
    contender,
    rounds: runs.length,
    checkAgrees: null,
    noisy: runs.some((r) => r.noisy),
  };
  const zero = {
    wallMs: NaN,
    cpuMs: NaN,
    maxRssKb: NaN,
    dovecotCpuMs: NaN,
    wireBytes: NaN,
    imapBytes: NaN,
  };
  const failed = runs.find((r) => r.error);
  if (failed) {
    const notBuilt = failed.error!.startsWith('not built');
    const reason = notBuilt ? failed.error!.slice('not built: '.length) : failed.error;
    return { ...base, ...zero, status: notBuilt ? 'not built' : 'failed', reason };
  }
  const skipped = runs.find((r) => r.skip);
  if (skipped || runs.length === 0) {
    return { ...base, ...zero, status: 'skipped', reason: skipped?.skip ?? 'not run' };
  }
  const checks = new Set(runs.map((r) => r.check));
  return {
    ...base,
    status: 'ok',
    wallMs: median(runs.map((r) => r.wallMs)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    maxRssKb: median(runs.map((r) => r.maxRssKb)),
    dovecotCpuMs: median(runs.map((r) => r.dovecotCpuMs)),
    wireBytes: median(runs.map((r) => r.wireBytes ?? NaN)),
    imapBytes: median(runs.map((r) => r.imapBytes)),
    check: checks.size === 1 ? runs[0]!.check : `varies: ${[...checks].join(' / ')}`,
    note: runs[0]!.note,
  };
}

/**
 * Medians per cell, in workload then contender order; each check is compared
 * with the most common check of its workload.
 */
export function summarize(
  runs: Map<string, Measurement[]>,
  workloads: readonly WorkloadId[],
  contenders: readonly string[],
): Summary[] {
  const out: Summary[] = [];
  for (const w of workloads) {
    const row = contenders.map((c) => summarizeCell(w, c, runs.get(cellKey(w, c)) ?? []));
    const withCheck = row.filter((s) => s.check !== undefined);
    if (withCheck.length >= 2) {
      const votes = new Map<string, number>();
      for (const s of withCheck) votes.set(s.check!, (votes.get(s.check!) ?? 0) + 1);
      const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      for (const s of withCheck) s.checkAgrees = s.check === best;
    }
    out.push(...row);
  }
  return out;
}

export const cellKey = (w: WorkloadId, c: string): string => `${w}/${c}`;

const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');

function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x >= 100) return fmtInt(x);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const fmtMb = (kb: number): string => (Number.isFinite(kb) ? (kb / 1024).toFixed(0) : '—');

function fmtBytes(x: number): string {
  if (!Number.isFinite(x) || x === 0) return '—';
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} GB`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)} MB`;
  return `${(x / 1e3).toFixed(1)} kB`;
}

function checkMark(s: Summary): string {
  if (!s.check) return '—';
  if (s.checkAgrees === null) return `\`${s.check}\``;
  return `${s.checkAgrees ? '✓' : '✗'} \`${s.check}\``;
}

/** The markdown that goes between the markers. */
export function markdownTable(
  summaries: Summary[],
  workloads: readonly Workload[],
  info: RunInfo,
  baseline: string,
  scale: Scale,
): string {
  const lines: string[] = [];
  lines.push(
    `Run ${info.date}, ${info.scale} scale, ${info.rounds} round(s), median per cell. ` +
      `${info.machine}. ${info.versions}. Corpus: ${info.corpus}.`,
    '',
    '| Workload | Contender | Wall (ms) | × raw | Client CPU (ms) | Peak RSS (MB) | Dovecot CPU (ms) | Wire bytes | IMAP bytes | Check | Notes |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  );
  for (const w of workloads) {
    const row = summaries.filter((s) => s.workload === w.id);
    if (row.every((s) => s.status === 'skipped')) continue;
    const base = row.find((s) => s.contender === baseline && s.status === 'ok');
    let first = true;
    for (const s of row) {
      const name = first ? `**${w.title}**` : '';
      first = false;
      if (s.status !== 'ok') {
        const what = s.status === 'not built' ? 'n/a (not built)' : s.status;
        const why = (s.reason ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 120);
        lines.push(`| ${name} | ${s.contender} | ${what} | | | | | | | | ${why} |`);
        continue;
      }
      const factor = base ? `${(s.wallMs / base.wallMs).toFixed(1)}×` : '';
      const notes = [
        s.note,
        s.noisy ? 'other users were active: Dovecot CPU is an upper bound' : '',
      ]
        .filter(Boolean)
        .join('; ');
      lines.push(
        `| ${name} | ${s.contender} | ${fmtMs(s.wallMs)} | ${factor} | ${fmtMs(s.cpuMs)} | ` +
          `${fmtMb(s.maxRssKb)} | ${fmtMs(s.dovecotCpuMs)} | ${fmtBytes(s.wireBytes)} | ${fmtBytes(s.imapBytes)} | ` +
          `${checkMark(s)} | ${notes} |`,
      );
    }
  }
  lines.push('', 'Workloads at this scale:', '');
  for (const w of workloads) lines.push(`- **${w.title}**: ${w.describe(scale)}.`);
  lines.push('', '![median wall time per workload](benchmarks.svg)');
  return lines.join('\n');
}

/** Replaces what is between the markers in `file` (creating the file or markers if needed). */
export function writeBetweenMarkers(file: string, content: string): void {
  const block = `${START_MARKER}\n${content}\n${END_MARKER}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const a = old.indexOf(START_MARKER);
  const b = old.indexOf(END_MARKER);
  const next =
    a >= 0 && b > a
      ? old.slice(0, a) + block + old.slice(b + END_MARKER.length)
      : `${old}${old && !old.endsWith('\n') ? '\n' : ''}\n${block}\n`;
  writeFileSync(file, next);
}

// --------------------------------------------------------------------------
// SVG chart: one group of horizontal bars per workload, each bar a contender's
// median wall time, scaled to the slowest contender of that workload.
// --------------------------------------------------------------------------

const PALETTE = ['#1f6feb', '#8250df', '#bf3989', '#cf222e', '#d97706', '#1a7f37', '#57606a'];

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function svgChart(
  summaries: Summary[],
  workloads: readonly Workload[],
  contenders: readonly string[],
  info: RunInfo,
): string {
  const width = 900;
  const labelW = 150;
  const valueW = 110;
  const barH = 14;
  const gap = 4;
  const barMax = width - labelW - valueW - 20;
  const color = new Map(contenders.map((c, i) => [c, PALETTE[i % PALETTE.length]!]));
  const parts: string[] = [];
  let y = 56;
  for (const w of workloads) {
    const row = summaries.filter((s) => s.workload === w.id && s.status !== 'skipped');
    if (row.length === 0) continue;
    const max = Math.max(...row.filter((s) => s.status === 'ok').map((s) => s.wallMs), 1);
    parts.push(
      `<text x="10" y="${y + 12}" font-weight="bold" font-size="13">${esc(w.title)}</text>`,
    );
    y += 20;
    for (const s of row) {
      parts.push(
        `<text x="${labelW - 8}" y="${y + barH - 3}" text-anchor="end">${esc(s.contender)}</text>`,
      );
      if (s.status === 'ok') {
        const len = Math.max(1, (s.wallMs / max) * barMax);
        parts.push(
          `<rect x="${labelW}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${color.get(s.contender)}"/>`,
          `<text x="${(labelW + len + 6).toFixed(1)}" y="${y + barH - 3}">${fmtMs(s.wallMs)} ms</text>`,
        );
      } else {
        const what = s.status === 'not built' ? 'n/a (not built)' : s.status;
        parts.push(`<text x="${labelW}" y="${y + barH - 3}" fill="#8c959f">${what}</text>`);
      }
      y += barH + gap;
    }
    y += 10;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">imapkit benchmark: median wall time (shorter is better)</text>`,
    `<text x="10" y="40" fill="#57606a">${esc(`${info.scale} scale, ${info.rounds} round(s), ${info.date}; bars scaled per workload`)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
