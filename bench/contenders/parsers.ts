/**
 * W6: the parsers alone, via bench/parser.ts (runParserBench), which times
 * imapkit's ResponseParser, ImapFlow's parser and a plain byte loop on the
 * same recorded corpus in one process. Each becomes one row of the table.
 */
import type { ParserBenchResult } from '../parser.js';
import type { WorkerRow } from '../workloads.js';
import { runWorker } from './common.js';

/** Which table row a parser result belongs to. */
function contenderOf(r: ParserBenchResult): string {
  if (r.name.startsWith('imapkit')) return 'imapkit';
  if (r.name.startsWith('ImapFlow')) return 'imapflow';
  return 'raw';
}

await runWorker(async () => {
  const { runParserBench } = await import('../parser.js');
  return {
    W6: async (ctx) => {
      const results = await runParserBench({ quick: ctx.job.quick });
      const rows: WorkerRow[] = results.map((r) => {
        const contender = contenderOf(r);
        const heap = `${r.mbPerSec.toFixed(0)} MB/s, peak heap +${r.peakHeapDeltaMiB.toFixed(1)} MiB`;
        return {
          contender,
          wallMs: r.seconds * 1000,
          bytes: r.bytes,
          // the byte loop counts lines, not responses: nothing to compare
          ...(contender === 'raw'
            ? { note: `${r.name}; ${heap}` }
            : { check: `responses=${r.responses}`, note: heap }),
        };
      });
      return { rows };
    },
  };
});
