/**
 * Savina ThreadRing. A ping with `left` passes hops round the ring, each forwarding it with
 * left - 1; at 0 an exit travels once round the ring, summing the pings each actor saw, and
 * each actor stops after forwarding it. The last one tells the sink the sum (R + 1 hops).
 */

import { defineActor, type ActorRef } from 'troupe';
import type { Done } from './messages.js';

interface Args {
  actors: number;
  sink: ActorRef;
}
interface State extends Args {
  next: ActorRef | null;
  pings: number;
}
type Msg = { t: 'data'; next: ActorRef } | { t: 'ping'; left: number } | { t: 'exit'; n: number; sum: number };

export default defineActor<State, Msg, Args>({
  init: (a) => ({ actors: a.actors, sink: a.sink, next: null, pings: 0 }),
  receive(s, msg, ctx) {
    switch (msg.t) {
      case 'data':
        s.next = msg.next;
        return s;
      case 'ping':
        s.pings++;
        ctx.tell(s.next!, msg.left > 0 ? { t: 'ping', left: msg.left - 1 } : { t: 'exit', n: s.actors, sum: 0 });
        return s;
      case 'exit': {
        const sum = msg.sum + s.pings;
        if (msg.n > 1) ctx.tell(s.next!, { t: 'exit', n: msg.n - 1, sum } satisfies Msg);
        else ctx.tell(s.sink, { t: 'done', v: sum } satisfies Done);
        ctx.stop();
        return s;
      }
    }
  },
});
