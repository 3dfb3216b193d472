/**
 * Savina Counting. The producer, on start, tells the counter N increments (the same message
 * object, as in Savina), then asks it to retrieve; the counter replies its count and stops.
 */

import { defineActor, type ActorRef } from 'troupe';
import { releaseLatch } from './latch.js';

type Args = { role: 'producer'; n: number; counter: ActorRef; latch: number } | { role: 'counter' };
type Msg = { t: 'start' } | { t: 'inc' } | { t: 'retrieve' } | { t: 'result'; count: number };
interface ProducerState { role: 'producer'; n: number; counter: ActorRef; latch: number }
interface CounterState { role: 'counter'; count: number }

const INC: Msg = { t: 'inc' };
const RETRIEVE: Msg = { t: 'retrieve' };

export default defineActor<ProducerState | CounterState, Msg, Args>({
  init: (a) => (a.role === 'producer' ? { role: 'producer', n: a.n, counter: a.counter, latch: a.latch } : { role: 'counter', count: 0 }),
  receive(s, msg, ctx) {
    if (s.role === 'counter') {
      if (msg.t === 'inc') s.count++;
      else if (msg.t === 'retrieve') {
        ctx.reply({ t: 'result', count: s.count } satisfies Msg);
        ctx.stop();
      }
      return s;
    }
    if (msg.t === 'start') {
      const { counter, n } = s;
      for (let i = 0; i < n; i++) ctx.tell(counter, INC);
      ctx.tell(counter, RETRIEVE);
    } else if (msg.t === 'result') {
      releaseLatch(s.latch, { answer: msg.count });
      ctx.stop();
    }
    return s;
  },
});
