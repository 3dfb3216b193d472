/**
 * The sending side of the actor → actor scenarios (same worker, and worker → worker): on `run`,
 * tells the sink n small messages from inside this one receive, then asks the sink for its
 * count (a sender's messages arrive in order, so the count comes back only after all n were
 * counted), and replies the time that took, measured in this worker.
 */

import { defineActor } from 'troupe';
import type { Inc, Run, RunResult } from './messages.js';

export default defineActor<undefined, Run>({
  async receive(_state, msg, ctx) {
    const { n, sink } = msg;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) ctx.tell(sink, { type: 'inc', by: 1, id: 7 } satisfies Inc);
    const count = await ctx.ask<number>(sink, { type: 'get' }, { timeoutMs: 60_000 });
    const elapsedNs = Number(process.hrtime.bigint() - t0);
    ctx.reply({ elapsedNs, count } satisfies RunResult);
  },
});
