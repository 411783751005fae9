import { describe, expect, it } from 'vitest';
import { exportSteps } from '../../src/cli/commands/export.js';
import type { ExportMeta } from '../../src/cli/sinks/sink.js';

const meta = (uid: number, size: number): ExportMeta => ({
  uid,
  flags: [],
  internalDate: new Date(0),
  size,
  sender: null,
});

const MiB = 1024 * 1024;

describe('export steps', () => {
  it('small messages go in batches, a message over 1 MiB is streamed on its own, order kept', () => {
    const steps = exportSteps([meta(1, 10), meta(2, 20), meta(3, 2 * MiB), meta(4, 30)]);
    expect(steps).toEqual([
      { batch: [meta(1, 10), meta(2, 20)] },
      { large: meta(3, 2 * MiB) },
      { batch: [meta(4, 30)] },
    ]);
  });

  it('a batch holds at most 500 messages', () => {
    const todo = Array.from({ length: 1201 }, (_, i) => meta(i + 1, 100));
    const sizes = exportSteps(todo).map((s) => ('batch' in s ? s.batch.length : -1));
    expect(sizes).toEqual([500, 500, 201]);
  });

  it('a batch holds at most 16 MiB of messages', () => {
    const todo = Array.from({ length: 40 }, (_, i) => meta(i + 1, MiB)); // exactly 1 MiB: batched
    const steps = exportSteps(todo);
    expect(steps.map((s) => ('batch' in s ? s.batch.length : -1))).toEqual([16, 16, 8]);
    expect(steps.flatMap((s) => ('batch' in s ? s.batch.map((m) => m.uid) : []))).toEqual(
      todo.map((m) => m.uid),
    );
  });

  it('nothing to do: no steps', () => {
    expect(exportSteps([])).toEqual([]);
  });
});
