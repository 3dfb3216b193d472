/**
 * Cross-thread tell throughput, main thread -> one worker.
 *
 * Each round sends N small messages ({type:'inc', by:1, id:7}, a fresh object each) and then
 * asks for the receiver's count; the round's time runs from the first send until a count that
 * includes all N has come back. Same shape for every implementation:
 * - troupe: `ref.tell` N times to a counter actor placed on worker 0, then `ref.ask({type:'get'})`;
 * - postMessage, per message: N `port.postMessage(msg)` on a MessageChannel to a counter worker;
 * - postMessage, batched: N/256 `port.postMessage(arrayOf256)` — what a hand-rolled batching
 *   layer gets, and the bar troupe's ring must clear.
 */

import { launchCounter } from '../baselines/launch.js';
import type { IncMsg } from '../baselines/wire.js';
import type { Variant } from '../lib/rounds.js';
import { rate, toRow } from './outcome.js';
import { measure, incMsg, type Suite } from './suite.js';
import { troupeThroughputVariant } from './troupe-variants.js';

export const BATCH = 256;

interface Rate {
  rate: number;
}

export const throughputSuite: Suite = {
  name: 'throughput',
  title: 'Cross-thread tell throughput (main → worker)',
  async run(ctx) {
    const n = ctx.quick ? 100_000 : 300_000;
    const each = await launchCounter();
    const batched = await launchCounter();
    const troupe = await troupeThroughputVariant(n);
    let expectedEach = 0;
    let expectedBatched = 0;
    const variants: Variant<Rate>[] = [
      troupe.variant,
      {
        id: 'pm-each',
        async round() {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i++) each.client.post(incMsg());
          const count = await each.client.request({ type: 'get' });
          const t1 = process.hrtime.bigint();
          expectedEach += n;
          if (count !== expectedEach) throw new Error(`counted ${count}, expected ${expectedEach}`);
          return { rate: rate(n, t1 - t0) };
        },
      },
      {
        id: 'pm-batch',
        async round() {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i += BATCH) {
            const len = Math.min(BATCH, n - i);
            const arr: IncMsg[] = new Array(len);
            for (let j = 0; j < len; j++) arr[j] = incMsg();
            batched.client.post(arr);
          }
          const count = await batched.client.request({ type: 'get' });
          const t1 = process.hrtime.bigint();
          expectedBatched += n;
          if (count !== expectedBatched) throw new Error(`counted ${count}, expected ${expectedBatched}`);
          return { rate: rate(n, t1 - t0) };
        },
      },
    ];
    try {
      const outcomes = await measure(ctx, variants, troupe);
      const pick = (m: Rate) => m.rate;
      return {
        description:
          `Main thread sends N = ${n.toLocaleString('en-US')} small messages \`{type:'inc', by:1, id:7}\` ` +
          'to a counter on one worker, then asks for the count; time from the first send until a count ' +
          'including all N is back. troupe: `tell` to an actor on worker 0, then `ask`. Baselines: raw ' +
          `\`postMessage\` on a MessageChannel, one message per call, and arrays of ${BATCH} per call.`,
        params: { messagesPerRound: n, batch: BATCH },
        tables: [
          {
            kind: 'rounds',
            id: 'throughput',
            title: 'Throughput, main → worker',
            unit: 'msg/s',
            better: 'higher',
            baselines: ['pm-each', 'pm-batch'],
            rows: [
              toRow(outcomes, 'troupe', 'troupe `tell`', 'troupe', pick, troupe.note),
              toRow(outcomes, 'pm-each', 'postMessage, 1 msg per call', 'baseline', pick),
              toRow(outcomes, 'pm-batch', `postMessage, ${BATCH} msgs per call`, 'baseline', pick),
            ],
            targets: [
              { row: 'troupe', op: '>=', value: 3, against: 'pm-each' },
              { row: 'troupe', op: '>=', value: 1.5, against: 'pm-batch' },
            ],
          },
        ],
      };
    } finally {
      await Promise.all([each.terminate(), batched.terminate(), troupe.close()]);
    }
  },
};
