// counter.actor.ts
import { defineActor } from 'troupe';

type CounterMsg = { type: 'inc'; by: number } | { type: 'get' };

export default defineActor({
  init: (args: { start: number }) => ({ n: args.start }), // the initial state
  receive(state, msg: CounterMsg, ctx) {                   // may be async; one message at a time
    if (msg.type === 'inc') state.n += msg.by;
    else ctx.reply(state.n);                               // answers an ask
    return state;                                          // the new state (undefined keeps it)
  },
});
