/**
 * The Savina suites (`savina-<name>`, `--only savina` runs them all): for one benchmark, troupe
 * (all actors on one worker, and spread over all workers) and every peer that can run it, in
 * interleaved rounds; each round's result is checked before its time counts.
 */

import { runInterleaved, type Variant } from '../lib/rounds.js';
import type { RoundsRow, RoundsTable, SuiteResult } from '../lib/types.js';
import { toRow } from '../core/outcome.js';
import type { Suite, SuiteContext } from '../core/suite.js';
import { EXPECTED, type CheckedName } from './answers.js';
import { savinaParams } from './params.js';
import { PEERS } from './peers.js';
import { TROUPE_IDS, troupeSavina, type Timed } from './troupe.js';

/** A round that runs longer fails its variant (which then sits out the other rounds). */
const ROUND_TIMEOUT_MS = 120_000;

/**
 * Rounds per Savina suite. Fewer measured rounds than the core suites' (a full Skynet round of an
 * in-process library takes tens of seconds here); Savina itself runs 12 iterations. Two warm-up
 * rounds, as the core suites: V8 is still compiling the message path through the second. On this
 * project's 2-core VM (`node --trace-opt`, troupe alone, round by round) PingPong spread over the
 * workers made 152, 79, 7 and 0 optimized compilations in its first four rounds (3 s apart: they
 * took 859, 468, 225 and 165 ms), ThreadRing 183, 78, 23 and 5, Fork-Join creation 145, 42, 8
 * and 2 (back to back). The compiler's threads and the polling workers share the two cores.
 */
const FULL_ROUNDS = { warmup: 2, measured: 5 };

interface Spec {
  name: CheckedName;
  title: string;
  what: string;
}

const SPECS: Spec[] = [
  { name: 'pingpong', title: 'PingPong', what: 'Ping and Pong exchange N pings, one message in flight (≈3N messages with Ping\'s self-sends).' },
  { name: 'counting', title: 'Counting', what: 'A producer tells a counter N increments in one burst, then asks for the count.' },
  { name: 'fjthrput', title: 'Fork-Join throughput', what: 'N messages to each of A actors, round-robin; each message costs sin(37.2)².' },
  { name: 'fjcreate', title: 'Fork-Join creation', what: 'N actors created, each sent one message (sin(37.2)²), each stops.' },
  { name: 'threadring', title: 'ThreadRing', what: 'A ping passes R hops round a ring of N actors, then an exit goes round once.' },
  { name: 'chameneos', title: 'Chameneos', what: 'C chameneos meet through one mall actor until M meetings happened (many-to-one contention).' },
  { name: 'big', title: 'Big', what: 'A actors each ping a PseudoRandom neighbour N times, waiting for its pong each time (many-to-many).' },
  { name: 'fib', title: 'Fibonacci', what: 'fib(N) with an actor per call: each spawns two children and sums their answers (2·fib(N)−1 actors).' },
  { name: 'skynet', title: 'Skynet', what: 'A 10-way spawn tree down to L leaves; each leaf answers its ordinal, each level sums (1 111 111 actors at L = 1M).' },
];

export const TROUPE_LABELS: Record<string, string> = {
  [TROUPE_IDS.oneWorker]: 'troupe, all actors on 1 worker',
  [TROUPE_IDS.spread]: 'troupe, spread over all workers',
};

function paramText(p: object): string {
  return Object.entries(p).map(([k, v]) => `${k} = ${typeof v === 'number' ? v.toLocaleString('en-US') : String(v)}`).join(', ');
}

function savinaSuite(spec: Spec): Suite {
  return {
    name: `savina-${spec.name}`,
    title: `Savina ${spec.title}`,
    async run(ctx: SuiteContext): Promise<Omit<SuiteResult, 'name' | 'title' | 'durationMs'>> {
      const params = savinaParams(ctx.quick)[spec.name];
      const troupe = await troupeSavina(spec.name, params);
      const variants: Variant<Timed>[] = [...troupe.variants];
      const closers: (() => Promise<void>)[] = [];
      const peers = PEERS.filter((p) => ctx.peers === null || ctx.peers.includes(p.id));
      for (const peer of peers) {
        const why = peer.skip[spec.name];
        if (why !== undefined) {
          variants.push({ id: peer.id, unavailable: `not run: ${why}`, round: () => Promise.reject(new Error(why)) });
          continue;
        }
        try {
          const prepared = await peer.prepare(spec.name, params);
          variants.push(prepared.variant);
          closers.push(prepared.close);
        } catch (err) {
          const why = `could not start: ${err instanceof Error ? err.message : String(err)}`;
          variants.push({ id: peer.id, unavailable: why, round: () => Promise.reject(new Error(why)) });
        }
      }
      try {
        const warmupRounds = ctx.quick ? ctx.warmupRounds : FULL_ROUNDS.warmup;
        const rounds = ctx.quick ? ctx.rounds : FULL_ROUNDS.measured;
        const outcomes = await runInterleaved(variants, {
          warmupRounds,
          rounds,
          roundTimeoutMs: ROUND_TIMEOUT_MS,
          beforeEach: ctx.gc,
          log: ctx.log,
          onRound: ctx.onRound,
        });
        await troupe.close();
        const pick = (m: Timed) => m.ms;
        const rows: RoundsRow[] = [
          toRow(outcomes, TROUPE_IDS.oneWorker, TROUPE_LABELS[TROUPE_IDS.oneWorker]!, 'troupe', pick, troupe.note),
          toRow(outcomes, TROUPE_IDS.spread, TROUPE_LABELS[TROUPE_IDS.spread]!, 'troupe', pick),
          ...peers.map((p) => ({ ...toRow(outcomes, p.id, p.label, 'baseline', pick), version: p.version })),
        ];
        const table: RoundsTable = {
          kind: 'rounds',
          id: `savina-${spec.name}`,
          title: `${spec.title} (${paramText(params)})`,
          unit: 'ms',
          better: 'lower',
          baselines: [TROUPE_IDS.oneWorker, TROUPE_IDS.spread],
          rows,
          targets: [],
          chart: true,
          savinaRule: true,
        };
        return {
          description:
            `${spec.what} Parameters: ${paramText(params)}${ctx.quick ? ' (reduced for --quick)' : ' (Savina\'s defaults)'}. ` +
            `Answer checked every round: ${EXPECTED[spec.name].meaning} = ${(EXPECTED[spec.name].value as (p: unknown) => number)(params).toLocaleString('en-US')}. ` +
            'Time per run, actors\' creation included (Savina builds its actors inside each iteration). ' +
            `${warmupRounds} warm-up + ${rounds} measured rounds.`,
          params: { ...(params as unknown as Record<string, number>), warmupRounds, rounds },
          tables: [table],
        };
      } finally {
        await troupe.close();
        await Promise.all(closers.map((c) => c().catch(() => {})));
      }
    },
  };
}

export const SAVINA_SUITES: Suite[] = SPECS.map(savinaSuite);
