/**
 * Runs one Savina benchmark per `run`, timed inside this worker: from before the benchmark's
 * actors are created until its last actor releases the latch with the result; replies the
 * time and the result (main checks the answer). `memory` weighs idle actors on this worker.
 */

import { defineActor, type ActorRef } from 'troupe';
import { openLatch } from './latch.js';
import type { MeasureMemory, MemoryReply, RunBench, RunReply } from './messages.js';
import { IDLE_ACTOR, STARTERS } from './networks.js';
import { exposeGc, heapAndBuffers } from '../../lib/gc.js';


const SPAWN_CHUNK = 10_000;

export default defineActor<undefined, RunBench | MeasureMemory>({
  async receive(_state, msg, ctx) {
    if (msg.t === 'run') {
      const { id, done } = openLatch();
      const t0 = process.hrtime.bigint();
      await STARTERS[msg.bench](ctx, msg.params, id, msg.helpers);
      const result = await done;
      const elapsedNs = Number(process.hrtime.bigint() - t0);
      ctx.reply({ elapsedNs, result } satisfies RunReply);
      return;
    }
    const gc = exposeGc();
    gc();
    // The worker's heap and the buffers beside it (troupe's shared memory: the mailbox-depth slots).
    const before = heapAndBuffers();
    const refs: ActorRef[] = [];
    for (let i = 0; i < msg.actors; i += SPAWN_CHUNK) {
      const k = Math.min(SPAWN_CHUNK, msg.actors - i);
      refs.push(...(await Promise.all(Array.from({ length: k }, () => ctx.spawn(IDLE_ACTOR)))));
    }
    gc();
    const after = heapAndBuffers();
    for (const r of refs) ctx.stop(r);
    ctx.reply({ actors: refs.length, bytesPerActor: (after - before) / refs.length } satisfies MemoryReply);
  },
});
