/**
 * What the runner knows about a scenario. Core scenarios live in bench/core/, and a later
 * Savina suite (bench/savina/) plugs in the same way: export a Suite, list it in run.ts.
 */

import type { SuiteResult } from '../lib/types.js';
import { runInterleaved, type Variant, type VariantOutcome } from '../lib/rounds.js';

export interface SuiteContext {
  /** --quick: fewer rounds, smaller workloads; for checking the harness, not for quoting. */
  quick: boolean;
  warmupRounds: number;
  rounds: number;
  /** A full GC of the main thread's heap (no-op if it cannot be exposed). */
  gc(): void;
  log(line: string): void;
  /** --peers: the peer ids to run (troupe always runs), or null for all. */
  peers: string[] | null;
  /** Progress of the current suite's rounds (drawn as a bar on a terminal). */
  onRound?: (done: number, total: number, variant: string) => void;
}

export interface Suite {
  /** Short, stable, kebab-case; what --only matches against. */
  name: string;
  title: string;
  /** What this machine lacks to run the suite (a tool not installed), as a line saying how to add it; null when nothing. */
  missing?(): string | null;
  run(ctx: SuiteContext): Promise<Omit<SuiteResult, 'name' | 'title' | 'durationMs'>>;
}

/** The small message of every throughput scenario, troupe and baselines alike. */
export function incMsg(): { type: 'inc'; by: number; id: number } {
  return { type: 'inc', by: 1, id: 7 };
}

/**
 * Runs a scenario's variants in interleaved rounds with the harness's standard settings, then
 * closes troupe's side (closing fills in its note, which the rows show).
 */
export async function measure<M>(ctx: SuiteContext, variants: Variant<M>[], troupe: { close(): Promise<void> }): Promise<Map<string, VariantOutcome<M>>> {
  const outcomes = await runInterleaved(variants, {
    warmupRounds: ctx.warmupRounds,
    rounds: ctx.rounds,
    roundTimeoutMs: 30_000,
    beforeEach: ctx.gc,
    log: ctx.log,
    onRound: ctx.onRound,
  });
  await troupe.close();
  return outcomes;
}
