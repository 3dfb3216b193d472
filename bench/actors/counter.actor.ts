/**
 * The counter every throughput scenario sends to: `inc` adds `by`, `get` replies the count,
 * `ping` replies its `seq` (the ping-pong scenario). Does per message what the raw postMessage
 * baseline's worker does.
 */

import { defineActor } from 'troupe';
import type { CounterMsg } from './messages.js';

export default defineActor<{ n: number }, CounterMsg>({
  init: () => ({ n: 0 }),
  receive(state, msg, ctx) {
    switch (msg.type) {
      case 'inc':
        state.n += msg.by;
        return state;
      case 'get':
        ctx.reply(state.n);
        return state;
      case 'ping':
        ctx.reply(msg.seq);
        return state;
    }
  },
});
