/**
 * Savina Fibonacci, an actor per call: on a request for n ≤ 2 answer 1; otherwise spawn two
 * children for n - 1 and n - 2, sum their answers, answer the parent, stop.
 */

import { defineActor, type ActorRef } from 'troupe';
import type { Done } from './messages.js';

interface Args {
  parent: ActorRef;
}
interface State extends Args {
  got: number;
  sum: number;
}
type Msg = { t: 'req'; n: number } | Done;

const SELF = new URL(import.meta.url);

export default defineActor<State, Msg, Args>({
  init: (a) => ({ parent: a.parent, got: 0, sum: 0 }),
  receive(s, msg, ctx) {
    if (msg.t === 'req') {
      if (msg.n <= 2) {
        ctx.tell(s.parent, { t: 'done', v: 1 } satisfies Done);
        ctx.stop();
        return s;
      }
      const args = { parent: ctx.self };
      for (const n of [msg.n - 1, msg.n - 2]) {
        void ctx.spawn(SELF, { args }).then((child) => ctx.tell(child, { t: 'req', n } satisfies Msg));
      }
      return s;
    }
    s.sum += msg.v;
    if (++s.got === 2) {
      ctx.tell(s.parent, { t: 'done', v: s.sum } satisfies Done);
      ctx.stop();
    }
    return s;
  },
});
