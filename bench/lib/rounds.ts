/**
 * Interleaved rounds: every variant of a scenario runs once per round, in an order rotated
 * each round (A B C, B C A, C A B, ...), so slow drift of the machine (thermal, noisy
 * neighbours on a VM, GC debt) lands on all variants alike and no variant always follows the
 * same one. Warm-up rounds run the same way and are discarded.
 */

export interface Variant<M> {
  id: string;
  /** One measured round: run the workload once and return its metrics. */
  round(): Promise<M>;
  /** When set, the variant is not run and this is reported as its error (e.g. "troupe not built"). */
  unavailable?: string;
}

export interface RoundsOptions {
  warmupRounds: number;
  rounds: number;
  /** A round that takes longer fails its variant, which then sits out the remaining rounds. */
  roundTimeoutMs: number;
  /** Called before every round of every variant (a full GC, so one variant's garbage is not billed to the next). */
  beforeEach?: () => void;
  log?: (line: string) => void;
  /** Called before each round of each variant: rounds done so far (warm-up included), their total, the variant about to run. */
  onRound?: (done: number, total: number, variant: string) => void;
}

export interface VariantOutcome<M> {
  /** Metrics of the measured (non-warm-up) rounds, in run order. */
  samples: M[];
  error?: string;
}

class RoundTimeout extends Error {
  override name = 'RoundTimeout';
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RoundTimeout(`round timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export async function runInterleaved<M>(
  variants: Variant<M>[],
  opts: RoundsOptions,
): Promise<Map<string, VariantOutcome<M>>> {
  const outcomes = new Map<string, VariantOutcome<M>>();
  for (const v of variants) {
    outcomes.set(v.id, v.unavailable === undefined ? { samples: [] } : { samples: [], error: v.unavailable });
  }
  const total = opts.warmupRounds + opts.rounds;
  let done = 0;
  for (let r = 0; r < total; r++) {
    const warm = r < opts.warmupRounds;
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(r + i) % variants.length]!;
      const out = outcomes.get(v.id)!;
      if (out.error !== undefined) {
        done++;
        continue;
      }
      opts.onRound?.(done++, total * variants.length, v.id);
      opts.beforeEach?.();
      try {
        const m = await withTimeout(v.round(), opts.roundTimeoutMs);
        if (!warm) out.samples.push(m);
      } catch (err) {
        out.error = `${warm ? 'warm-up ' : ''}round ${warm ? r + 1 : r - opts.warmupRounds + 1}: ${errorText(err)}`;
        opts.log?.(`  ${v.id} failed: ${out.error}`);
      }
    }
  }
  return outcomes;
}
