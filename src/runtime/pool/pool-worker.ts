/**
 * The piscina worker file of pool actors (spawnPool): each message is one `poolTask`. A pool's
 * workers are its own (never a host's), so whatever a task does to its thread reaches only the
 * pool. The pool's init runs once per worker; its state is per worker, never shared.
 */
import { parentPort, threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import { TroupeError, toWireError } from '../../actors/errors.js';
import type { ActorContext, DefinedActor } from '../../actors/define.js';
import { createLogger } from '../../observability/logger.js';
import { loadActor } from '../host/modules.js';
import type { PoolProgress, PoolResult, PoolTask } from '../protocol.js';

let state: Promise<unknown> | undefined;
let log: Logger | undefined;

export async function poolTask(task: PoolTask): Promise<PoolResult> {
  try {
    if (state === undefined) progress(task, 'init');
    const def = await loadActor(task.url);
    // One pino child per worker, not one per message.
    log ??= createLogger({ level: task.logLevel }).child({ pool: task.pool, threadId });
    let reply: unknown = undefined;
    const ctx = contextFor(task, log, (v) => { reply = v; });
    const s = await initOnce(def, task, ctx);
    if (task.probe) return { ok: true, value: undefined };
    progress(task, 'handler');
    await def.receive(s, task.msg, ctx);
    return { ok: true, value: reply };
  } catch (err) {
    return { ok: false, error: toWireError(err) };
  }
}

function initOnce(def: DefinedActor, task: PoolTask, ctx: ActorContext): Promise<unknown> {
  if (state === undefined) {
    const s = (async () => {
      try {
        return def.init ? await def.init(task.args, ctx) : undefined;
      } catch (err) {
        throw new TroupeError('ERR_TROUPE_INIT_FAILED', `init of pool ${task.pool} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
    })();
    state = s;
    // A failed init is not kept: the next message on this worker tries again.
    s.catch(() => { if (state === s) state = undefined; });
  }
  return state;
}

/** Tells main where the task is, so its deadline is the right one (see PoolProgress). */
function progress(task: PoolTask, phase: PoolProgress['phase']): void {
  const note: PoolProgress = { t: 'pool-progress', seq: task.seq, phase, threadId, at: performance.timeOrigin + performance.now() };
  parentPort?.postMessage(note);
}

function contextFor(task: PoolTask, log: Logger, reply: (v: unknown) => void): ActorContext {
  return {
    get self(): never { throw new Error('a pool actor has no self: it is stateless and runs anywhere'); },
    sender: null,
    name: task.pool,
    log,
    reply,
    tell(to, msg, options) { return to.tell(msg, options); },
    ready(to) { return to.ready(); },
    ask(to, msg, options) { return to.ask(msg, options); },
    spawn() { return Promise.reject(new Error('a pool actor cannot spawn children')); },
    stop() { /* nothing to stop: each message is its own task */ },
    watch() { throw new Error('a pool actor cannot watch: it keeps nothing between messages'); },
    reportError(report) { log.error({ report }, `error event from pool ${task.pool}: ${report?.message}`); },
  };
}
