/**
 * Skynet (atemerev/skynet): an actor for `size` leaves spawns `div` children for size/div each,
 * down to single leaves, which answer their ordinal; each level sums its children's answers,
 * answers its parent and stops.
 */

import { defineActor, type ActorRef } from 'troupe';
import type { Done } from './messages.js';

interface Args {
  num: number;
  size: number;
  div: number;
  parent: ActorRef;
}
interface State extends Args {
  got: number;
  sum: number;
}
type Msg = { t: 'start' } | Done;

const SELF = new URL(import.meta.url);
const START: Msg = { t: 'start' };

export default defineActor<State, Msg, Args>({
  // `sum: -0`, a double from the start: the sums pass 2^31 (the answer is 499,999,500,000), and once a
  // field of a literal's map that started as a small integer holds more, V8 makes every later
  // object of that literal with the old map and moves it to the new one at its first use: about
  // 0.25 us an actor, 6-7 % of a worker's time here (Node 20: a CPU profile, and %HaveSameMap on
  // the states; scripts showed it on Node 22 and 24 too, in some cases, by how V8 compiled them).
  // The peers' port does the same (peers/portable.ts): the benchmark measures the runtimes.
  init: (a) => ({ num: a.num, size: a.size, div: a.div, parent: a.parent, got: 0, sum: -0 }),
  receive(s, msg, ctx) {
    if (msg.t === 'start') {
      if (s.size === 1) {
        ctx.tell(s.parent, { t: 'done', v: s.num } satisfies Done);
        ctx.stop();
        return s;
      }
      const size = s.size / s.div;
      for (let i = 0; i < s.div; i++) {
        const args: Args = { num: s.num + i * size, size, div: s.div, parent: ctx.self };
        void ctx.spawn(SELF, { args }).then((child) => ctx.tell(child, START));
      }
      return s;
    }
    s.sum += msg.v;
    if (++s.got === s.div) {
      ctx.tell(s.parent, { t: 'done', v: s.sum } satisfies Done);
      ctx.stop();
    }
    return s;
  },
});
