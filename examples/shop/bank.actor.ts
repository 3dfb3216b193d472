/**
 * bank — a dependency that goes down for a while. While the shared `down` flag is set, every
 * request fails with a connection error (restarted by its supervisor); the circuit breaker
 * around it opens after three failures, and closes again once a probe succeeds.
 */
import { defineActor, tagError } from 'troupe';

export default defineActor<{ down: Int32Array }, { type: 'authorize'; amount: number }, { down: SharedArrayBuffer }>({
  init: (args) => ({ down: new Int32Array(args.down) }),
  receive(state, msg, ctx) {
    if (Atomics.load(state.down, 0) === 1) {
      throw tagError(new Error('bank gateway refused the connection'), { category: 'connection' });
    }
    ctx.reply(`authorized $${msg.amount}`);
    return state;
  },
});
