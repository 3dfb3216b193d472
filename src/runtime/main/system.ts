/**
 * The actor system: what users hold. It starts the host workers (piscina), places actors, owns
 * the ring mesh's memory, keeps names and dead letters, and shuts everything down in order —
 * all of it in Main (main.ts) and its collaborators; this facade is the public API, and the
 * transport of the refs it hands out.
 */
import type { Logger } from 'pino';
import type { Tracing } from '../../observability/tracing.js';
import { ActorRef, type AskOptions, type RefTransport, type TellOptions } from '../../actors/ref.js';
import { invalidArgument } from '../../actors/errors.js';
import type { Alerts } from '../../observability/alerts.js';
import type { ErrorEvents } from '../../observability/error-events.js';
import type { Server, ServeOptions } from '../../observability/server.js';
import type { SupervisionEvents } from '../../supervision/events.js';
import type { PoolOptions, PoolRef } from '../pool/pool.js';
import type { DeadLetters } from './dead-letters.js';
import { Main, type BridgeModule } from './main.js';
import type { ShutdownOptions, SpawnOptions, SystemHealth, SystemOptions, SystemStats } from './system-types.js';

export type { Placement, SystemOptions, SystemHealth, SpawnOptions, ShutdownOptions, SystemStats } from './system-types.js';
export { DEFAULT_TUNING } from './system-options.js';

export class ActorSystem implements RefTransport {
  readonly name: string;
  readonly log: Logger;
  readonly deadLetters: DeadLetters;
  /** Supervision events (failures, restarts, escalations, breaker transitions, dead workers). */
  readonly events: SupervisionEvents;
  /** Error events: reported by actors (ctx.reportError) and by every supervision failure. */
  readonly errors: ErrorEvents;
  /** Alerts: those firing now, their history, and a subscription (rules: the `alerts` option). */
  readonly alerts: Alerts;
  /** This node's id with NATS, '' without. */
  readonly node: string;
  /** Host worker count (not counting dedicated workers). */
  readonly workers: number;
  private readonly main: Main;

  /** @internal use createActorSystem(). Checks every option (system-options.ts) before it starts anything. */
  constructor(options: SystemOptions, bridge: BridgeModule | null = null, tracing: Tracing | null = null) {
    const main = new Main(options, bridge, this, tracing);
    this.main = main;
    this.name = main.name;
    this.log = main.log;
    this.deadLetters = main.deadLetters;
    this.events = main.events;
    this.errors = main.errors;
    this.alerts = main.alerts;
    this.node = main.node;
    this.workers = main.workers;
  }

  /** @internal starts the host workers; createActorSystem() awaits it. */
  start(): Promise<void> {
    return this.main.start();
  }

  /** Starts an actor from a module whose default export is a defineActor() result. */
  async spawn(module: URL | string, options: SpawnOptions = {}): Promise<ActorRef> {
    this.main.assertRunning();
    return this.main.spawning.spawn(module, options);
  }

  /**
   * Starts a stateless pool actor on threads of its own (up to `size`; see PoolOptions): each
   * message runs as a piscina task on a free one. Resolves once the module loaded and init ran on
   * the first thread; rejects with its error, or ERR_TROUPE_INIT_TIMEOUT after controlTimeoutMs.
   */
  async spawnPool(module: URL | string, options: PoolOptions = {}): Promise<PoolRef> {
    this.main.assertRunning();
    return this.main.spawning.spawnPool(module, options);
  }

  /** The live actor with this name (or child path, e.g. `/user/orders/audit`), if any. */
  lookup(name: string): ActorRef | undefined {
    if (typeof name !== 'string') throw invalidArgument('name', 'a string', name);
    return this.main.lookup(name);
  }

  /**
   * Like lookup, but waits (up to `timeoutMs`, default 5 000) for the name to appear: an actor
   * exposed on another node is known here a moment after it starts there.
   */
  async resolve(name: string, options: { timeoutMs?: number } = {}): Promise<ActorRef | undefined> {
    const found = this.lookup(name);
    const remote = this.main.remote;
    if (found !== undefined || remote === null) return found;
    return remote.resolve(name, options.timeoutMs ?? 5000);
  }

  /** Stops an actor (after its current message) and its children; resolves when it has stopped. */
  stop(ref: ActorRef): Promise<void> {
    return this.main.spawning.stop(ref);
  }

  /** Sends through the mesh (or, to another node, NATS); refs call it (RefTransport). */
  tell(ref: ActorRef, msg: unknown, options: TellOptions | undefined): boolean {
    return this.main.tell(ref, msg, options);
  }

  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined): Promise<unknown> {
    return this.main.ask(ref, msg, options);
  }

  /** `ref.ready()` from main: see ActorRef.ready. */
  ready(ref: ActorRef): Promise<void> {
    return this.main.ready(ref);
  }

  /** Counts over all threads, read from shared memory (no round trip to the workers). */
  async stats(): Promise<SystemStats> {
    return this.main.stats();
  }

  /** The system's health now; the rule for each status is in SystemHealth's doc. */
  health(): SystemHealth {
    return this.main.healthReport();
  }

  /**
   * Starts the observability server on main: the live dashboard at its root, `/metrics`
   * (Prometheus), `/health`, `/actors`, `/dead-letters`, `/errors`, `/alerts` (docs/observability.md).
   * Binds 127.0.0.1:9464 by default (`port: 0`: any free port); another address needs a `token`.
   * Resolves with its `url` and `close()`; shutdown() closes it too. The server's code is loaded
   * on the first call only.
   */
  async serve(options: ServeOptions = {}): Promise<Server> {
    this.main.assertRunning();
    const { serve } = await import('../../observability/server.js');
    return serve(this.main, options);
  }

  /**
   * Drains (waits until no mail is queued or in flight, up to `timeoutMs`), then stops every
   * actor, children before parents, and the workers (the pools' threads too). Mail still queued
   * (or running in a pool) then is dead-lettered (reason `actor-stopped`). Pending asks from main
   * reject with ERR_TROUPE_SYSTEM_STOPPED.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    return this.main.shutdown(options.timeoutMs ?? 10_000);
  }
}

/** Starts an actor system: its host workers are up when the promise resolves. */
export async function createActorSystem(options: SystemOptions = {}): Promise<ActorSystem> {
  // The bridge is loaded only for a system given NATS: a local one loads no NATS client.
  const nats = options !== null && typeof options === 'object' && (options.nats !== undefined || (process.env.TROUPE_NATS_URL ?? '') !== '');
  // Tracing's module (and @opentelemetry/api) likewise, only when it is on.
  const tracing = options !== null && typeof options === 'object' && options.tracing !== undefined && options.tracing !== false
    ? await (await import('../../observability/tracing.js')).loadTracing() : null;
  const system = new ActorSystem(options, nats ? await import('../../bridge/index.js') : null, tracing);
  await system.start();
  return system;
}
