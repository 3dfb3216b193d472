/**
 * One memory measurement, in a process of its own (`node --expose-gc memory-child.js <impl> <actors>`),
 * so a library that runs out of memory takes only itself down and no heap is shared with the
 * bench. Spawns `actors` idle actors, keeps them alive, and prints one JSON line:
 * `{ actors, bytesPerActor }` (growth of heapUsed + arrayBuffers after a full GC ÷ actors; troupe: in the
 * worker, its shared memory included).
 */

import { createRequire } from 'node:module';
import type { MemoryReply } from '../actors/savina/messages.js';
import { heapAndBuffers } from '../lib/gc.js';

const [impl, countText] = process.argv.slice(2);
const count = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function inProcess(spawnAll: () => Promise<unknown[]> | unknown[]): Promise<MemoryReply> {
  gc();
  const before = heapAndBuffers();
  const kept = await spawnAll();
  gc();
  const after = heapAndBuffers();
  if (kept.length !== count) throw new Error(`spawned ${kept.length}, expected ${count}`);
  return { actors: kept.length, bytesPerActor: (after - before) / kept.length };
}

async function measure(): Promise<MemoryReply> {
  switch (impl) {
    case 'troupe': {
      const { createActorSystem } = await import('troupe');
      const system = await createActorSystem({ name: 'memory', workers: 1, logger: false });
      try {
        const driver = await system.spawn(new URL('../actors/savina/driver.actor.js', import.meta.url), { placement: { worker: 0 } });
        return await driver.ask<MemoryReply>({ t: 'memory', actors: count }, { timeoutMs: 600_000 });
      } finally {
        await system.shutdown({ timeoutMs: 60_000 });
      }
    }
    // Each library is imported only in its own case: the troupe process runs without them.
    case 'nact': {
      const { default: nact } = await import('nact');
      const system = nact.start();
      let i = 0;
      return inProcess(() => Array.from({ length: count }, () => nact.spawn(system, (s: unknown) => s, `idle-${i++}`)));
    }
    case 'xstate': {
      const { createActor, fromTransition } = await import('xstate');
      const logic = fromTransition((s: null) => s, null);
      const root = createActor(logic).start();
      return inProcess(() => Array.from({ length: count }, () => createActor(logic, { parent: root }).start()));
    }
    case 'comedy': {
      const actors = createRequire(import.meta.url)('comedy') as (o: object) => { rootActor(): Promise<{ createChild(d: object, o: object): Promise<unknown> }> };
      const root = await actors({ loggerConfig: { categories: { default: 'Error' } }, test: true }).rootActor();
      return inProcess(async () => {
        const out: unknown[] = [];
        for (let i = 0; i < count; i += 1000) {
          out.push(...(await Promise.all(Array.from({ length: Math.min(1000, count - i) }, () => root.createChild({ m() {} }, { mode: 'in-memory' })))));
        }
        return out;
      });
    }
    default:
      throw new Error(`unknown implementation ${impl}`);
  }
}

measure().then(
  (r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
