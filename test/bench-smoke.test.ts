/**
 * The benchmark harness must not rot: `bench/run.ts --quick --no-write` runs
 * every workload for every contender on a small corpus and fails when a
 * contender fails or its checksum disagrees with the others.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('bench --quick: every contender runs every workload and the checksums agree', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-write'],
    {
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  for (const w of [
    'W1 metadata sync',
    'W2 bodies',
    'W3 big download',
    'W4 round trips',
    'W5 upload',
  ]) {
    expect(r.stdout).toContain(`| **${w}** | raw |`);
  }
  // A measured wall time: `1,234` or, under 100 ms, `97.3`.
  expect(r.stdout).toMatch(/\| +\| imapkit \| \d[\d,]*(\.\d+)? \|/);
  expect(r.stdout).toMatch(/\| +\| imapkit-client \| \d[\d,]*(\.\d+)? \|/);
  expect(r.stdout).not.toContain('n/a (not built)');
}, 600_000);
