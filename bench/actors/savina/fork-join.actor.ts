/**
 * Savina Fork-Join (throughput and creation): each message costs `sin(37.2)²` (checked
 * positive, as in Savina). After `n` messages the actor reports how many it processed to the
 * sink and stops (creation: n = 1).
 */

import { defineActor, type ActorRef } from 'troupe';
import { FJ_THETA, fjComputation } from '../../savina/answers.js';
import type { Done } from './messages.js';

interface Args {
  n: number;
  sink: ActorRef;
}
interface State extends Args {
  seen: number;
  errors: number;
}

export default defineActor<State, unknown, Args>({
  init: (a) => ({ n: a.n, sink: a.sink, seen: 0, errors: 0 }),
  receive(s, _msg, ctx) {
    if (!(fjComputation(FJ_THETA) > 0)) s.errors++;
    if (++s.seen === s.n) {
      ctx.tell(s.sink, { t: 'done', v: s.seen, e: s.errors } satisfies Done);
      ctx.stop();
    }
    return s;
  },
});
