/**
 * reporter — builds sales reports on a worker of its own, with a small heap (`resourceLimits`).
 * A report over "all history" does not fit: the worker runs out of memory and dies. troupe
 * replaces the worker and restarts the reporter under the same ref; mail sent meanwhile waits.
 */
import { defineActor } from 'troupe';

type Msg = { type: 'report'; orders: number };

export default defineActor<{ built: number }, Msg>({
  init: () => ({ built: 0 }),
  receive(state, msg, ctx) {
    const rows: number[][] = [];
    for (let i = 0; i < msg.orders; i++) rows.push(new Array(64).fill(i));
    state.built++;
    ctx.reply(`report over ${msg.orders} orders: ${rows.length} rows (report #${state.built} of this incarnation)`);
    return state;
  },
});
