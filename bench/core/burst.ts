/**
 * A burst of 1,000,000 tells with the default options (no mailbox bound, the default high-water
 * mark): every message must be processed and none dead-lettered, and memory must stay bounded.
 * Each round starts a system of its own (not timed), so that its memory growth is its own:
 * - main → worker, `tell` in a loop that ignores what it returns (a naive producer: what waits
 *   is held in main's spill until the ring has room);
 * - main → worker, `await ref.ready()` whenever `tell` returns false (a paced producer);
 * - actor → actor across workers, `await ctx.ready(sink)` whenever `ctx.tell` returns false.
 * Measured: time from the first tell until the sink's count (all n) is back; the peak growth of
 * the process's resident memory over the round (main and workers share it; sampled every 5 ms
 * and at the end); and dead letters, which must be 0.
 */

import type { ActorSystem } from 'troupe';
import type { Run, RunResult } from '../actors/messages.js';
import type { Variant } from '../lib/rounds.js';
import { toRow } from './outcome.js';
import { incMsg, type Suite } from './suite.js';
import { runInterleaved } from '../lib/rounds.js';

interface Burst { ms: number; rssMb: number; dead: number }

const actorUrl = (name: string) => new URL(`../actors/${name}.actor.js`, import.meta.url);

/** Runs `send` on a fresh 2-worker system with default options; times it, samples RSS, counts dead letters. */
async function burstRound(n: number, send: (system: ActorSystem) => Promise<number>): Promise<Burst> {
  const { createActorSystem } = await import('troupe');
  const system = await createActorSystem({ name: 'burst', workers: 2, logger: { level: 'warn' } });
  try {
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 5);
    const t0 = performance.now();
    let count: number;
    try {
      count = await send(system);
    } finally {
      clearInterval(sampler);
    }
    const ms = performance.now() - t0;
    peak = Math.max(peak, process.memoryUsage.rss());
    const dead = Object.values(system.deadLetters.counts()).reduce((a, b) => a + b, 0);
    if (count !== n) throw new Error(`the sink counted ${count} of ${n}; dead letters: ${JSON.stringify(system.deadLetters.counts())}`);
    return { ms, rssMb: (peak - before) / (1 << 20), dead };
  } finally {
    await system.shutdown({ timeoutMs: 5000 });
  }
}

export const burstSuite: Suite = {
  name: 'burst',
  title: 'A burst of 1,000,000 tells, default options',
  async run(ctx) {
    const n = ctx.quick ? 200_000 : 1_000_000;
    const sinkOpts = (worker: number) => ({ placement: { worker } });
    const variants: Variant<Burst>[] = [
      {
        id: 'main-naive',
        round: () => burstRound(n, async (system) => {
          const sink = await system.spawn(actorUrl('counter'), sinkOpts(0));
          for (let i = 0; i < n; i++) sink.tell(incMsg());
          return sink.ask<number>({ type: 'get' }, { timeoutMs: 120_000 });
        }),
      },
      {
        id: 'main-paced',
        round: () => burstRound(n, async (system) => {
          const sink = await system.spawn(actorUrl('counter'), sinkOpts(0));
          for (let i = 0; i < n; i++) if (!sink.tell(incMsg())) await sink.ready();
          return sink.ask<number>({ type: 'get' }, { timeoutMs: 120_000 });
        }),
      },
      {
        id: 'actor-paced',
        round: () => burstRound(n, async (system) => {
          const source = await system.spawn(actorUrl('paced-source'), sinkOpts(0));
          const sink = await system.spawn(actorUrl('counter'), sinkOpts(1));
          const r = await source.ask<RunResult>({ type: 'run', n, sink } satisfies Run, { timeoutMs: 120_000 });
          return r.count;
        }),
      },
    ];
    const outcomes = await runInterleaved(variants, {
      warmupRounds: 1,
      rounds: ctx.quick ? 2 : 5,
      roundTimeoutMs: 120_000,
      beforeEach: ctx.gc,
      log: ctx.log,
      onRound: ctx.onRound,
    });
    const rows = (pick: (b: Burst) => number) => [
      toRow(outcomes, 'main-naive', 'main → worker, `tell` (result ignored)', 'troupe', pick),
      toRow(outcomes, 'main-paced', 'main → worker, `await ready()` when `tell` is false', 'troupe', pick),
      toRow(outcomes, 'actor-paced', 'actor → actor across workers, `await ctx.ready()`', 'troupe', pick),
    ];
    return {
      description:
        `N = ${n.toLocaleString('en-US')} small messages \`{type:'inc', by:1, id:7}\` to a counter, with the default ` +
        'options (no mailbox bound; high-water mark 1,000), on a fresh 2-worker system each round (startup not ' +
        'timed). Time: from the first tell until the count of all N is back. Memory: the peak growth of the ' +
        "process's resident set over the round (main and workers), sampled every 5 ms. Dead letters must be 0.",
      params: { messagesPerRound: n },
      tables: [
        { kind: 'rounds', id: 'burst-time', title: 'Burst, time', unit: 'ms', better: 'lower', baselines: [], rows: rows((b) => b.ms), targets: [] },
        { kind: 'rounds', id: 'burst-rss', title: 'Burst, peak RSS growth', unit: 'MB', better: 'lower', baselines: [], rows: rows((b) => b.rssMb), targets: [] },
        {
          kind: 'rounds', id: 'burst-dead', title: 'Burst, dead letters', unit: 'messages', better: 'lower', baselines: [], rows: rows((b) => b.dead),
          targets: [{ row: 'main-naive', op: '<=', value: 0 }, { row: 'main-paced', op: '<=', value: 0 }, { row: 'actor-paced', op: '<=', value: 0 }],
        },
      ],
    };
  },
};
