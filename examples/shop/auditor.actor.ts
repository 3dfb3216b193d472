/**
 * auditor — an agent that fails now and then: every third audit throws a processing error.
 * Its supervisor (the system) restarts it after a short backoff; the count of audits lives in
 * shared memory handed over in its args, so it survives restarts.
 */
import { defineActor } from 'troupe';

export default defineActor<{ seen: Int32Array }, { type: 'audit'; order: number }, { seen: SharedArrayBuffer }>({
  init: (args) => ({ seen: new Int32Array(args.seen) }),
  receive(state, msg, ctx) {
    const n = Atomics.add(state.seen, 0, 1) + 1;
    if (n % 3 === 0) throw new Error(`audit #${n} of order ${msg.order} hit a corrupt ledger page`);
    ctx.reply(`audit #${n} ok`);
    return state;
  },
});
