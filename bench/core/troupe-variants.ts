/**
 * The troupe side of each core scenario, through the public API only (`import ... from 'troupe'`,
 * the package's own build). Each scenario gets its own actor system, started before its rounds
 * (startup is not timed) and shut down after them.
 *
 * troupe is imported lazily, so a missing or broken build costs the troupe rows only: they say
 * why, and the baselines still run.
 */

import type { ActorRef, ActorSystem } from 'troupe';
import type { Run, RunResult } from '../actors/messages.js';
import type { Variant } from '../lib/rounds.js';
import { rate } from './outcome.js';
import { timeRoundTrips, type Rtt } from '../lib/round-trips.js';
import { incMsg } from './suite.js';

export interface TroupeVariant<M> {
  variant: Variant<M>;
  /** Shown under the table: dead letters or anything else odd seen while it ran; set by close(). */
  readonly note: string | undefined;
  /** Shuts the system down; idempotent. */
  close(): Promise<void>;
}

type Rate = { rate: number };

/** Generous: a round is bounded by the runner's own timeout; asks must not time out first. */
const ASK_TIMEOUT_MS = 60_000;

const actorUrl = (name: string) => new URL(`../actors/${name}.actor.js`, import.meta.url);

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function unavailable<M>(reason: string): TroupeVariant<M> {
  return {
    variant: { id: 'troupe', unavailable: reason, round: () => Promise.reject(new Error(reason)) },
    note: undefined,
    close: async () => {},
  };
}

/**
 * Starts a 2-worker system, lets `setup` spawn actors and build the variant; anything that fails
 * makes the variant unavailable with the reason. On close, reports dead letters seen in the note.
 */
async function withSystem<M>(
  setup: (system: ActorSystem) => Promise<Variant<M>>,
): Promise<TroupeVariant<M>> {
  let troupe: typeof import('troupe');
  try {
    troupe = await import('troupe');
  } catch (err) {
    return unavailable(`troupe could not be imported (is dist/ built?): ${describe(err)}`);
  }
  let system: ActorSystem;
  try {
    system = await troupe.createActorSystem({ name: 'bench', workers: 2, logger: { level: 'warn' } });
  } catch (err) {
    return unavailable(`createActorSystem failed: ${describe(err)}`);
  }
  // TROUPE_BENCH_SERVE=1: the observability server runs, and /metrics is scraped every second
  // (what metrics cost on these rows).
  let scraper: ReturnType<typeof setInterval> | undefined;
  if (process.env.TROUPE_BENCH_SERVE === '1') {
    const { url } = await system.serve({ port: 0 });
    scraper = setInterval(() => { void fetch(`${url}/metrics`).then((r) => r.text()).catch(() => {}); }, 1000);
  }
  let variant: Variant<M>;
  try {
    variant = await setup(system);
  } catch (err) {
    await system.shutdown({ timeoutMs: 2000 }).catch(() => {});
    return unavailable(`setup failed: ${describe(err)}`);
  }
  let note: string | undefined;
  let closing: Promise<void> | undefined;
  const close = async () => {
    const dead = system.deadLetters.count;
    if (dead > 0) note = `${dead} dead letters during the run: ${JSON.stringify(system.deadLetters.counts())}`;
    clearInterval(scraper);
    const t0 = performance.now();
    try {
      await system.shutdown({ timeoutMs: 5000 });
    } catch (err) {
      note = [note, `shutdown failed: ${describe(err)}`].filter(Boolean).join('; ');
    }
    const ms = performance.now() - t0;
    if (ms > 1000) note = [note, `shutdown took ${ms.toFixed(0)} ms`].filter(Boolean).join('; ');
  };
  return {
    variant,
    get note() {
      return note;
    },
    close: () => (closing ??= close()),
  };
}

/**
 * Asks `counter` for its count until it reaches `expected`. One ask normally suffices (a sender's
 * mail is processed in order); a short count means messages were lost or dead-lettered.
 */
async function awaitCount(system: ActorSystem, counter: ActorRef, expected: number): Promise<void> {
  let count = await counter.ask<number>({ type: 'get' }, { timeoutMs: ASK_TIMEOUT_MS });
  for (let retry = 0; count < expected && retry < 20; retry++) {
    await new Promise((r) => setTimeout(r, 5));
    count = await counter.ask<number>({ type: 'get' }, { timeoutMs: ASK_TIMEOUT_MS });
  }
  if (count !== expected) {
    throw new Error(
      `counter at ${count}, expected ${expected}; dead letters: ${JSON.stringify(system.deadLetters.counts())}`,
    );
  }
}

/** Main → worker 0: tell n, then ask for the count. */
export function troupeThroughputVariant(n: number): Promise<TroupeVariant<Rate>> {
  return withSystem(async (system) => {
    const counter = await system.spawn(actorUrl('counter'), {
      placement: { worker: 0 },
      mailbox: { capacity: n + 1024 },
    });
    let expected = 0;
    return {
      id: 'troupe',
      async round() {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) counter.tell(incMsg());
        expected += n;
        await awaitCount(system, counter, expected);
        return { rate: rate(n, process.hrtime.bigint() - t0) };
      },
    };
  });
}

/** Main ↔ worker 0: sequential asks. */
export function troupePingVariant(k: number): Promise<TroupeVariant<Rtt>> {
  return withSystem(async (system) => {
    const counter = await system.spawn(actorUrl('counter'), { placement: { worker: 0 } });
    const opts = { timeoutMs: ASK_TIMEOUT_MS };
    return {
      id: 'troupe',
      round: () => timeRoundTrips(k, (seq) => counter.ask({ type: 'ping', seq }, opts)),
    };
  });
}

/** A source actor tells a counter n times; timed inside the source's worker. */
function actorToActor(n: number, sourceWorker: number, sinkWorker: number): Promise<TroupeVariant<Rate>> {
  return withSystem(async (system) => {
    const source = await system.spawn(actorUrl('source'), { placement: { worker: sourceWorker } });
    const sink = await system.spawn(actorUrl('counter'), {
      placement: { worker: sinkWorker },
      mailbox: { capacity: n + 1024 },
    });
    let expected = 0;
    return {
      id: 'troupe',
      async round() {
        const r = await source.ask<RunResult>({ type: 'run', n, sink } satisfies Run, { timeoutMs: ASK_TIMEOUT_MS });
        expected += n;
        if (r.count !== expected) {
          throw new Error(`sink counted ${r.count}, expected ${expected}; dead letters: ${JSON.stringify(system.deadLetters.counts())}`);
        }
        return { rate: rate(n, r.elapsedNs) };
      },
    };
  });
}

export function troupeWorkerToWorkerVariant(n: number): Promise<TroupeVariant<Rate>> {
  return actorToActor(n, 0, 1);
}

export function troupeSameWorkerVariant(n: number): Promise<TroupeVariant<Rate>> {
  return actorToActor(n, 0, 0);
}
