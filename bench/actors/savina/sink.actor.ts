/**
 * Collects `expect` Done messages, sums them, and releases the driver's latch with the total;
 * then stops. The end of most benchmarks (Fork-Join, ThreadRing, Fibonacci, Skynet). Runs on
 * the driver's worker.
 */

import { defineActor } from 'troupe';
import { releaseLatch } from './latch.js';
import type { Done } from './messages.js';

interface Args {
  latch: number;
  expect: number;
}
interface State extends Args {
  got: number;
  sum: number;
  errors: number;
}

export default defineActor<State, Done, Args>({
  init: (a) => ({ latch: a.latch, expect: a.expect, got: 0, sum: 0, errors: 0 }),
  receive(s, msg, ctx) {
    s.sum += msg.v;
    s.errors += msg.e ?? 0;
    if (++s.got === s.expect) {
      releaseLatch(s.latch, { answer: s.sum, errors: s.errors });
      ctx.stop();
    }
    return s;
  },
});
