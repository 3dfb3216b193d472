/**
 * The sending side of the burst scenario, actor → actor: on `burst`, tells the sink n small
 * messages from inside one receive, waiting (`ctx.ready`) whenever `tell` says the sink is past
 * the high-water mark, then asks the sink for its count; replies the time that took.
 */

import { defineActor } from 'troupe';
import type { Inc, Run, RunResult } from './messages.js';

export default defineActor<undefined, Run>({
  async receive(_state, msg, ctx) {
    const { n, sink } = msg;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (!ctx.tell(sink, { type: 'inc', by: 1, id: 7 } satisfies Inc)) await ctx.ready(sink);
    }
    const count = await ctx.ask<number>(sink, { type: 'get' }, { timeoutMs: 120_000 });
    ctx.reply({ elapsedNs: Number(process.hrtime.bigint() - t0), count } satisfies RunResult);
  },
});
