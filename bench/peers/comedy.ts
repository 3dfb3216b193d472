/**
 * comedy (https://github.com/untu/comedy) in-memory actors as an ActorLib: an actor is a
 * definition object with `initialize(selfActor)` and one handler per topic (here: `m`);
 * `createChild(definition, { mode: 'in-memory' })` (a promise), `ref.send('m', msg)`,
 * `selfActor.destroy()`. comedy has no mailbox: each send is handled in its own promise job.
 */

import { createRequire } from 'node:module';
import type { ActorLib, Behavior, Msg, PCtx, Ref } from './portable.js';

interface ComedyActor {
  send(topic: string, ...msg: unknown[]): Promise<unknown>;
  createChild(def: object, options: object): Promise<ComedyActor>;
  destroy(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function comedyLib(): Promise<ActorLib> {
  const actors = require('comedy') as (options: object) => { rootActor(): Promise<ComedyActor>; destroy(): Promise<void> };
  const system = actors({ loggerConfig: { categories: { default: 'Error' } }, test: true });
  const root = await system.rootActor();
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    lib.onFailure?.(err);
  };
  const tell = (to: Ref, msg: Msg) => {
    (to as unknown as ComedyActor).send('m', msg).catch(fail);
  };
  const OPTIONS = { mode: 'in-memory' };
  const spawnIn = <A>(parent: ComedyActor, behavior: Behavior<any, A>, args: A): Promise<ComedyActor> => {
    let s: unknown;
    let self: ComedyActor;
    const ctx: PCtx = {
      get self() {
        return self as unknown as Ref;
      },
      tell,
      spawn: (b, a, then) => {
        spawnIn(self, b, a).then((c) => then(c as unknown as Ref), fail);
      },
      stop: () => {
        queueMicrotask(() => void self.destroy().catch(fail));
      },
    };
    return parent.createChild(
      {
        initialize(selfActor: ComedyActor) {
          self = selfActor;
          s = behavior.init(args);
        },
        m(msg: Msg) {
          try {
            s = behavior.receive(s, msg, ctx);
          } catch (err) {
            fail(err);
          }
        },
      },
      OPTIONS,
    );
  };
  const lib: ActorLib = {
    spawn: async (behavior, args) => {
      if (failure !== undefined) throw failure;
      return (await spawnIn(root, behavior, args)) as unknown as Ref;
    },
    tell,
    close: () => system.destroy(),
  };
  return lib;
}
