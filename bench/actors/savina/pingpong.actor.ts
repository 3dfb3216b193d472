/**
 * Savina PingPong. Ping sends Pong a ping; Pong answers (to the sender, `ctx.reply`); on each
 * pong, Ping sends itself a ping while pings are left, else stops Pong and ends the run.
 * Exactly one message in flight.
 */

import { defineActor, type ActorRef } from 'troupe';
import { releaseLatch } from './latch.js';

type Args = { role: 'ping'; n: number; pong: ActorRef; latch: number } | { role: 'pong' };
type Msg = { t: 'start' } | { t: 'ping' } | { t: 'send-ping' } | { t: 'pong' } | { t: 'stop' };
interface PingState { role: 'ping'; left: number; pongs: number; pong: ActorRef; latch: number }
interface PongState { role: 'pong'; pings: number }

const SEND_PING: Msg = { t: 'send-ping' };
const PING: Msg = { t: 'ping' };
const PONG: Msg = { t: 'pong' };
const STOP: Msg = { t: 'stop' };

export default defineActor<PingState | PongState, Msg, Args>({
  init: (a) => (a.role === 'ping' ? { role: 'ping', left: a.n, pongs: 0, pong: a.pong, latch: a.latch } : { role: 'pong', pings: 0 }),
  receive(s, msg, ctx) {
    if (s.role === 'pong') {
      if (msg.t === 'send-ping') {
        ctx.reply(PONG);
        s.pings++;
      } else if (msg.t === 'stop') ctx.stop();
      return s;
    }
    switch (msg.t) {
      case 'start':
      case 'ping':
        ctx.tell(s.pong, SEND_PING);
        s.left--;
        return s;
      case 'pong':
        s.pongs++;
        if (s.left > 0) ctx.tell(ctx.self, PING);
        else {
          ctx.tell(s.pong, STOP);
          releaseLatch(s.latch, { answer: s.pongs });
          ctx.stop();
        }
        return s;
    }
    return s;
  },
});
