/**
 * customer — where every order ends up, confirmed or rejected (worker 1). main asks it for
 * the outcomes so far.
 */
import { defineActor } from 'troupe';
import { step, type CustomerMsg, type Outcome } from './messages.js';

export default defineActor({
  init: () => ({ outcomes: [] as Outcome[] }),

  receive(state, msg: CustomerMsg, ctx) {
    switch (msg.type) {
      case 'outcomes':
        ctx.reply(state.outcomes);
        break;
      case 'confirmed':
        state.outcomes.push({ status: 'confirmed', order: step(msg.order, 'customer', 'got the confirmation') });
        break;
      case 'rejected':
        state.outcomes.push({
          status: 'rejected',
          reason: msg.reason,
          order: step(msg.order, 'customer', 'got the rejection'),
        });
        break;
    }
    return state;
  },
});
