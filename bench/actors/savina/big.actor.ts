/**
 * Savina Big. Each actor (PseudoRandom seeded with its id) pings a random neighbour and waits
 * for that neighbour's pong before the next ping; after N pings it tells the sink. The sink,
 * after every actor reported, tells them all to exit. A pong from anyone but the actor just
 * pinged is a protocol error (Savina prints "ERROR: Expected ..."); we count them.
 */

import { defineActor, type ActorRef } from 'troupe';
import { PseudoRandom } from '../../savina/random.js';
import { releaseLatch } from './latch.js';

type Args = { role: 'big'; id: number; pings: number; sink: ActorRef } | { role: 'sink'; actors: number; latch: number };
type Msg =
  | { t: 'neighbors'; refs: ActorRef[] }
  | { t: 'ping'; from: number }
  | { t: 'pong'; from: number }
  | { t: 'exit' }
  | { t: 'done'; pings: number; errors: number };
interface BigState {
  role: 'big'; id: number; pings: number; sent: number; expected: number; errors: number;
  sink: ActorRef; neighbors: ActorRef[]; random: PseudoRandom; myPing: Msg; myPong: Msg;
}
interface SinkState { role: 'sink'; actors: number; latch: number; neighbors: ActorRef[]; got: number; pings: number; errors: number }

const EXIT: Msg = { t: 'exit' };

export default defineActor<BigState | SinkState, Msg, Args>({
  init: (a) =>
    a.role === 'big'
      ? {
          role: 'big', id: a.id, pings: a.pings, sent: 0, expected: -1, errors: 0, sink: a.sink, neighbors: [],
          random: new PseudoRandom(a.id), myPing: { t: 'ping', from: a.id }, myPong: { t: 'pong', from: a.id },
        }
      : { role: 'sink', actors: a.actors, latch: a.latch, neighbors: [], got: 0, pings: 0, errors: 0 },
  receive(s, msg, ctx) {
    if (s.role === 'sink') {
      if (msg.t === 'neighbors') s.neighbors = msg.refs;
      else if (msg.t === 'done') {
        s.pings += msg.pings;
        s.errors += msg.errors;
        if (++s.got === s.actors) {
          for (const n of s.neighbors) ctx.tell(n, EXIT);
          releaseLatch(s.latch, { answer: s.pings, errors: s.errors });
          ctx.stop();
        }
      }
      return s;
    }
    switch (msg.t) {
      case 'neighbors':
        s.neighbors = msg.refs;
        return s;
      case 'ping':
        ctx.tell(s.neighbors[msg.from]!, s.myPong);
        return s;
      case 'pong': {
        if (msg.from !== s.expected) s.errors++;
        if (s.sent === s.pings) {
          ctx.tell(s.sink, { t: 'done', pings: s.sent, errors: s.errors } satisfies Msg);
        } else {
          const target = s.random.nextInt(s.neighbors.length);
          s.expected = target;
          ctx.tell(s.neighbors[target]!, s.myPing);
          s.sent++;
        }
        return s;
      }
      case 'exit':
        ctx.stop();
        return s;
    }
    return s;
  },
});
