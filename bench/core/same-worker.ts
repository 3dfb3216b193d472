/**
 * Same-worker tell throughput: two actors on one worker; on `run`, the first tells the second
 * N small messages from inside its receive, then asks it for its count (the count comes back
 * only after all N are counted: one sender, in order). Timed inside the worker; the elapsed
 * nanoseconds come back to the main thread by `ctx.reply`. No postMessage equivalent: this is
 * in-thread dispatch, judged against an absolute target.
 */

import type { Variant } from '../lib/rounds.js';
import { toRow } from './outcome.js';
import { measure, type Suite } from './suite.js';
import { troupeSameWorkerVariant } from './troupe-variants.js';

interface Rate {
  rate: number;
}

export const sameWorkerSuite: Suite = {
  name: 'same-worker',
  title: 'Same-worker tell throughput (actor → actor inside one worker)',
  async run(ctx) {
    const n = ctx.quick ? 500_000 : 2_000_000;
    const troupe = await troupeSameWorkerVariant(n);
    const variants: Variant<Rate>[] = [troupe.variant];
    try {
      const outcomes = await measure(ctx, variants, troupe);
      return {
        description:
          `Two actors on worker 0: the first tells the second N = ${n.toLocaleString('en-US')} small ` +
          'messages from inside one receive, then asks it for its count; timed inside the worker ' +
          '(`process.hrtime.bigint()`) until a count including all N is back, returned by `ctx.reply`.',
        params: { messagesPerRound: n },
        tables: [
          {
            kind: 'rounds',
            id: 'same-worker',
            title: 'Throughput, actor → actor on one worker',
            unit: 'msg/s',
            better: 'higher',
            baselines: [],
            rows: [toRow(outcomes, 'troupe', 'troupe `ctx.tell`', 'troupe', (m) => m.rate, troupe.note)],
            targets: [{ row: 'troupe', op: '>=', value: 5_000_000 }],
          },
        ],
      };
    } finally {
      await troupe.close();
    }
  },
};
