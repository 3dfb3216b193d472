/**
 * Ping-pong round trip, main thread <-> one worker: K sequential request/response pairs per
 * round, each timed with process.hrtime.bigint(); the round reports p50, p99 and mean.
 * troupe: `ref.ask({type:'ping', seq})` to an actor on worker 0 that replies `seq`.
 * Baseline: `postMessage({type:'ping', seq})` on a MessageChannel to a worker that posts `seq` back.
 */

import { launchCounter } from '../baselines/launch.js';
import type { Variant } from '../lib/rounds.js';
import { timeRoundTrips, type Rtt } from '../lib/round-trips.js';
import type { RoundsTable } from '../lib/types.js';
import { toRow } from './outcome.js';
import { measure, type Suite } from './suite.js';
import { troupePingVariant } from './troupe-variants.js';

export const pingpongSuite: Suite = {
  name: 'pingpong',
  title: 'Ping-pong round trip (main ↔ worker)',
  async run(ctx) {
    const k = ctx.quick ? 3_000 : 10_000;
    const pm = await launchCounter();
    const troupe = await troupePingVariant(k);
    const variants: Variant<Rtt>[] = [
      troupe.variant,
      { id: 'pm', round: () => timeRoundTrips(k, (seq) => pm.client.request({ type: 'ping', seq })) },
    ];
    try {
      const outcomes = await measure(ctx, variants, troupe);
      const table = (id: string, title: string, pick: (m: Rtt) => number, withTarget: boolean): RoundsTable => ({
        kind: 'rounds',
        id,
        title,
        unit: 'µs',
        better: 'lower',
        baselines: ['pm'],
        rows: [
          toRow(outcomes, 'troupe', 'troupe `ask`', 'troupe', pick, troupe.note),
          toRow(outcomes, 'pm', 'postMessage (MessageChannel)', 'baseline', pick),
        ],
        targets: withTarget ? [{ row: 'troupe', op: '<=', value: 0.1, against: 'pm' }] : [],
      });
      return {
        description:
          `${k.toLocaleString('en-US')} sequential round trips per round, main thread ↔ worker 0, each timed ` +
          'with `process.hrtime.bigint()`; the median over rounds of each round\'s p50 / p99 / mean. ' +
          'troupe: `ask({type:\'ping\', seq})`, the actor replies `seq`. Baseline: `postMessage` on a ' +
          'MessageChannel, the worker posts `seq` back.',
        params: { roundTripsPerRound: k },
        tables: [
          table('rtt-p50', 'Round trip p50', (m) => m.p50, true),
          table('rtt-p99', 'Round trip p99', (m) => m.p99, false),
          table('rtt-mean', 'Round trip mean', (m) => m.mean, false),
        ],
      };
    } finally {
      await Promise.all([pm.terminate(), troupe.close()]);
    }
  },
};
