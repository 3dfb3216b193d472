/**
 * `troupe bench --actor <file>`: the user's own actor through three scenarios, troupe beside raw
 * postMessage, in interleaved rounds like every other suite:
 * - throughput: N tells of benchMessage, then one ask of benchAsk (answered after all N: one
 *   sender's mail is handled in order); msg/s;
 * - ping-pong: N/10 sequential asks of benchAsk, each timed; p50 and p99;
 * - ask: N/10 asks of benchAsk, ASK_WINDOW in flight at a time; asks/s.
 * troupe runs each from a driver actor on the user's actor's worker and from one on the other
 * worker (troupe.ts); the baseline posts the same messages between two plain workers, to a sink
 * that runs no handler (baseline.ts). Everything is timed in the sending thread.
 */

import os from 'node:os';
import { toRow } from '../core/outcome.js';
import type { Suite, SuiteContext } from '../core/suite.js';
import { runInterleaved, type Variant, type VariantOutcome } from '../lib/rounds.js';
import type { Rtt } from '../lib/round-trips.js';
import type { RoundsRow, RoundsTable } from '../lib/types.js';
import { launchBaseline, type Baseline } from './baseline.js';
import type { UserActor } from './module.js';
import { startTroupe, TROUPE_IDS, type TroupeSide } from './troupe.js';
import type { RoundResult, Scenario } from './wire.js';

/** Tells per throughput round, unless --messages says otherwise. */
export const DEFAULT_MESSAGES = { full: 100_000, quick: 10_000 };
/** Asks in flight at a time in the ask scenario. */
const ASK_WINDOW = 64;
/** postMessage's batched row: messages per call, as in the core suites. */
const BATCH = 256;
/** A round that takes longer fails its row (a slow handler: lower --messages). */
const ROUND_TIMEOUT_MS = 60_000;

type Rate = { rate: number };

const rate = (n: number) => (r: RoundResult): Rate => ({ rate: n / (r.elapsedNs / 1e9) });
const rttOf = (r: RoundResult): Rtt => {
  if (r.rtt === undefined) throw new Error('the round returned no latencies');
  return r.rtt;
};

function troupeVariants<M>(troupe: TroupeSide, s: Scenario, pick: (r: RoundResult) => M): Variant<M>[] {
  return (['same', 'across'] as const).map((where) => ({ id: TROUPE_IDS[where], round: async () => pick(await troupe.round(where, s)) }));
}

function pmVariant<M>(id: string, b: Baseline, s: Scenario, pick: (r: RoundResult) => M): Variant<M> {
  return { id, round: async () => pick(await b.round(s)) };
}

function troupeRows<M>(outcomes: Map<string, VariantOutcome<M>>, troupe: TroupeSide, pick: (m: M) => number): RoundsRow[] {
  return [
    toRow(outcomes, TROUPE_IDS.same, `troupe, driver on the actor's worker`, 'troupe', pick, troupe.note),
    toRow(outcomes, TROUPE_IDS.across, `troupe, driver on another worker`, 'troupe', pick),
  ];
}

/** The suite for one user actor; `messages`: tells per throughput round (null: the default). */
export function userActorSuite(actor: UserActor, messages: number | null): Suite {
  return {
    name: 'actor',
    title: `Your actor: ${actor.file}`,
    async run(ctx: SuiteContext) {
      const n = messages ?? (ctx.quick ? DEFAULT_MESSAGES.quick : DEFAULT_MESSAGES.full);
      const k = Math.max(1, Math.round(n / 10));
      const rounds = <M>(variants: Variant<M>[]) => runInterleaved(variants, {
        warmupRounds: ctx.warmupRounds,
        rounds: ctx.rounds,
        roundTimeoutMs: ROUND_TIMEOUT_MS,
        beforeEach: ctx.gc,
        log: ctx.log,
        onRound: ctx.onRound,
      });
      const troupe = await startTroupe(actor);
      const baselines: Baseline[] = [];
      const launch = async (batch: number, replyEvery: number) => {
        const b = await launchBaseline(actor, batch, replyEvery);
        baselines.push(b);
        return b;
      };
      try {
        // The sinks answer the ask that ends a throughput round (after n tells), or every message.
        const each = await launch(1, n + 1);
        const batched = await launch(BATCH, n + 1);
        const asking = await launch(1, 1);
        const tput: Scenario = { t: 'throughput', n };
        const tputOut = await rounds<Rate>([
          ...troupeVariants(troupe, tput, rate(n)),
          pmVariant('pm-each', each, tput, rate(n)),
          pmVariant('pm-batch', batched, tput, rate(n)),
        ]);
        const ping: Scenario = { t: 'pingpong', k };
        const pingOut = await rounds<Rtt>([...troupeVariants(troupe, ping, rttOf), pmVariant('pm', asking, ping, rttOf)]);
        const asks: Scenario = { t: 'asks', n: k, window: ASK_WINDOW };
        const asksOut = await rounds<Rate>([...troupeVariants(troupe, asks, rate(k)), pmVariant('pm', asking, asks, rate(k))]);
        await troupe.close();
        const pick = (m: Rate) => m.rate;
        const pmRow = <M>(out: Map<string, VariantOutcome<M>>, p: (m: M) => number) => toRow(out, 'pm', 'postMessage (no handler)', 'baseline', p);
        const latency = (which: 'p50' | 'p99'): RoundsTable => ({
          kind: 'rounds', id: `actor-rtt-${which}`, title: `Ping-pong round trip ${which}`, unit: 'µs', better: 'lower', baselines: ['pm'], targets: [],
          rows: [...troupeRows(pingOut, troupe, (m) => m[which]), pmRow(pingOut, (m) => m[which])],
        });
        return {
          description:
            `\`${actor.file}\` on worker 0 of a 2-worker system (${os.availableParallelism()} cores here), driven by an actor on the same ` +
            `worker and by one on worker 1. Throughput: N = ${n.toLocaleString('en-US')} tells of \`benchMessage\`, then an ask of ` +
            `\`benchAsk\`, answered after all N. Ping-pong: ${k.toLocaleString('en-US')} sequential asks. Ask: ${k.toLocaleString('en-US')} ` +
            `asks, ${ASK_WINDOW} in flight. Timed in the sending thread. Baseline: the same messages posted between two plain ` +
            'workers over a MessageChannel, to a sink that runs no handler (it counts them and answers): what moving them costs.',
          params: { messagesPerRound: n, asksPerRound: k, askWindow: ASK_WINDOW, batch: BATCH },
          tables: [
            {
              kind: 'rounds', id: 'actor-throughput', title: 'Throughput, tell', unit: 'msg/s', better: 'higher', baselines: ['pm-each'], targets: [],
              rows: [
                ...troupeRows(tputOut, troupe, pick),
                toRow(tputOut, 'pm-each', 'postMessage, 1 per call (no handler)', 'baseline', pick),
                toRow(tputOut, 'pm-batch', `postMessage, ${BATCH} per call (no handler)`, 'baseline', pick),
              ],
            },
            latency('p50'),
            latency('p99'),
            {
              kind: 'rounds', id: 'actor-asks', title: `Ask throughput, ${ASK_WINDOW} in flight`, unit: 'asks/s', better: 'higher', baselines: ['pm'], targets: [],
              rows: [...troupeRows(asksOut, troupe, pick), pmRow(asksOut, pick)],
            },
          ],
        };
      } finally {
        await troupe.close();
        await Promise.all(baselines.map((b) => b.close().catch(() => {})));
      }
    },
  };
}
