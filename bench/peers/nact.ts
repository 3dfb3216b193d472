/**
 * nact (in-process actors, https://nact.io) as an ActorLib: `spawn(parent, (state, msg, ctx) =>
 * state, name, { initialStateFunc })`, `dispatch(ref, msg)`, `stop(ref)`.
 * Every actor is given a name: nact's anonymous names are `Math.random() * 2^53 | 0`, which
 * collide often among 40 000 siblings (Fork-Join creation then throws "already exists").
 */

import nact from 'nact';
import type { ActorLib, Behavior, PCtx, Ref } from './portable.js';

type NactRef = Parameters<typeof nact.dispatch>[0];

export function nactLib(): ActorLib {
  const system = nact.start();
  let names = 0;
  const spawnIn = <A>(parent: NactRef, behavior: Behavior<any, A>, args: A): Ref => {
    const ctx: PCtx = {
      self: null as unknown as Ref,
      tell: (to, msg) => nact.dispatch(to as unknown as NactRef, msg),
      spawn: (b, a, then) => then(spawnIn(ctx.self as unknown as NactRef, b, a)),
      stop: () => nact.stop(ctx.self as unknown as NactRef),
    };
    const ref = nact.spawn(parent as any, (state: unknown, msg: any) => {
      try {
        return behavior.receive(state, msg, ctx);
      } catch (err) {
        lib.onFailure?.(err);
        return state;
      }
    }, `${behavior.name}-${names++}`, {
      initialStateFunc: () => behavior.init(args),
    });
    (ctx as { self: Ref }).self = ref as unknown as Ref;
    return ref as unknown as Ref;
  };
  const lib: ActorLib = {
    spawn: async (behavior, args) => spawnIn(system as unknown as NactRef, behavior, args),
    tell: (to, msg) => nact.dispatch(to as unknown as NactRef, msg),
    close: async () => nact.stop(system),
  };
  return lib;
}
