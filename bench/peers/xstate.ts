/**
 * xstate v5 actors as an ActorLib: each behaviour is a `fromTransition` logic; children are
 * `createActor(logic, { parent, input })` (they share the parent's actor system, as spawned
 * children do); sending is `ref.send(event)`; an actor stops itself with `self.stop()`, deferred
 * until its transition is over (`actorScope.defer`).
 */

import { createActor, fromTransition, type AnyActorRef } from 'xstate';
import type { ActorLib, Behavior, Msg, PCtx, Ref } from './portable.js';

interface Cell {
  s: unknown;
  ctx: PCtx;
  stopping: boolean;
  self: AnyActorRef | undefined;
}

export function xstateLib(): ActorLib {
  const logics = new Map<Behavior<any, any>, ReturnType<typeof fromTransition<Cell, Msg, any, any, any>>>();
  const roots: AnyActorRef[] = [];
  const spawnIn = <A>(parent: AnyActorRef | undefined, behavior: Behavior<any, A>, args: A): AnyActorRef => {
    let logic = logics.get(behavior);
    if (logic === undefined) {
      logic = fromTransition<Cell, Msg, any, any, any>(
        (cell, event, scope) => {
          // xstate hands the initial-state function no `self`: take it from the first transition.
          if (cell.self === undefined) cell.self = scope.self;
          // Children created with `parent` report their own lifecycle to it (xstate.* events): not benchmark mail.
          if (event.type.startsWith('xstate.')) return cell;
          try {
            cell.s = behavior.receive(cell.s, event, cell.ctx);
          } catch (err) {
            lib.onFailure?.(err);
          }
          if (cell.stopping) scope.defer(() => scope.self.stop());
          return cell;
        },
        ({ input }) => {
          const cell: Cell = { s: behavior.init(input), ctx: null as unknown as PCtx, stopping: false, self: undefined };
          cell.ctx = {
            get self() {
              return cell.self as unknown as Ref;
            },
            tell: (to, msg) => (to as unknown as AnyActorRef).send(msg),
            spawn: (b, a, then) => then(spawnIn(cell.self, b, a) as unknown as Ref),
            stop: () => {
              cell.stopping = true;
            },
          };
          return cell;
        },
      );
      logics.set(behavior, logic);
    }
    const actor = createActor(logic, parent === undefined ? { input: args } : { input: args, parent });
    actor.start();
    return actor;
  };
  const lib: ActorLib = {
    async spawn(behavior, args) {
      const a = spawnIn(undefined, behavior, args);
      roots.push(a);
      return a as unknown as Ref;
    },
    tell: (to, msg) => (to as unknown as AnyActorRef).send(msg),
    async close() {
      for (const r of roots.splice(0)) r.stop();
    },
  };
  return lib;
}
