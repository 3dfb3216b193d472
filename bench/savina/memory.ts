/**
 * Memory per idle actor: each implementation spawns N idle actors in a fresh process and weighs
 * the heap growth after a full GC. Rounds are processes of their own, interleaved like the others.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toRow } from '../core/outcome.js';
import type { Suite } from '../core/suite.js';
import { installed, notInstalled } from '../lib/optional.js';
import { runInterleaved, type Variant } from '../lib/rounds.js';
import type { RoundsRow } from '../lib/types.js';
import type { MemoryReply } from '../actors/savina/messages.js';
import { savinaParams } from './params.js';

const CHILD = fileURLToPath(new URL('./memory-child.js', import.meta.url));

/** comedy creates ≈28 k in-memory actors/s here (probe: 356 ms per 10 000): weigh it on fewer. */
const COMEDY_MAX = 100_000;

function child(impl: string, actors: number): Promise<MemoryReply> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--max-old-space-size=8192', CHILD, impl, String(actors)], { timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${impl}: ${stderr.trim().split('\n').slice(-3).join(' ') || err.message}`));
      try {
        const r = JSON.parse(stdout.trim().split('\n').pop()!) as MemoryReply;
        if (r.actors !== actors) throw new Error(`spawned ${r.actors} actors, expected ${actors}`);
        resolve(r);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** The peers' ids are their npm names: a peer that is not installed is skipped with a line saying how to add it. */
const IMPLS = [
  { id: 'troupe', label: 'troupe (actors on one worker; its heap and shared memory)', role: 'troupe' as const },
  { id: 'nact', label: 'nact', role: 'baseline' as const },
  { id: 'xstate', label: 'xstate', role: 'baseline' as const },
  { id: 'comedy', label: 'comedy (in-memory)', role: 'baseline' as const },
];

export const memorySuite: Suite = {
  name: 'savina-memory',
  title: 'Memory per idle actor',
  async run(ctx) {
    const n = savinaParams(ctx.quick).memory.actors;
    const impls = IMPLS.filter((i) => i.id === 'troupe' || ctx.peers === null || ctx.peers.includes(i.id));
    const counts = new Map(impls.map((i) => [i.id, i.id === 'comedy' ? Math.min(n, COMEDY_MAX) : n]));
    const variants: Variant<{ bytes: number }>[] = impls.map((i) => {
      const round = async () => ({ bytes: (await child(i.id, counts.get(i.id)!)).bytesPerActor });
      return i.id === 'troupe' || installed(i.id) ? { id: i.id, round } : { id: i.id, unavailable: `not run: ${notInstalled(i.id)}`, round };
    });
    const outcomes = await runInterleaved(variants, {
      warmupRounds: 0,
      rounds: ctx.quick ? 1 : 3,
      roundTimeoutMs: 320_000,
      log: ctx.log,
      onRound: ctx.onRound,
    });
    const rows: RoundsRow[] = impls.map((i) => {
      const row = toRow(outcomes, i.id, i.label, i.role, (m) => m.bytes);
      if (counts.get(i.id) !== n) row.note = `weighed at ${counts.get(i.id)!.toLocaleString('en-US')} actors, not ${n.toLocaleString('en-US')}: comedy creates ≈28 k actors/s here`;
      return row;
    });
    return {
      description:
        `Each implementation spawns N = ${n.toLocaleString('en-US')} idle actors in a fresh Node process (\`--expose-gc\`) ` +
        'and keeps them; bytes per actor = growth of the V8 heap and of ArrayBuffer memory (`process.memoryUsage()`: ' +
        '`heapUsed + arrayBuffers`) after a full GC ÷ N. troupe: in the worker hosting them, counting its shared memory ' +
        '(8 bytes an actor for its mailbox depth; the rings are per thread pair, not per actor).',
      params: { actors: n },
      tables: [
        { kind: 'rounds', id: 'savina-memory', title: `Bytes per idle actor at ${n.toLocaleString('en-US')} actors`, unit: 'B', better: 'lower', baselines: ['troupe'], rows, targets: [], chart: true },
      ],
    };
  },
};
