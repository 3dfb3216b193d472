/**
 * The --actor suite's troupe side, through the public API only: one 2-worker system for the
 * whole suite, the user's actor on worker 0 twice, each with a driver actor (driver.actor.ts):
 * - `troupe-same`: the driver on worker 0 too (mail between them never leaves the thread);
 * - `troupe-across`: the driver on worker 1 (mail crosses the ring mesh).
 * A round is one command to a driver; it fails when a handler threw or a message was
 * dead-lettered, and a pair that failed sits out the scenarios after it (its actors may be gone:
 * restarted with a fresh state, or stopped by their supervisor).
 */

import type { ActorRef, SupervisionEvent } from 'troupe';
import { BenchInputError, type UserActor } from './module.js';
import type { DriverCommand, RoundResult, Scenario } from './wire.js';

/** The troupe variants' ids, by where the driver runs. */
export const TROUPE_IDS = { same: 'troupe-same', across: 'troupe-across' } as const;
/** The driver on the user's actor's worker ('same') or on the other one ('across'). */
export type Placement = keyof typeof TROUPE_IDS;

export interface TroupeSide {
  /** Runs one round of `s` from the driver on the target's worker ('same') or on the other one ('across'). */
  round(where: Placement, s: Scenario): Promise<RoundResult>;
  /** Dead letters or a slow shutdown, seen when closing. */
  readonly note: string | undefined;
  /** Shuts the system down; idempotent. */
  close(): Promise<void>;
}

/** Generous: a round is bounded by the runner's own timeout; asks must not time out first. */
const ASK = { timeoutMs: 600_000 };
/** How long the first answer to benchAsk may take before the suite says the actor does not answer. */
const FIRST_ANSWER_MS = 5_000;
const DRIVER = new URL('./driver.actor.js', import.meta.url);

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts the system and the actors, and checks that the user's actor answers benchAsk. */
export async function startTroupe(actor: UserActor): Promise<TroupeSide> {
  const { createActorSystem } = await import('troupe');
  // Silent: a failing handler is reported in its row (below), not as a screenful of JSON log lines.
  const system = await createActorSystem({ name: 'bench-actor', workers: 2, logger: { level: 'silent' } });
  const failures: Extract<SupervisionEvent, { type: 'failure' }>[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'failure') failures.push(e);
  });
  const pairs = {} as Record<Placement, { driver: ActorRef; target: ActorRef }>;
  try {
    for (const [where, worker] of [['same', 0], ['across', 1]] as const) {
      let target: ActorRef;
      try {
        target = await system.spawn(actor.url, { placement: { worker: 0 }, args: actor.args });
      } catch (err) {
        throw new BenchInputError(`--actor ${actor.file}: spawning it failed: ${describe(err)}`);
      }
      try {
        await target.ask(actor.messages.ask(0), { timeoutMs: FIRST_ANSWER_MS });
      } catch (err) {
        const why = (err as { code?: string }).code === 'ERR_TROUPE_ASK_TIMEOUT'
          ? `no answer to benchAsk within ${FIRST_ANSWER_MS / 1000} s: the actor must ctx.reply() to it`
          : `asking it benchAsk failed: ${describe(err)}`;
        throw new BenchInputError(`--actor ${actor.file}: ${why}`);
      }
      const driver = await system.spawn(DRIVER, { placement: { worker }, args: { module: actor.url.href } });
      pairs[where] = { driver, target };
    }
  } catch (err) {
    await system.shutdown({ timeoutMs: 2000 }).catch(() => {});
    throw err;
  }
  const troubles = async () => {
    const s = await system.stats();
    return { failed: s.failed, dead: s.deadLettered, events: failures.length };
  };
  /** Why each pair no longer runs, once a round of it failed. */
  const broken: Partial<Record<Placement, string>> = {};
  let note: string | undefined;
  let closing: Promise<void> | undefined;
  const close = async () => {
    const notes: string[] = [];
    const dead = system.deadLetters.count;
    if (dead > 0) notes.push(`${dead} dead letters during the run: ${JSON.stringify(system.deadLetters.counts())}`);
    const t0 = performance.now();
    try {
      await system.shutdown({ timeoutMs: 5000 });
    } catch (err) {
      notes.push(`shutdown failed: ${describe(err)}`);
    }
    const ms = performance.now() - t0;
    if (ms > 1000) notes.push(`shutdown took ${ms.toFixed(0)} ms`);
    if (notes.length > 0) note = notes.join('; ');
  };
  return {
    async round(where, s) {
      const gone = broken[where];
      if (gone !== undefined) throw new Error(`not run after an earlier round failed: ${gone}`);
      const { driver, target } = pairs[where];
      const before = await troubles();
      let result: RoundResult | undefined;
      let error: unknown;
      try {
        result = await driver.ask<RoundResult>({ ...s, target } satisfies DriverCommand, ASK);
      } catch (err) {
        error = err;
      }
      const after = await troubles();
      // The failure events say what was thrown, when they are here already (the counts come first).
      const first = failures[before.events];
      let why: string | undefined;
      if (after.failed > before.failed || first !== undefined) {
        why = `a handler threw ${Math.max(1, after.failed - before.failed)} times${first !== undefined ? ` (first ${first.actor}: ${first.error.message})` : ''}`;
      } else if (after.dead > before.dead) {
        why = `${after.dead - before.dead} messages were dead-lettered: ${JSON.stringify(system.deadLetters.counts())}`;
      } else if (error !== undefined) {
        why = describe(error);
      }
      if (why !== undefined) {
        broken[where] = why;
        throw new Error(why);
      }
      return result!;
    },
    get note() {
      return note;
    },
    close: () => (closing ??= close()),
  };
}
