/**
 * Tell throughput between two workers. Each round, a sender on worker 0 sends N small messages
 * to a counter on worker 1, then asks it for its count; the time is taken inside worker 0, from
 * the first send until the count including all N is back, and reported to the main thread.
 * troupe: a source actor on worker 0 `ctx.tell`s a counter actor on worker 1, then `ctx.ask`s it.
 * Baselines: two raw workers joined by a MessageChannel, per-message and 256-per-call postMessage.
 */

import { launchSourceSink } from '../baselines/launch.js';
import type { Variant } from '../lib/rounds.js';
import { rate, toRow } from './outcome.js';
import { measure, type Suite } from './suite.js';
import { BATCH } from './throughput.js';
import { troupeWorkerToWorkerVariant } from './troupe-variants.js';

interface Rate {
  rate: number;
}

export const workerToWorkerSuite: Suite = {
  name: 'worker-to-worker',
  title: 'Cross-thread tell throughput (worker → worker)',
  async run(ctx) {
    const n = ctx.quick ? 100_000 : 300_000;
    const each = await launchSourceSink();
    const batched = await launchSourceSink();
    const troupe = await troupeWorkerToWorkerVariant(n);
    const counts = new Map<string, number>();
    const pmVariant = (id: string, link: typeof each, batch: number): Variant<Rate> => ({
      id,
      async round() {
        const done = await link.client.request({ type: 'run', n, batch });
        const expected = (counts.get(id) ?? 0) + n;
        counts.set(id, expected);
        if (done.count !== expected) throw new Error(`counted ${done.count}, expected ${expected}`);
        return { rate: rate(n, done.elapsedNs) };
      },
    });
    const variants: Variant<Rate>[] = [troupe.variant, pmVariant('pm-each', each, 1), pmVariant('pm-batch', batched, BATCH)];
    try {
      const outcomes = await measure(ctx, variants, troupe);
      const pick = (m: Rate) => m.rate;
      return {
        description:
          `A sender on worker 0 sends N = ${n.toLocaleString('en-US')} small messages to a counter on ` +
          'worker 1, then asks for the count; timed inside worker 0 until a count including all N is back. ' +
          'troupe: actor → actor with `ctx.tell` / `ctx.ask`. Baselines: raw `postMessage` on a ' +
          `MessageChannel between the two workers, one message per call and ${BATCH} per call.`,
        params: { messagesPerRound: n, batch: BATCH },
        tables: [
          {
            kind: 'rounds',
            id: 'worker-to-worker',
            title: 'Throughput, worker 0 → worker 1',
            unit: 'msg/s',
            better: 'higher',
            baselines: ['pm-each', 'pm-batch'],
            rows: [
              toRow(outcomes, 'troupe', 'troupe `ctx.tell`', 'troupe', pick, troupe.note),
              toRow(outcomes, 'pm-each', 'postMessage, 1 msg per call', 'baseline', pick),
              toRow(outcomes, 'pm-batch', `postMessage, ${BATCH} msgs per call`, 'baseline', pick),
            ],
            targets: [],
          },
        ],
      };
    } finally {
      await Promise.all([each.terminate(), batched.terminate(), troupe.close()]);
    }
  },
};
