/**
 * Savina Chameneos. Chameneos ask the mall to meet; the mall pairs each waiting one with the
 * next (forwarding the meet), until `meetings` meetings happened; then it answers every meet
 * with exit, and each chameneo reports its meeting count. The mall sums them (2 per meeting).
 */

import { defineActor, type ActorRef } from 'troupe';
import { complement } from '../../savina/answers.js';
import { releaseLatch } from './latch.js';

type Args = { role: 'mall'; meetings: number; chameneos: number; latch: number } | { role: 'chameneo'; color: number; mall: ActorRef };
type Msg =
  | { t: 'start' }
  | { t: 'meet'; color: number; from: ActorRef }
  | { t: 'change'; color: number }
  | { t: 'exit' }
  | { t: 'count'; meetings: number };
interface MallState { role: 'mall'; left: number; chameneos: number; latch: number; waiting: Msg | null; faded: number; sum: number }
interface ChameneoState { role: 'chameneo'; color: number; mall: ActorRef; meetings: number }

const EXIT: Msg = { t: 'exit' };

export default defineActor<MallState | ChameneoState, Msg, Args>({
  init: (a) =>
    a.role === 'mall'
      ? { role: 'mall', left: a.meetings, chameneos: a.chameneos, latch: a.latch, waiting: null, faded: 0, sum: 0 }
      : { role: 'chameneo', color: a.color, mall: a.mall, meetings: 0 },
  receive(s, msg, ctx) {
    if (s.role === 'mall') {
      if (msg.t === 'meet') {
        if (s.left > 0) {
          if (s.waiting === null) s.waiting = msg;
          else {
            s.left--;
            ctx.tell((s.waiting as { from: ActorRef }).from, msg);
            s.waiting = null;
          }
        } else ctx.tell(msg.from, EXIT);
      } else if (msg.t === 'count') {
        s.sum += msg.meetings;
        if (++s.faded === s.chameneos) {
          releaseLatch(s.latch, { answer: s.sum });
          ctx.stop();
        }
      }
      return s;
    }
    switch (msg.t) {
      case 'start':
        ctx.tell(s.mall, { t: 'meet', color: s.color, from: ctx.self } satisfies Msg);
        return s;
      case 'meet':
        s.color = complement(s.color, msg.color);
        s.meetings++;
        ctx.tell(msg.from, { t: 'change', color: s.color } satisfies Msg);
        ctx.tell(s.mall, { t: 'meet', color: s.color, from: ctx.self } satisfies Msg);
        return s;
      case 'change':
        s.color = msg.color;
        s.meetings++;
        ctx.tell(s.mall, { t: 'meet', color: s.color, from: ctx.self } satisfies Msg);
        return s;
      case 'exit':
        ctx.tell(s.mall, { t: 'count', meetings: s.meetings } satisfies Msg);
        ctx.stop();
        return s;
    }
    return s;
  },
});
