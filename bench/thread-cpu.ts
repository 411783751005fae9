/** CPU time of the process's main thread, for the in-memory benchmarks. */
import { readFileSync } from 'node:fs';

/** CPU time of the main thread so far (ns), or NaN where /proc is not there. */
export function mainThreadNs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    return Number(stat.split(' ')[0]);
  } catch {
    return NaN;
  }
}
