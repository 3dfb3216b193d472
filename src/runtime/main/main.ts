/**
 * The main thread's side of a system, behind the ActorSystem facade (system.ts). Main wires its
 * collaborators and is what each of them sees of the others (each through an interface of its
 * own): the host workers (hosts.ts), the rings between them (links.ts), names and exposure
 * (names.ts), spawning and placement (spawning.ts), what reaches main (main-inbox.ts), recovery
 * from a worker's death (recovery.ts), the watchdog (watchdog.ts), stats and health
 * (health-facts.ts), and the NATS bridge through its seam (node-host.ts, node-port.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Tracing } from '../../observability/tracing.js';
import type { Transferable } from 'node:worker_threads';
import type { Logger } from 'pino';
import { TroupeError, toWireError } from '../../actors/errors.js';
import type { ActorRef, AskOptions, RefTransport, TellOptions } from '../../actors/ref.js';
import { checkTellOptions } from '../../actors/send-options.js';
import { AlertTicker, type AlertSource } from '../../observability/alert-ticker.js';
import { Alerts } from '../../observability/alerts.js';
import { ErrorEvents } from '../../observability/error-events.js';
import { Observatory, type ObservedHost, type ObservedSystem } from '../../observability/observatory.js';
import { createLogger } from '../../observability/logger.js';
import { SupervisionEvents } from '../../supervision/events.js';
import { AskTable } from '../ask-table.js';
import { F_CREDIT, K_ASK, K_CREDIT, K_TELL, MAIN_THREAD, S_DEAD_LETTERED, S_SENT, STATS_SLOTS } from '../constants.js';
import { ASKS_CREDIT, AT_MARK, OUTBOX_PATH, pathKey, Paths } from '../flow.js';
import { Ledger } from '../ledger.js';
import { setIncarnation } from '../mesh/codec.js';
import { allocateDoorbell } from '../mesh/doorbell.js';
import { MeshNode } from '../mesh/mesh-node.js';
import type { NodeBridge } from '../node-port.js';
import type { PoolRef } from '../pool/pool.js';
import type { HostToMain, LinkIn, LinkOut, Tuning } from '../protocol.js';
import { withDeadline } from './deadline.js';
import { DeadLetters } from './dead-letters.js';
import { Health, type HealthOwner } from './health-facts.js';
import { Hosts, type HostHandle, type HostsOwner } from './hosts.js';
import { Links } from './links.js';
import { MainInbox, type MainInboxOwner } from './main-inbox.js';
import { Names } from './names.js';
import { nodeHost, type NodeHostOwner } from './node-host.js';
import { Recovery, type RecoveryOwner } from './recovery.js';
import { Spawning, type SpawningOwner } from './spawning.js';
import { systemConfig } from './system-options.js';
import type { SystemHealth, SystemOptions, SystemStats } from './system-types.js';
import { Watchdog, type WatchdogOwner } from './watchdog.js';

export type BridgeModule = typeof import('../../bridge/index.js');

export class Main implements HostsOwner, RecoveryOwner, WatchdogOwner, MainInboxOwner, SpawningOwner, HealthOwner, NodeHostOwner, AlertSource, ObservedSystem {
  readonly name: string;
  readonly log: Logger;
  readonly logLevel: string;
  readonly deadLetters: DeadLetters;
  /** Supervision events (failures, restarts, escalations, breaker transitions, dead workers). */
  readonly events = new SupervisionEvents();
  /** Error events: reported by actors (ctx.reportError) and by every supervision failure. */
  readonly errors: ErrorEvents;
  /** This node's id with NATS, '' without; and this run of it (0 without). */
  readonly node: string;
  readonly incarnation: number;
  readonly workers: number;
  readonly tuning: Tuning;
  readonly controlTimeoutMs: number;
  readonly healthWindowMs: number;
  readonly maxHandlerMs: number;
  readonly terminateTimeoutMs: number;
  /** Main's counts (ledger.ts), in its own stats slots. */
  readonly mainStats: Float64Array;
  readonly ledger: Ledger;
  readonly asks: AskTable;
  /** Main's paths toward actors (flow control, flow.ts). */
  readonly paths: Paths;
  /** Threads closed for good (indexed by thread): mail to them is not counted. */
  private readonly gone: boolean[] = [];
  readonly mesh: MeshNode;
  readonly remote: NodeBridge | null;
  readonly hosts: Hosts;
  readonly links: Links;
  readonly names: Names;
  readonly recovery: Recovery;
  readonly inbox: MainInbox;
  readonly spawning: Spawning;
  /** Pool actors (spawnPool), each with threads of its own. */
  readonly pools = new Set<PoolRef>();
  state: 'running' | 'stopping' | 'stopped' = 'running';
  /** Alert rules, checked by the ticker; what observability reads (observability/). */
  readonly alerts: Alerts;
  readonly observatory: Observatory;
  /** Servers started by serve(): closed at shutdown. */
  readonly servers = new Set<{ close(): Promise<void> }>();
  private readonly alertTicker: AlertTicker;
  private readonly watchdog: Watchdog;
  private readonly health: Health;
  private readonly keepAlive: ReturnType<typeof setInterval>;
  private shutdownPromise: Promise<void> | null = null;

  /** Checks every option (system-options.ts) before it starts anything. `transport`: what the refs it makes send through. */
  constructor(options: SystemOptions, bridge: BridgeModule | null, readonly transport: RefTransport, private readonly tracing: Tracing | null = null) {
    const o = systemConfig(options);
    this.name = o.name;
    this.workers = o.workers;
    this.tuning = o.tuning;
    this.controlTimeoutMs = o.controlTimeoutMs;
    this.healthWindowMs = o.healthWindowMs;
    this.maxHandlerMs = o.maxHandlerMs;
    const heartbeatMs = this.maxHandlerMs > 0 ? Math.min(1000, Math.max(10, Math.floor(this.maxHandlerMs / 4))) : 0;
    this.terminateTimeoutMs = o.terminateTimeoutMs;
    this.log = createLogger(o.logger).child({ system: this.name });
    this.logLevel = this.log.level;
    this.deadLetters = new DeadLetters(o.deadLetterCapacity, o.deadLetterBytes);
    const natsConfig = bridge?.bridgeConfig(o.nats, o.node) ?? null;
    this.node = natsConfig?.node ?? '';
    this.incarnation = natsConfig?.incarnation ?? 0;
    if (natsConfig !== null) setIncarnation(this.node, this.incarnation);
    this.errors = new ErrorEvents(this.log);
    const mainDoorbell = allocateDoorbell();
    this.mainStats = new Float64Array(new SharedArrayBuffer(STATS_SLOTS * 8));
    this.ledger = new Ledger(this.mainStats);
    this.asks = new AskTable(this.mainStats, (reason, corr, value) =>
      this.deadLetters.add({ reason, target: `ask #${corr}`, sender: null, message: value, time: Date.now() }));
    this.paths = new Paths(o.highWaterMark);
    this.inbox = new MainInbox(this);
    this.mesh = new MeshNode({
      thread: MAIN_THREAD,
      doorbell: mainDoorbell,
      tuning: this.tuning,
      transport,
      deliver: (from, target, sender, corr, kind, value) => this.inbox.deliver(from, target, sender, corr, kind, value),
      undeliverable: (from, target, sender, corr, kind, reason, bytes, error) => this.inbox.undeliverable(from, target, sender, corr, kind, reason, bytes, error),
      stats: this.mainStats,
      node: this.node,
      requestLink: (to) => this.links.link(MAIN_THREAD, to),
    });
    this.remote = natsConfig === null ? null : bridge!.createNodeBridge(natsConfig, nodeHost(this));
    this.names = new Names(this.remote, this.controlTimeoutMs);
    // Every supervision failure is an error event too.
    this.events.subscribe((e) => {
      if (e.type !== 'failure') return;
      this.errors.add({ id: randomUUID(), severity: e.severity, category: e.category, message: e.error.message,
        details: { directive: e.directive, retries: e.retries, code: e.error.code }, actor: e.actor, node: this.node,
        correlationId: randomUUID(), time: e.time });
    });
    this.hosts = new Hosts({
      systemName: this.name, workers: this.workers, logLevel: this.logLevel, tuning: this.tuning, heartbeatMs, highWaterMark: o.highWaterMark,
      strictMessages: o.strictMessages, tracing: o.tracing, node: this.node, incarnation: this.incarnation, controlTimeoutMs: this.controlTimeoutMs,
      resourceLimits: o.resourceLimits,
    }, this);
    this.links = new Links(this.hosts, this.mesh, mainDoorbell, this.tuning.ringBytes, this.log);
    this.recovery = new Recovery(this);
    this.spawning = new Spawning(this);
    // A running system keeps the process alive (a pending Atomics.waitAsync does not).
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.watchdog = new Watchdog(this, this.maxHandlerMs, heartbeatMs, this.terminateTimeoutMs);
    this.health = new Health(this, this.healthWindowMs, this.maxHandlerMs);
    this.alerts = new Alerts(o.alerts.rules, (rule, err) => this.log.warn({ err, rule }, 'alert rule threw: it counts as not holding'));
    const remote = this.remote;
    if (remote !== null) this.alerts.publish = (a) => remote.publishAlert(a);
    this.observatory = new Observatory(this);
    this.alertTicker = new AlertTicker(this.alerts, this, o.alerts.intervalMs);
    this.events.subscribe(() => this.alertTicker.poke());
  }

  // For observability (ObservedSystem, AlertSource).
  observedHosts(): ObservedHost[] { return this.hosts.all.filter((h) => h !== undefined); }
  async backpressured(): Promise<number> { return (await this.observatory.actors(0)).backpressured; }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Starts the host workers, then the bridge. */
  async start(): Promise<void> {
    try {
      await this.hosts.startShared();
      await this.remote?.start();
    } catch (err) {
      await this.shutdown(1000).catch(() => {});
      throw err;
    }
    this.log.debug({ workers: this.workers }, 'actor system started');
  }

  // For the hosts (HostsOwner).
  onHostEvent(host: HostHandle, m: HostToMain): void { this.inbox.onHostEvent(host, m); }
  hostDied(host: HostHandle, err: Error): void { this.recovery.hostDied(host, err); }
  takeOverLinks(thread: number): (LinkIn | LinkOut)[] { return this.links.takeOver(thread); }
  drainFrom(thread: number): void { this.mesh.drainFrom(thread); }

  /** Returns false once main's unprocessed messages to `ref` reach the high-water mark (the message is queued all the same). */
  tell(ref: ActorRef, msg: unknown, options: TellOptions | undefined): boolean {
    this.assertRunning();
    if (this.tracing !== null) msg = this.tracing.wrap(msg, null);
    const transfer = checkTellOptions(options);
    const sent = ref.node !== undefined ? this.sendRemote(ref, 0, msg, undefined, options?.delivery) : this.sendCounted(ref, 0, K_TELL, msg, transfer);
    this.mainStats[S_SENT]!++;
    return (sent & AT_MARK) === 0;
  }

  /**
   * Sends a user message to an actor on another node, counted on main's path to the outbox
   * (flow.ts), which credits it back when the outbox is done with it; returns what Paths.sent said.
   */
  private sendRemote(ref: ActorRef, corr: number, msg: unknown, timeoutMs: number | undefined, delivery: string | undefined): number {
    const remote = this.remoteOrThrow();
    const paths = this.paths;
    const sent = paths.sent(OUTBOX_PATH, 0);
    try {
      remote.send({ node: ref.node!, incarnation: ref.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, msg, MAIN_THREAD, 0, corr, timeoutMs,
        delivery === 'at-most-once', false, (sent & ASKS_CREDIT) !== 0 ? this.outboxCredit : null);
    } catch (err) {
      paths.unsent(OUTBOX_PATH);
      throw err;
    }
    return sent;
  }

  private readonly outboxCredit = (): void => { this.paths.credit(OUTBOX_PATH); };

  /** Hands `host`'s actor `id` back one credit on its path to the outbox (flow.ts); not to a host that died since. */
  credit(host: HostHandle | undefined, id: number): void {
    if (host !== undefined && host.alive && this.hosts.get(host.thread) === host) this.mesh.send(host.thread, id, 0, 0, K_CREDIT, null);
  }

  /** Sends a user message to a local actor, counted on its path (flow.ts); returns what Paths.sent said. */
  private sendCounted(ref: ActorRef, corr: number, kind: number, msg: unknown, transfer: readonly Transferable[] | undefined): number {
    if (this.gone[ref.thread] === true) {
      // A thread closed for good (a dedicated worker whose actor stopped): nothing reads its
      // rings, so its actors are no more, as on a live worker.
      this.mainStats[S_DEAD_LETTERED]!++;
      this.deadLetters.add({ reason: 'no-such-actor', target: ref.path, sender: null, message: msg, time: Date.now() });
      if (corr !== 0) this.asks.fail(corr, new TroupeError('ERR_TROUPE_ACTOR_NOT_FOUND', `no live actor ${ref.path}: its worker closed`));
      return 0;
    }
    const paths = this.paths;
    const key = pathKey(ref.thread, ref.id);
    const sent = paths.sent(key, ref.mark);
    try {
      this.mesh.send(ref.thread, ref.id, 0, corr, (sent & ASKS_CREDIT) !== 0 ? kind | F_CREDIT : kind, msg, transfer);
    } catch (err) {
      paths.unsent(key);
      throw err;
    }
    return sent;
  }

  /**
   * Thread `thread` died (`forGood`: it was closed, or will not be replaced): main's counts toward
   * it are done with, and so are every host's (flow.ts); for good, mail to it is not counted.
   */
  threadGone(thread: number, forGood: boolean): void {
    if (forGood) this.gone[thread] = true;
    this.paths.resetThread(thread);
    for (const h of this.hosts.live()) if (h.thread !== thread) h.events.postMessage({ t: 'peer-died', thread, forGood });
  }

  /**
   * Resolves when main's path to `ref` is below the high-water mark (at once if it is; also when
   * the actor stops, its mail being dead-lettered); rejects with ERR_TROUPE_SYSTEM_STOPPED when
   * the system stops first.
   */
  ready(ref: ActorRef): Promise<void> {
    if (this.state !== 'running') return Promise.reject(stopped());
    return this.paths.ready(ref.node !== undefined ? OUTBOX_PATH : pathKey(ref.thread, ref.id));
  }

  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined): Promise<unknown> {
    if (this.state !== 'running') return Promise.reject(stopped());
    const { corr, promise } = this.asks.open(ref.path, options);
    if (corr === 0) return promise;
    if (this.tracing !== null) msg = this.tracing.wrap(msg, null);
    try {
      if (ref.node !== undefined) {
        this.sendRemote(ref, corr, msg, options?.timeoutMs, options?.delivery);
      } else {
        // asks.open checked the options.
        this.sendCounted(ref, corr, K_ASK, msg, options?.transfer);
      }
    } catch (err) {
      this.asks.fail(corr, err);
      return promise;
    }
    this.mainStats[S_SENT]!++;
    return promise;
  }

  lookup(name: string): ActorRef | undefined {
    return this.names.get(name) ?? this.remote?.lookup(name);
  }

  stats(): SystemStats {
    return this.health.stats();
  }

  healthReport(): SystemHealth {
    return this.health.report();
  }

  healthWindow(): { handled: number; dead: number; failed: number } {
    return this.health.window();
  }

  assertRunning(): void {
    if (this.state !== 'running') throw stopped();
  }

  private remoteOrThrow(): NodeBridge {
    if (this.remote === null) {
      throw new TroupeError('ERR_TROUPE_NODE_UNREACHABLE', 'a ref to an actor on another node, but this system has no NATS: createActorSystem({ nats: { servers } })');
    }
    return this.remote;
  }

  /** Drains (up to `timeoutMs`), then stops every actor, the pools and the workers (see ActorSystem.shutdown). */
  shutdown(timeoutMs: number): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(timeoutMs);
    return this.shutdownPromise;
  }

  private async doShutdown(timeoutMs: number): Promise<void> {
    this.state = 'stopping';
    // Producers waiting for a path to drain hear that the system stops.
    this.paths.stop(stopped);
    this.watchdog.stop();
    this.health.stop();
    this.alertTicker.stop();
    const serversClosed = Promise.all([...this.servers].map((s) => s.close()));
    // Nothing more from other nodes: what is not taken stays in this node's stream for its next start.
    this.remote?.stopReceiving();
    const deadline = performance.now() + timeoutMs;
    // Pools first: nothing on the hosts sends to them (a PoolRef stays on main).
    await withDeadline(Promise.all([...this.pools].map((p) => p.drained())), timeoutMs);
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.log.warn(this.stats(), 'shutdown: mail still queued at the deadline; it is dead-lettered');
        break;
      }
      const idle = await Promise.all(this.hosts.live().map((h) =>
        h.control.call('idle', [Math.max(1, Math.floor(left))], left + 1000).catch(() => true)));
      const s = this.stats();
      // Mail toward a dead worker stays in flight for good; do not wait for it.
      const anyDead = this.hosts.all.some((h) => h && !h.alive);
      if (idle.every(Boolean) && s.queued === 0 && (s.inFlight === 0 || anyDead) && this.asks.size === 0 && this.mesh.quiet()) break;
      if (idle.every(Boolean)) await new Promise((r) => setImmediate(r)); // mail in flight between idle hosts
    }
    // What is left in the pools is dead-lettered `actor-stopped`, before the bridge closes.
    await Promise.all([...this.pools].map((p) => p.close(this.controlTimeoutMs)));
    await Promise.all(this.hosts.live().map((h) => h.control.call('stopAll', [], this.controlTimeoutMs).catch((err) =>
      this.log.error({ err: toWireError(err) }, 'shutdown: stopping actors failed'))));
    this.state = 'stopped';
    // Pending asks (relayed ones too, whose error replies then go out) before the bridge closes.
    this.asks.closeAll();
    // Dead letters of the stops, and whatever else waits in the outbox, go out before the connection closes.
    await this.remote?.close(Math.max(1000, deadline - performance.now())).catch((err) =>
      this.log.error({ err }, 'shutdown: closing the NATS bridge failed'));
    await Promise.all(this.hosts.all.map((h) => (h ? this.hosts.close(h) : undefined)));
    this.links.discardLeftovers((entry) => {
      this.mainStats[S_DEAD_LETTERED]!++;
      this.deadLetters.add(entry);
    });
    // A thread stuck in native code never exits: do not wait for it forever.
    await withDeadline(this.hosts.shared.destroy(), this.controlTimeoutMs);
    this.mesh.close();
    clearInterval(this.keepAlive);
    await serversClosed;
    this.log.debug('actor system stopped');
  }
}

function stopped(): TroupeError {
  return new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', 'the actor system is shutting down or stopped');
}
