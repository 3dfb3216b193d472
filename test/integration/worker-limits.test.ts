import { describe, expect, it } from 'vitest';
import type { ResourceLimits } from 'node:worker_threads';
import { createActorSystem, type ActorSystem, type SystemOptions } from 'troupe';
import { fixture, quiet } from '../helpers.js';

async function withSystem(options: SystemOptions, run: (system: ActorSystem) => Promise<void>): Promise<void> {
  const system = await createActorSystem({ logger: quiet, workers: 1, ...options });
  try {
    await run(system);
  } finally {
    await system.shutdown();
  }
}

const invalid = (text: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(text) });

describe("workers' V8 limits", () => {
  // An actor that lives through a burst should die young: a worker's young generation may grow to
  // 192 MB unless the limits given say otherwise (worker-limits.ts).
  it('a shared worker, a dedicated one and a pool thread get a young generation of 192 MB unless told otherwise', async () => {
    await withSystem({}, async (system) => {
      const shared = await system.spawn(fixture('limits.actor'));
      expect(await shared.ask<ResourceLimits>('limits')).toMatchObject({ maxYoungGenerationSizeMb: 192 });
      const dedicated = await system.spawn(fixture('limits.actor'), { placement: 'dedicated', resourceLimits: { maxOldGenerationSizeMb: 256 } });
      expect(await dedicated.ask<ResourceLimits>('limits')).toMatchObject({ maxYoungGenerationSizeMb: 192, maxOldGenerationSizeMb: 256 });
      const pool = await system.spawnPool(fixture('limits.actor'), { size: 1 });
      expect(await pool.ask<ResourceLimits>('limits')).toMatchObject({ maxYoungGenerationSizeMb: 192 });
    });
  });

  it('takes the limits given: the system\'s for its shared workers, a dedicated actor\'s, a pool\'s', async () => {
    await withSystem({ resourceLimits: { maxYoungGenerationSizeMb: 48, maxOldGenerationSizeMb: 512 } }, async (system) => {
      const shared = await system.spawn(fixture('limits.actor'));
      expect(await shared.ask<ResourceLimits>('limits')).toMatchObject({ maxYoungGenerationSizeMb: 48, maxOldGenerationSizeMb: 512 });
      const dedicated = await system.spawn(fixture('limits.actor'), { placement: 'dedicated', resourceLimits: { maxYoungGenerationSizeMb: 96 } });
      expect(await dedicated.ask<ResourceLimits>('limits')).toMatchObject({ maxYoungGenerationSizeMb: 96 });
      const pool = await system.spawnPool(fixture('limits.actor'), { size: 1, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      expect(await pool.ask<ResourceLimits>('limits')).toMatchObject({ maxYoungGenerationSizeMb: 64 });
    });
  });

  it('refuses bad limits with ERR_TROUPE_INVALID_ARGUMENT naming them', async () => {
    await expect(createActorSystem({ logger: quiet, workers: 1, resourceLimits: { maxYoungGenerationSizeMB: 64 } as never }))
      .rejects.toMatchObject(invalid('resourceLimits.maxYoungGenerationSizeMB is not an option of resourceLimits (did you mean resourceLimits.maxYoungGenerationSizeMb?)'));
    await expect(createActorSystem({ logger: quiet, workers: 1, resourceLimits: { maxOldGenerationSizeMb: -1 } }))
      .rejects.toMatchObject(invalid('resourceLimits.maxOldGenerationSizeMb must be a positive number of MB'));
    await expect(createActorSystem({ logger: quiet, workers: 1, resourceLimits: 64 as never })).rejects.toMatchObject(invalid('resourceLimits must be an object'));
    await withSystem({}, async (system) => {
      await expect(system.spawnPool(fixture('limits.actor'), { resourceLimits: { stackSizeMb: 'big' as never } }))
        .rejects.toMatchObject(invalid('resourceLimits.stackSizeMb must be a positive number of MB'));
    });
  });
});
