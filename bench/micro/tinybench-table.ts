/**
 * Runs tinybench tasks and turns them into a MicroTable. Each task does `opsPerCall`
 * operations per call, so that sub-microsecond operations are not drowned in timer overhead;
 * reported costs are per operation.
 */

import { Bench } from 'tinybench';
import type { MicroRow, MicroTable } from '../lib/types.js';

export interface MicroTask {
  name: string;
  opsPerCall: number;
  fn(): void;
  note?: string;
}

export async function runMicro(id: string, title: string, tasks: MicroTask[], quick: boolean): Promise<MicroTable> {
  const bench = new Bench({
    name: title,
    time: quick ? 150 : 600,
    warmupTime: quick ? 50 : 200,
    timestampProvider: 'hrtimeNow',
  });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  const rows: MicroRow[] = tasks.map((t) => {
    const row: MicroRow = { name: t.name, opsPerCall: t.opsPerCall };
    if (t.note !== undefined) row.note = t.note;
    const r = bench.getTask(t.name)?.result;
    if (r === undefined || r.state === 'not-started' || r.state === 'started' || r.state === 'aborted') {
      row.error = `tinybench state: ${r?.state ?? 'missing'}`;
    } else if (r.state === 'errored') {
      row.error = r.error.message;
    } else {
      const msToNsPerOp = 1e6 / t.opsPerCall;
      row.meanNs = r.latency.mean * msToNsPerOp;
      row.p50Ns = r.latency.p50 * msToNsPerOp;
      row.p99Ns = r.latency.p99 * msToNsPerOp;
      row.rmePct = r.latency.rme;
      // The rate over the whole run: operations over time, the mean's inverse. tinybench's
      // throughput.mean is the mean of each sample's own rate, which a few slow samples (a GC)
      // hardly lower: the 1 KiB binary row read 1.44 M/s beside a mean of 1,021 ns/op (0.98 M/s).
      row.opsPerSec = 1e9 / row.meanNs;
      row.samples = r.latency.samplesCount;
    }
    return row;
  });
  return { kind: 'micro', id, title, rows };
}
