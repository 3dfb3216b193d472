import { describe, expect, it } from 'vitest';
import { runMicro } from '../../bench/micro/tinybench-table.js';

/** Spins for `ms` milliseconds. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* spin */ }
}

describe('micro-benchmark tables', () => {
  it('give the rate over the whole run (operations over time), not the mean of each sample\'s rate', async () => {
    // Samples of two lengths, 10x apart: the mean of their rates is far above the rate over the run.
    let i = 0;
    const table = await runMicro('t', 'uneven', [{ name: 'uneven', opsPerCall: 4, fn: () => busy(i++ % 2 === 0 ? 0.05 : 0.5) }], true);
    const row = table.rows[0]!;
    expect(row.error).toBeUndefined();
    expect(row.opsPerSec! * row.meanNs! / 1e9).toBeCloseTo(1, 9);
  });
});
