/**
 * The piscina worker file. Each host worker runs one long-lived `host` task (it resolves when
 * the system shuts down); pool actors' messages run here as ordinary `poolTask` tasks.
 */
import { threadId } from 'node:worker_threads';
import { Host } from './host.js';
import { loadActor } from './modules.js';
import { toWireError } from '../actors/errors.js';
import { createLogger } from '../observability/logger.js';
import type { ActorContext } from '../actors/define.js';
import type { Logger } from 'pino';
import { S_POOL_RUNNING, type HostStart } from './wire.js';
import type { PoolTask, PoolResult } from './pool-wire.js';

let host: Host | null = null;

export async function hostTask({ start }: { start: HostStart }): Promise<number> {
  host = new Host(start);
  // A pending Atomics.waitAsync does not keep a thread alive; this handle does, until close.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await host.done;
  } finally {
    clearInterval(keepAlive);
    host = null;
  }
  return threadId;
}

const poolStates = new Map<string, Promise<unknown>>();
const poolLoggers = new Map<string, Logger>();

/** One pino child per pool and worker, not one per message. */
function poolLogger(task: PoolTask): Logger {
  let log = poolLoggers.get(task.pool);
  if (log === undefined) {
    log = createLogger({ level: task.logLevel }).child({ pool: task.pool, threadId });
    poolLoggers.set(task.pool, log);
  }
  return log;
}

export async function poolTask(task: PoolTask): Promise<PoolResult> {
  // The watchdog leaves this worker alone while a pool task runs (a long task is not a runaway host).
  const stats = host?.stats;
  if (stats) stats[S_POOL_RUNNING]!++;
  try {
    const def = await loadActor(task.url);
    const log = poolLogger(task);
    let reply: unknown = undefined;
    const ctx: ActorContext = {
      get self(): never { throw new Error('a pool actor has no self: it is stateless and runs anywhere'); },
      sender: null,
      name: task.pool,
      log,
      reply(v) { reply = v; },
      tell(to, msg, options) { to.tell(msg, options); },
      ask(to, msg, options) { return to.ask(msg, options); },
      spawn() { return Promise.reject(new Error('a pool actor cannot spawn children')); },
      stop() { /* nothing to stop: each message is its own task */ },
      watch() { throw new Error('a pool actor cannot watch: it keeps nothing between messages'); },
      reportError(report) { log.error({ report }, `error event from pool ${task.pool}: ${report?.message}`); },
    };
    let state = poolStates.get(task.pool);
    if (state === undefined) {
      // init runs once per worker and pool; the state is per worker, never shared.
      state = Promise.resolve(def.init ? def.init(task.args, ctx) : undefined);
      poolStates.set(task.pool, state);
    }
    const s = await state;
    if (task.probe) return { ok: true, value: undefined };
    await def.receive(s, task.msg, ctx);
    return { ok: true, value: reply };
  } catch (err) {
    return { ok: false, error: toWireError(err) };
  } finally {
    if (stats) stats[S_POOL_RUNNING]!--;
  }
}
