/** Turning interleaved-round outcomes into report rows. */

import type { VariantOutcome } from '../lib/rounds.js';
import { summarize } from '../lib/stats.js';
import type { RoundsRow } from '../lib/types.js';

export function toRow<M>(
  outcomes: Map<string, VariantOutcome<M>>,
  id: string,
  label: string,
  role: RoundsRow['role'],
  pick: (m: M) => number,
  note?: string,
): RoundsRow {
  const out = outcomes.get(id);
  const row: RoundsRow = { id, label, role };
  if (note !== undefined) row.note = note;
  if (out === undefined) {
    row.error = 'not run';
  } else if (out.error !== undefined) {
    row.error = out.error;
  } else if (out.samples.length === 0) {
    row.error = 'no rounds measured';
  } else {
    row.value = summarize(out.samples.map(pick));
  }
  return row;
}

/** Messages per second from a count and a bigint nanosecond interval. */
export function rate(n: number, elapsedNs: bigint | number): number {
  return n / (Number(elapsedNs) / 1e9);
}
