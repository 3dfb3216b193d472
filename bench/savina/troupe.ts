/**
 * troupe's side of the Savina suite, through the public API only. One actor system for a whole
 * benchmark (started before its rounds, shut down after them): a driver actor on worker 0 and a
 * spawner on every other worker. Two variants share it:
 * - `troupe-1w`: every actor on the driver's worker (mail between them never leaves the thread);
 * - `troupe-spread`: actors dealt round-robin over all workers (mail crosses the ring mesh).
 * The time is taken inside the driver's worker, from before the actors are created until the
 * last one reports (bench/actors/savina/driver.actor.ts).
 */

import os from 'node:os';
import type { ActorRef, ActorSystem } from 'troupe';
import type { RunBench, RunReply } from '../actors/savina/messages.js';
import type { Variant } from '../lib/rounds.js';
import { assertAnswer, type CheckedName } from './answers.js';
import type { SavinaParams } from './params.js';

export interface Timed {
  ms: number;
}

export interface TroupeSavina {
  variants: Variant<Timed>[];
  /** Dead letters, leftover actors or a slow shutdown, seen when closing. */
  readonly note: string | undefined;
  close(): Promise<void>;
}

const ASK = { timeoutMs: 600_000 };
const actorUrl = (name: string) => new URL(`../actors/savina/${name}.actor.js`, import.meta.url);

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export const TROUPE_IDS = { oneWorker: 'troupe-1w', spread: 'troupe-spread' } as const;

export async function troupeSavina<K extends CheckedName>(name: K, params: SavinaParams[K], workers = os.availableParallelism()): Promise<TroupeSavina> {
  const unavailable = (why: string): TroupeSavina => ({
    variants: [TROUPE_IDS.oneWorker, TROUPE_IDS.spread].map((id) => ({ id, unavailable: why, round: () => Promise.reject(new Error(why)) })),
    note: undefined,
    close: async () => {},
  });
  let system: ActorSystem;
  try {
    const troupe = await import('troupe');
    system = await troupe.createActorSystem({ name: `savina-${name}`, workers, logger: { level: 'warn' } });
  } catch (err) {
    return unavailable(`troupe could not start (is dist/ built?): ${describe(err)}`);
  }
  let driver: ActorRef;
  const helpers: ActorRef[] = [];
  try {
    driver = await system.spawn(actorUrl('driver'), { placement: { worker: 0 } });
    for (let k = 1; k < workers; k++) helpers.push(await system.spawn(actorUrl('spawner'), { placement: { worker: k } }));
  } catch (err) {
    await system.shutdown({ timeoutMs: 2000 }).catch(() => {});
    return unavailable(`setup failed: ${describe(err)}`);
  }
  const round = (spread: boolean) => async (): Promise<Timed> => {
    const msg: RunBench = { t: 'run', bench: name, params, helpers: spread ? helpers : [] };
    const reply = await driver.ask<RunReply>(msg, ASK);
    assertAnswer(name, params, reply.result);
    return { ms: reply.elapsedNs / 1e6 };
  };
  let note: string | undefined;
  let closing: Promise<void> | undefined;
  const close = async () => {
    const notes: string[] = [];
    const dead = system.deadLetters.count;
    if (dead > 0) notes.push(`${dead} dead letters: ${JSON.stringify(system.deadLetters.counts())}`);
    const t0 = performance.now();
    try {
      await system.shutdown({ timeoutMs: 10_000 });
    } catch (err) {
      notes.push(`shutdown failed: ${describe(err)}`);
    }
    const ms = performance.now() - t0;
    if (ms > 2000) notes.push(`shutdown took ${ms.toFixed(0)} ms`);
    if (notes.length > 0) note = notes.join('; ');
  };
  const spreadVariant: Variant<Timed> =
    workers > 1
      ? { id: TROUPE_IDS.spread, round: round(true) }
      : { id: TROUPE_IDS.spread, unavailable: 'one worker on this machine: nothing to spread over', round: () => Promise.reject(new Error('n/a')) };
  return {
    variants: [{ id: TROUPE_IDS.oneWorker, round: round(false) }, spreadVariant],
    get note() {
      return note;
    },
    close: () => (closing ??= close()),
  };
}
