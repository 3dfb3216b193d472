/**
 * Starts actors on its own worker for a driver on another one (`ctx.spawn` only places children
 * on the caller's worker): replies the refs, in the order of `args`. The children are its own;
 * every benchmark's actors stop themselves when their run ends.
 */

import { defineActor, type ActorRef } from 'troupe';
import type { SpawnMany } from './messages.js';

export default defineActor<undefined, SpawnMany>({
  async receive(_state, msg, ctx) {
    const mailbox = msg.capacity === undefined ? undefined : { capacity: msg.capacity };
    const refs: ActorRef[] = await Promise.all(msg.args.map((args) => ctx.spawn(msg.url, { args, mailbox })));
    ctx.reply(refs);
  },
});
