/**
 * A quick deterministic run of the connection fuzzer (test/fuzz/connection.ts)
 * so it cannot rot: fixed seeds, every oracle armed. `npm run fuzz:conn` runs
 * it for longer.
 */
import { describe, expect, it } from 'vitest';
import { hookProcess, insane, mixedResults, runInput, type InputReport } from './connection.js';

describe('connection fuzzer smoke run', () => {
  it('300 seeded hostile sessions: every command settles with a value or an ImapError', async () => {
    hookProcess();
    const reports: InputReport[] = [];
    const seeds = Array.from({ length: 300 }, (_, i) => 424_242_000 + i);
    // Four at a time, as the fuzzer runs them.
    for (let i = 0; i < seeds.length; i += 4) {
      reports.push(...(await Promise.all(seeds.slice(i, i + 4).map((s) => runInput(s)))));
    }
    const findings = reports.flatMap((r) => r.findings.map((f) => `seed ${r.seed}: ${f}`));
    expect(findings).toEqual([]);
    // The run did exercise the engine: operations succeeded and failed in typed ways.
    const outcomes = reports.flatMap((r) => r.outcomes);
    expect(reports.reduce((n, r) => n + r.ops, 0)).toBeGreaterThan(1500);
    expect(outcomes.filter((o) => o.endsWith(': ok')).length).toBeGreaterThan(300);
    for (const code of ['PROTOCOL_NO', 'CONNECTION_CLOSED', 'PARSE', 'LIMIT']) {
      expect(outcomes.some((o) => o.endsWith(`: ${code}`))).toBe(true);
    }
    expect(outcomes.some((o) => o.startsWith('fetchStream: ok'))).toBe(true);
    expect(outcomes.some((o) => o.startsWith('searchContext: ok'))).toBe(true);
    expect(outcomes.some((o) => o.startsWith('idle: ok'))).toBe(true);
  }, 60_000);

  it('a seed reproduces its session: the same operations end the same way', async () => {
    const a = await runInput(77);
    const b = await runInput(77);
    expect(a.outcomes.length).toBeGreaterThan(0);
    expect(b.outcomes).toEqual(a.outcomes);
  });

  it("the value oracles tell a result holding two commands' numbers, or a NaN", () => {
    expect(mixedResults([3001, 3002, 3005])).toBeNull();
    expect(mixedResults([3001, 4001])).toBe(
      'result mixes the answers of several commands: 3001,4001',
    );
    expect(mixedResults({ min: 5001, max: 5003 })).toBeNull();
    expect(mixedResults({ min: 5001, max: 6001 })).not.toBeNull();
    expect(insane({ exists: 3, uids: [1, 2] })).toBeNull();
    expect(insane({ a: [{ b: Number.NaN }] })).toBe('result.a.0.b is NaN');
  });
});
