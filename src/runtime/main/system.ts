/**
 * The actor system, on the main thread: starts the host workers (piscina), places actors, owns
 * the ring mesh's memory (allocating each ring when a pair of threads first talks), keeps names
 * and dead letters, and shuts everything down in order.
 */
import { MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { ActorRef, refTransport, type AskOptions, type RefTransport, type TellOptions } from '../../actors/ref.js';
import { TroupeError, invalidArgument, toWireError } from '../../actors/errors.js';
import { mailboxOptions, type MailboxOptions } from '../../actors/mailbox.js';
import { checkTellOptions } from '../../actors/send-options.js';
import { checkSpawnOptions } from './spawn-options.js';
import { restartType, supervisorOptions, type RestartType, type SupervisorSpec } from '../../supervision/options.js';
import { RestartIntensity } from '../../supervision/intensity.js';
import type { NatsOptions } from '../../bridge/config.js';
import type { NodeBridge, NodeHost } from '../node-port.js';
import { Ledger } from '../ledger.js';
import { ErrorEvents } from '../../observability/error-events.js';
import { randomUUID } from 'node:crypto';
import type { BreakerOptions } from '../../supervision/breaker.js';
import { SupervisionEvents } from '../../supervision/events.js';
import { createLogger, type LoggerOption } from '../../observability/logger.js';
import { allocateDoorbell } from '../mesh/doorbell.js';
import { systemConfig } from './system-options.js';
import { MeshNode, undeliverableError } from '../mesh/mesh-node.js';
import { setIncarnation } from '../mesh/codec.js';
import { Ring, RingReader } from '../mesh/ring.js';
import { allocateBusyAsks, takeBusyAsks } from '../busy-asks.js';
import { HealthSignals } from './health-signals.js';
import { AskTable } from '../ask-table.js';
import { ControlClient } from './control.js';
import { DeadLetters } from './dead-letters.js';
import { PoolRef, type PoolOptions } from '../pool/pool.js';
import { ASK_TABLE, F_POSTED, KIND_MASK, K_ASK, K_REPLY, K_REPLY_ERROR, K_SYSTEM, K_TELL, MAIN_THREAD, S_ACTORS, S_DEAD_LETTERED, S_FAILED, S_PROCESSED, S_QUEUED, S_SENT, S_LAST_ESCALATION_AT, S_LAST_FAILURE_AT, S_LAST_RESTART_AT, S_OPEN_BREAKERS, S_RESTARTS, S_TURNS, S_ROOT_ESCALATIONS, S_CUR_ACTOR, S_CUR_CORR, S_CUR_FROM, S_CUR_ROOT, S_HEARTBEAT, S_OUTSTANDING, S_RETURNED, K_REMOTE, K_RECEIPT, STATS_SLOTS } from '../constants.js';
import type { MainNotice, RemoteSend, HostStart, HostToMain, LinkIn, LinkOut, SpawnRequest, Tuning } from '../protocol.js';

export type Placement = 'shared' | 'dedicated' | { worker: number };

export interface SystemOptions {
  /** The system's name, in logs and paths. Default 'troupe'. */
  name?: string;
  /** Host worker threads. Default: os.availableParallelism(). */
  workers?: number;
  /** A pino logger, pino options (e.g. `{ level: 'warn' }`), or false for none. Default: info (TROUPE_LOG_LEVEL). */
  logger?: LoggerOption;
  /** Dead letters kept in memory on main. Default 10 000 (older ones are counted, then dropped). */
  deadLetterCapacity?: number;
  /**
   * What the dead letters kept in memory may weigh, estimated, in bytes. Default 64 MiB. A message
   * above 64 KiB is kept as a preview (`{ preview, bytes }`); past this bound the oldest kept
   * messages become previews, then the oldest entries go (see DeadLetters).
   */
  deadLetterBytes?: number;
  /** Ring mesh tuning; defaults suit most systems. */
  tuning?: Partial<Tuning>;
  /** Deadline for control calls to workers (spawn, stop, ...), and for a pool thread to load its module and run init. Default 10 000 ms. */
  controlTimeoutMs?: number;
  /** How far back health() looks for restarts, failures, escalations and replaced workers. Default 30 000 ms. */
  healthWindowMs?: number;
  /**
   * The watchdog: a handler (or anything else on a host worker) that blocks its thread longer
   * than this is a runaway; its worker is terminated and replaced, and the message is
   * dead-lettered `timeout`. A pool actor's message whose handler runs longer than this (blocked
   * or not) has its pool thread terminated and is dead-lettered `actor-failed`
   * (ERR_TROUPE_HANDLER_TIMEOUT). Default 30 000 ms; `false` turns the watchdog off.
   */
  maxHandlerMs?: number | false;
  /** How long terminating a runaway worker may take before its actors escalate (stuck in native code). Default 5 000 ms. */
  terminateTimeoutMs?: number;
  /**
   * NATS, for actors on other nodes, durable dead letters and error events. Without it (and
   * without TROUPE_NATS_URL in the environment) everything stays local and nothing connects.
   */
  nats?: NatsOptions;
  /** This node's id among the nodes (with NATS): default TROUPE_NODE, else `<host>-<pid>`. */
  node?: string;
  /**
   * Messages between actors on one worker are passed by reference, unchecked. With
   * `strictMessages: true` they are encoded and decoded as they would be between threads: a
   * value that cannot cross threads throws at `tell`, and the receiver gets a copy. For tests
   * (it costs an encode and a decode per message). Default false.
   */
  strictMessages?: boolean;
}

/**
 * The system's health. `status` (the rules, checked at each call):
 * - 'critical': no host worker is alive; a host worker is dead and not (yet) replaced, or stuck
 *   (it could not be terminated); records wait on a ring between two threads with none taken
 *   for maxHandlerMs (30 s with the watchdog off) while the consumer is alive (a wedged link);
 *   a failure escalated past the top of the tree (a top-level actor and its subtree stopped)
 *   within the health window; or a pool's message hangs: it ran past maxHandlerMs and its
 *   thread, told to terminate, had not exited after terminateTimeoutMs (stuck in native code) —
 *   critical until that thread exits. With the watchdog off nothing bounds a pool message, and
 *   how long one runs is not judged (as for actors);
 * - 'degraded': within the health window, more than 1 % of the messages handled (processed or
 *   dead-lettered) were dead-lettered, and at least 100; a circuit breaker is open or half-open;
 *   an actor failed or restarted; a worker died and was replaced; a pool's thread was
 *   terminated (a message past maxHandlerMs, or init past controlTimeoutMs) or died; with NATS
 *   also: NATS is unreachable (or refuses this node's credentials, or another running node has
 *   its node id), or the outbox to other nodes is over half full, or a node sent to within the
 *   health window has not been heard from for 30 s (or the health window, if shorter). Heard
 *   from: any message from it, or an answer to a ping (sent to it when it has been quiet for a
 *   third of that time);
 * - 'healthy': none of these;
 * - 'stopped': shutdown() was called (while it runs, and after).
 * `reasons` says which rules hold, in words.
 */
export interface SystemHealth {
  status: 'healthy' | 'degraded' | 'critical' | 'stopped';
  actors: number;
  /** Restarts since start. */
  restarts: number;
  /** Breakers open or half-open now. */
  openBreakers: number;
  deadLetters: number;
  processed: number;
  failed: number;
  /** processed / (processed + failed), since start; 1 before any message. */
  successRate: number;
  workers: { total: number; alive: number };
  /** Why the status is what it is, in words (empty when healthy). */
  reasons: string[];
  /** With NATS: whether it is reachable, and how many messages wait to leave. */
  nats?: { connected: boolean; outbox: number };
}

export interface SpawnOptions {
  /** Unique among live actors of the system; `system.lookup(name)` finds it. */
  name?: string;
  /** Passed to the actor's init(). Must be structured-cloneable. */
  args?: unknown;
  mailbox?: Partial<MailboxOptions>;
  /** 'shared' (default: the least-loaded host), `{ worker: k }` (0-based), or 'dedicated' (a worker of its own). */
  placement?: Placement;
  /** With placement 'dedicated': the worker's own limits (heap size, ...). */
  resourceLimits?: ResourceLimits;
  /** 'transient' (default), 'permanent' or 'temporary' (see SupervisorSpec). */
  restart?: RestartType;
  /** How the root supervises this top-level actor (plain data: a `decide` function goes in defineActor). */
  supervision?: Omit<SupervisorSpec, 'decide'>;
  /** A circuit breaker around the actor: while open, its mail is dead-lettered `circuit-open`. */
  circuitBreaker?: Partial<BreakerOptions>;
  /**
   * How long stopping it waits for a running handler before going on without it, and how long
   * each lifecycle hook (preRestart, postRestart, postStop) may take. Default 5 000 ms.
   */
  shutdownMs?: number;
  /**
   * How long its init may take (on spawn and on restart) before ERR_TROUPE_INIT_TIMEOUT: a
   * positive number of ms, at most 2^31 - 1. Default 10 000 ms.
   */
  initTimeoutMs?: number;
  /**
   * With NATS: other nodes may reach it (needs a `name`; `lookup(name)` finds it on any node).
   * The spawn rejects with ERR_TROUPE_NAME_TAKEN (and the actor is stopped) when another running
   * node has exposed the name; `'replace'` takes the name over from it instead. While NATS is
   * unreachable the spawn resolves, and the name is registered once NATS is reachable; if
   * another node has it by then, this node logs it and emits a `name-lost` event.
   */
  expose?: boolean | 'replace';
}

export interface ShutdownOptions {
  /** How long to wait for mailboxes to drain before stopping anyway. Default 10 000 ms. */
  timeoutMs?: number;
}

/** Message counts over all threads. While nothing is in flight: sent = processed + deadLettered + queued. */
export interface SystemStats {
  /** User messages and replies sent. */
  sent: number;
  /** Handled to completion (messages) or delivered to their asker (replies). */
  processed: number;
  deadLettered: number;
  /** Waiting in a mailbox or in a handler right now. */
  queued: number;
  /** Sent but not yet in a mailbox (in a ring, a spill, or a port); 0 when the system is quiet. */
  inFlight: number;
  /** Handlers that threw. */
  failed: number;
  /** Messages from other nodes handed back for redelivery after a failed attempt (0 without NATS). */
  returned: number;
  actors: number;
  /** Turns the schedulers gave actors, over all hosts (each up to `throughput` messages). */
  turns: number;
}

export { DEFAULT_TUNING } from './system-options.js';

const HOST_WORKER = new URL('../host/host-worker.js', import.meta.url);
/** initTimeoutMs when a spawn does not say (the host applies it: host.ts). */
const DEFAULT_INIT_TIMEOUT_MS = 10_000;
/** At most this many replacements of one thread within the window; then it stays dead (critical). */
const MAX_REPLACEMENTS = 5;
const REPLACEMENT_WINDOW_MS = 10_000;
const queueOptions = Piscina.queueOptionsSymbol;

/** How main re-creates a top-level actor when its worker dies. */
interface SpawnRecord {
  id: number;
  path: string;
  name: string | undefined;
  req: SpawnRequest;
  restart: RestartType;
  /** Its restart intensity under the root: worker deaths count against it. */
  intensity: RestartIntensity;
  expose: boolean;
  /** system.stop() is stopping it: if its worker dies meanwhile, it is not restarted. */
  stopping?: boolean;
}

interface HostHandle {
  thread: number;
  /** The piscina worker's threadId (the watchdog terminates it). */
  workerThreadId: number;
  /** Its top-level actors, by id (the spawn log a replacement restarts them from). */
  actors: Map<number, SpawnRecord>;
  /** The watchdog found it blocked and is terminating it. */
  runaway: boolean;
  /** Terminating it did not finish within terminateTimeoutMs. */
  stuck: boolean;
  /** Resolves once a replacement host has re-created its predecessor's actors (at once for others). */
  restored: Promise<void>;
  label: string;
  pool: Piscina;
  control: ControlClient;
  events: MessagePort;
  doorbell: SharedArrayBuffer;
  /** The asks its actors' handlers are suspended on (busy-asks.ts): rejected at once if it dies. */
  busyAsks: SharedArrayBuffer;
  stats: Float64Array;
  alive: boolean;
  /** The worker died (as opposed to being closed). */
  died: boolean;
  /** It reads its rings no more: it closed at shutdown (or died). */
  exited: boolean;
  dedicated: boolean;
  /** Spawns under way, so concurrent spawns spread out before their actors count. */
  placing: number;
  closed: Promise<void>;
  onClosed: () => void;
}

export class ActorSystem implements RefTransport {
  readonly name: string;
  readonly log: Logger;
  readonly deadLetters: DeadLetters;
  /** Supervision events (failures, restarts, escalations, breaker transitions, dead workers). */
  readonly events = new SupervisionEvents();
  /** Error events: reported by actors (ctx.reportError) and by every supervision failure. */
  readonly errors: ErrorEvents;
  /** This node's id with NATS, '' without. */
  readonly node: string;
  /** This run of the node (with NATS; 0 without). */
  private readonly incarnation: number;
  private readonly remote: NodeBridge | null;
  /** Main's counts (ledger.ts). */
  private readonly ledger: Ledger;
  private natsUp = false;
  /** Top-level actors other nodes may reach (`thread.id`). */
  private readonly exposed = new Set<string>();
  /** Host worker count (not counting dedicated workers). */
  readonly workers: number;
  private readonly tuning: Tuning;
  private readonly controlTimeoutMs: number;
  private readonly healthWindowMs: number;
  private readonly logLevel: string;
  private readonly strictMessages: boolean;
  private readonly mesh: MeshNode;
  private readonly mainDoorbell: SharedArrayBuffer;
  private readonly mainStats: Float64Array;
  private readonly asks: AskTable;
  private readonly hosts: (HostHandle | undefined)[] = [];
  /** Every ring by `from * 65536 + to`: a replacement host takes over its predecessor's. */
  private readonly links = new Map<number, SharedArrayBuffer>();
  private readonly maxHandlerMs: number;
  private readonly heartbeatMs: number;
  private readonly terminateTimeoutMs: number;
  private readonly watchdog: ReturnType<typeof setInterval> | null;
  /** When workers died and were replaced (for health), pruned to the health window. */
  private readonly replacedAt: number[] = [];
  private readonly threadIdOf = new Map<number, number>();
  private readonly replacements = new Map<number, number[]>();
  private readonly names = new Map<string, ActorRef | null>();
  private readonly shared: Piscina;
  private readonly hostedOn = new Set<number>();
  private nextThread: number;
  private nextPool = 1;
  /** Pool actors (spawnPool), each with threads of its own. */
  private readonly pools = new Set<PoolRef>();
  private state: 'running' | 'stopping' | 'stopped' = 'running';
  private shutdownPromise: Promise<void> | null = null;
  private readonly keepAlive: ReturnType<typeof setInterval>;
  /** Dead letters and ring progress over the health window (health-signals.ts), sampled by `sampler`. */
  private readonly signals: HealthSignals;
  private readonly sampler: ReturnType<typeof setInterval>;

  /** @internal use createActorSystem(). Checks every option (system-options.ts) before it starts anything. */
  constructor(options: SystemOptions, bridge: typeof import('../../bridge/index.js') | null = null) {
    const o = systemConfig(options);
    this.name = o.name;
    this.workers = o.workers;
    this.tuning = o.tuning;
    this.controlTimeoutMs = o.controlTimeoutMs;
    this.healthWindowMs = o.healthWindowMs;
    this.maxHandlerMs = o.maxHandlerMs;
    this.heartbeatMs = this.maxHandlerMs > 0 ? Math.min(1000, Math.max(10, Math.floor(this.maxHandlerMs / 4))) : 0;
    this.terminateTimeoutMs = o.terminateTimeoutMs;
    this.strictMessages = o.strictMessages;
    this.log = createLogger(o.logger).child({ system: this.name });
    this.logLevel = this.log.level;
    this.deadLetters = new DeadLetters(o.deadLetterCapacity, o.deadLetterBytes);
    const natsConfig = bridge?.bridgeConfig(o.nats, o.node) ?? null;
    this.node = natsConfig?.node ?? '';
    this.incarnation = natsConfig?.incarnation ?? 0;
    if (natsConfig !== null) setIncarnation(this.node, this.incarnation);
    this.errors = new ErrorEvents(this.log);
    this.mainDoorbell = allocateDoorbell();
    this.mainStats = new Float64Array(new SharedArrayBuffer(STATS_SLOTS * 8));
    this.ledger = new Ledger(this.mainStats);
    this.asks = new AskTable(this.mainStats, (reason, corr, value) =>
      this.deadLetters.add({ reason, target: `ask #${corr}`, sender: null, message: value, time: Date.now() }));
    this.mesh = new MeshNode({
      thread: MAIN_THREAD,
      doorbell: this.mainDoorbell,
      tuning: this.tuning,
      transport: this,
      deliver: (from, target, sender, corr, kind, value) => this.deliver(from, target, sender, corr, kind, value),
      undeliverable: (from, target, sender, corr, kind, reason, bytes, error) => this.undeliverable(from, target, sender, corr, kind, reason, bytes, error),
      stats: this.mainStats,
      node: this.node,
      requestLink: (to) => this.link(MAIN_THREAD, to),
    });
    this.remote = natsConfig === null ? null : bridge!.createNodeBridge(natsConfig, this.nodeHost());
    // Every supervision failure is an error event too.
    this.events.subscribe((e) => {
      if (e.type !== 'failure') return;
      this.errors.add({ id: randomUUID(), severity: e.severity, category: e.category, message: e.error.message,
        details: { directive: e.directive, retries: e.retries, code: e.error.code }, actor: e.actor, node: this.node,
        correlationId: randomUUID(), time: e.time });
    });
    this.nextThread = this.workers + 1;
    this.shared = this.newPool(this.workers, undefined);
    // A running system keeps the process alive (a pending Atomics.waitAsync does not).
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.watchdog = this.heartbeatMs > 0 ? setInterval(() => this.checkHeartbeats(), this.heartbeatMs) : null;
    this.watchdog?.unref();
    this.signals = new HealthSignals(this.healthWindowMs);
    this.sampleHealth();
    this.sampler = setInterval(() => this.sampleHealth(), Math.max(10, Math.min(1000, Math.floor(this.healthWindowMs / 10))));
    this.sampler.unref();
  }

  /** What the NATS bridge may do on this node (node-port.ts): all it sees of the runtime. */
  private nodeHost(): NodeHost {
    const mesh = this.mesh;
    const codec = mesh.codec;
    return {
      log: this.log,
      healthWindowMs: this.healthWindowMs,
      ledger: this.ledger,
      encode: (value) => codec.encode(value),
      decode: (bytes) => codec.decode(bytes, 0, bytes.length),
      deadLetter: (entry) => { this.ledger.deadLettered(); this.deadLetters.add(entry); },
      onDeadLetter: (fn) => this.deadLetters.subscribe(fn),
      post: (thread, target, sender, corr, kind, bytes) => mesh.sendEncoded(thread, target, sender, corr, kind, bytes),
      openAsk: (target, timeoutMs) => this.asks.open(target, { timeoutMs }),
      settleAsk: (corr, kind, value) => this.asks.settle(corr, kind, value),
      ref: (path, thread, id, node, incarnation) => new ActorRef(path, thread, id, this, node, incarnation),
      isExposed: (thread, id) => this.exposed.has(`${thread}.${id}`),
      hostExists: (thread) => !!this.hosts[thread],
      localByName: (name) => this.names.get(name) ?? undefined,
      onNameLost: (name, holder) => {
        this.log.warn({ name, holder }, `exposed name ${JSON.stringify(name)} is held by node ${holder}: other nodes do not reach this node's actor by it`);
        this.events.add({ type: 'name-lost', name, holder, time: Date.now() });
      },
      onConnected: (c) => {
        if (this.natsUp === c) return;
        this.natsUp = c;
        this.events.add({ type: 'nats', connected: c, outbox: this.remote?.outboxSize ?? 0, time: Date.now() });
      },
      useStores: (deadLetters, errors) => {
        this.deadLetters.store = deadLetters;
        this.errors.store = errors;
      },
    };
  }

  /** @internal starts the host workers; createActorSystem() awaits it. */
  async start(): Promise<void> {
    try {
      await Promise.all(Array.from({ length: this.workers }, (_, k) => this.startHost(k + 1, this.shared, false)));
      await this.remote?.start();
    } catch (err) {
      await this.shutdown({ timeoutMs: 1000 }).catch(() => {});
      throw err;
    }
    this.log.debug({ workers: this.workers }, 'actor system started');
  }

  private newPool(threads: number, resourceLimits: ResourceLimits | undefined): Piscina {
    const pool = new Piscina({
      filename: HOST_WORKER.href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      // Timers and I/O inside actors must run between tasks: no Atomics.wait in idle workers.
      atomics: 'disabled',
      // A host task lives as long as the system (pool actors have threads of their own).
      concurrentTasksPerWorker: 256,
      maxQueue: 100_000,
      resourceLimits,
      loadBalancer: (task, workers) => {
        const q = (task as unknown as Record<symbol, { host: number }>)[queueOptions]!;
        // A host task goes to a worker that has none.
        for (const w of workers) {
          if (!this.hostedOn.has(w.id) && !w.terminating) {
            this.hostedOn.add(w.id);
            this.threadIdOf.set(q.host, w.id);
            return w;
          }
        }
        return null;
      },
    });
    // Without a listener, a worker dying with no task in flight takes the main process down.
    pool.on('error', (err: Error) => this.log.error({ err }, 'host worker error'));
    return pool;
  }

  /** Starts a host on thread `thread`; `previous`: the dead host it replaces (its rings, doorbell and counters). */
  private async startHost(thread: number, pool: Piscina, dedicated: boolean, previous?: HostHandle, restoring: number[] = []): Promise<HostHandle> {
    const control = new MessageChannel();
    const events = new MessageChannel();
    const doorbell = previous ? previous.doorbell : allocateDoorbell();
    const busyAsks = previous ? previous.busyAsks : allocateBusyAsks();
    const stats = previous ? previous.stats.buffer as SharedArrayBuffer : new SharedArrayBuffer(STATS_SLOTS * 8);
    let onClosed!: () => void;
    const handle: HostHandle = {
      thread, label: `worker ${thread - 1}`, pool, dedicated, workerThreadId: -1, actors: new Map(), runaway: false, stuck: false,
      restored: Promise.resolve(),
      control: new ControlClient(control.port1, `worker ${thread - 1}`),
      events: events.port1, doorbell, busyAsks, stats: new Float64Array(stats), alive: true, died: false, exited: false, placing: 0,
      closed: new Promise<void>((r) => { onClosed = r; }), onClosed: () => onClosed(),
    };
    this.hosts[thread] = handle;
    events.port1.on('message', (m: HostToMain) => this.onHostEvent(handle, m));
    // A replacement takes over its predecessor's rings: its links go on the events port now (the
    // ports are transferred at once, whenever the task starts), ahead of anything else.
    if (previous) for (const link of this.takeOverLinks(thread)) events.port1.postMessage(link, [link.port]);
    const start: HostStart = {
      thread, systemName: this.name, logLevel: this.logLevel, doorbell, stats, busyAsks,
      control: control.port2, events: events.port2, tuning: this.tuning, heartbeatMs: this.heartbeatMs, restoring, node: this.node,
      strictMessages: this.strictMessages,
      incarnation: this.incarnation,
    };
    const task = { start, [queueOptions]: { host: thread } };
    pool.run(task, { name: 'hostTask', transferList: [control.port2, events.port2] }).then(
      (workerThreadId: number) => { this.hostedOn.delete(workerThreadId); handle.onClosed(); },
      (err: Error) => this.hostDied(handle, err),
    );
    await handle.control.call('stats', [], this.controlTimeoutMs);
    handle.workerThreadId = this.threadIdOf.get(thread) ?? -1;
    return handle;
  }

  /**
   * The links of a dead thread, for its replacement: the same rings (it reads on from the heads
   * its predecessor stored, and writes on from the tails it published) with new ports, and each
   * live peer is told to use its new port.
   */
  private takeOverLinks(thread: number): (LinkIn | LinkOut)[] {
    const links: (LinkIn | LinkOut)[] = [];
    for (const [key, ring] of this.links) {
      const from = Math.floor(key / 65536);
      const to = key % 65536;
      if (from !== thread && to !== thread) continue;
      const peer = from === thread ? to : from;
      const peerHost = peer === MAIN_THREAD ? null : this.hosts[peer];
      const peerAlive = peerHost === null || (peerHost !== undefined && peerHost.alive);
      const { port1, port2 } = new MessageChannel();
      const peerBell = peerHost ? peerHost.doorbell : this.mainDoorbell;
      // Port messages numbered below this went to a dead thread: lost. A live producer says it
      // itself on the new port; for a dead one, the number in the ring's header is final.
      const lostBelow = Ring.postSeqOf(ring) + 1;
      if (from === thread) {
        links.push({ t: 'link-out', to, ring, port: port1, doorbell: peerBell });
        if (peerHost === null) this.mesh.relinkIn(thread, port2, lostBelow);
        else if (peerAlive) peerHost!.events.postMessage({ t: 'relink-in', peer: thread, port: port2, lostBelow }, [port2]);
      } else {
        links.push({ t: 'link-in', from, ring, port: port1, doorbell: peerBell, replaced: true, ...(peerAlive ? {} : { lostBelow }) });
        if (peerHost === null) this.mesh.relinkOut(thread, port2);
        else if (peerAlive) peerHost!.events.postMessage({ t: 'relink-out', peer: thread, port: port2 }, [port2]);
      }
      // A dead peer's end (port2) is left alone: its replacement relinks with us anew.
    }
    return links;
  }

  /**
   * A host worker died (it threw, exited, ran out of memory, or the watchdog terminated it).
   * Whatever was in its heap is gone: the message whose handler was running (dead-lettered
   * `timeout` after the watchdog, else `worker-died`, and its ask rejected), the mail in its
   * mailboxes, and what it had sent but not yet published (dead-lettered `worker-died`, with a
   * count). Mail still in its rings is not lost: a replacement host on the same thread index
   * reads on from there, after its top-level actors restart under the same ids.
   */
  private hostDied(handle: HostHandle, err: Error): void {
    if (handle.died && !handle.stuck) return;
    const wasStuck = handle.stuck;
    handle.alive = false;
    handle.died = true;
    handle.exited = true;
    handle.stuck = false;
    handle.onClosed();
    this.hostedOn.delete(this.threadIdOf.get(handle.thread) ?? handle.workerThreadId);
    const reason = handle.runaway ? 'timeout' : 'worker-died';
    const wrapped = handle.runaway
      ? new TroupeError('ERR_TROUPE_HANDLER_TIMEOUT', `${handle.label} was blocked for more than ${this.maxHandlerMs} ms (maxHandlerMs) and was terminated`, { cause: err })
      : new TroupeError('ERR_TROUPE_WORKER_FAILED', `${handle.label} died: ${err.message}`, { cause: err });
    handle.control.kill(wrapped);
    this.remote?.threadDied(handle.thread);
    // Names, replies and exits it sent before it died come first: after this, what comes from
    // its thread comes from its replacement.
    this.mesh.drainFrom(handle.thread);
    const running = this.state === 'running';
    const stats = handle.stats;
    const now = Date.now();
    let queued = stats[S_QUEUED]!;
    const culpritId = stats[S_CUR_ACTOR]!;
    const culprit = culpritId === 0 ? undefined : handle.actors.get(culpritId)?.path ?? `@${handle.thread}.${culpritId}`;
    const from = stats[S_CUR_FROM]!;
    if (culpritId !== 0 && from >= 0 && queued > 0) {
      // The message whose handler was running when the worker went down.
      queued--;
      stats[S_DEAD_LETTERED]!++;
      const senderThread = Math.floor(from / 0x100000000);
      const sender = from % 0x100000000;
      this.deadLetters.add({ reason, target: culprit!, sender: sender === 0 ? null : `@${senderThread}.${sender}`,
        message: '[lost with the worker: its handler was running]', error: toWireError(wrapped), time: now });
      const corr = stats[S_CUR_CORR]!;
      // A tell from another node that takes its worker down is not redelivered to do it again.
      if (corr < 0) this.remote?.culpritDied(-corr);
      else this.rejectAsk(senderThread, corr, culpritId, wrapped);
    }
    // Asks whose handlers were suspended in an await: their messages died with the heap too;
    // each is dead-lettered and its ask rejected now, not left to time out.
    let suspended = 0;
    for (const [thread, corr, actor] of takeBusyAsks(handle.busyAsks)) {
      if (queued <= 0) break;
      queued--;
      suspended++;
      stats[S_DEAD_LETTERED]!++;
      this.deadLetters.add({ reason, target: handle.actors.get(actor)?.path ?? `@${handle.thread}.${actor}`, sender: null,
        message: '[lost with the worker: its handler was suspended in an await]', error: toWireError(wrapped), time: now });
      this.rejectAsk(thread, corr, actor, wrapped);
    }
    const lost = queued + stats[S_OUTSTANDING]!;
    stats[S_DEAD_LETTERED]! += lost;
    // The top-level actor whose subtree's code was running: its fault, not its siblings'.
    const blamed = handle.actors.get(stats[S_CUR_ROOT]!);
    for (const slot of [S_QUEUED, S_OUTSTANDING, S_ACTORS, S_OPEN_BREAKERS, S_CUR_ACTOR, S_CUR_ROOT, S_HEARTBEAT]) stats[slot] = 0;
    if (lost > 0) {
      this.deadLetters.add({ reason: 'worker-died', target: handle.label, sender: null, message: { lost },
        error: toWireError(wrapped), time: now });
    }
    // Which of its top-level actors restart (permanent and transient ones, within their restart
    // intensity); the rest, and every child actor, are gone.
    const restart: SpawnRecord[] = [];
    if (running && !wasStuck) {
      for (const rec of handle.actors.values()) {
        if (rec.stopping) continue;
        if (rec.restart === 'temporary') {
          this.events.add({ type: 'stop', actor: rec.path, reason: `${handle.label} died; a temporary actor is not restarted`, time: now });
        } else if ((blamed === undefined || blamed === rec) && !rec.intensity.tryRestart(performance.now())) {
          // The death counts against the restart intensity of the actor it is blamed on; the
          // others went down with it and restart without being charged (when nothing is to
          // blame, each of them is).
          this.escalateToRoot(rec, `${handle.label} died${blamed === rec ? ` in ${rec.path}'s code` : ''} and ${rec.path} had no restarts left (maxRestarts)`);
        } else {
          restart.push(rec);
        }
      }
    }
    const keep = new Set(restart.map((r) => r.id));
    for (const rec of handle.actors.values()) if (!keep.has(rec.id)) this.unexpose(handle.thread, rec);
    handle.actors.clear();
    for (const [name, ref] of this.names) {
      if (ref && ref.thread === handle.thread && !keep.has(ref.id)) this.names.delete(name);
    }
    this.replacedAt.push(Date.now());
    this.events.add({ type: 'worker-died', worker: handle.thread - 1, lost: lost + suspended + (culpritId !== 0 && from >= 0 ? 1 : 0), reason,
      ...(culprit ? { actor: culprit } : {}), error: toWireError(err), time: now });
    if (!running) return;
    this.log.error({ err, worker: handle.thread - 1, lost, actor: culprit, reason }, `host worker died; ${restart.length} actor(s) restart on a replacement`);
    // Replaced even with nothing to restart (a dedicated worker's temporary actor, say): the
    // replacement reads its rings, so mail still coming to its dead actors is dead-lettered
    // `no-such-actor` (and asks rejected) rather than left in flight, and watchers hear of them.
    if (!this.mayReplace(handle.thread)) {
      this.log.fatal({ worker: handle.thread - 1 }, `${handle.label} died ${MAX_REPLACEMENTS} times within ${REPLACEMENT_WINDOW_MS} ms; not replaced again`);
      for (const rec of restart) this.escalateToRoot(rec, `${handle.label} keeps dying`);
      return;
    }
    void this.replace(handle, restart);
  }

  /** Bounds replacements of one thread (a worker that dies as it starts must not loop forever). */
  private mayReplace(thread: number): boolean {
    const now = performance.now();
    const times = (this.replacements.get(thread) ?? []).filter((t) => now - t < REPLACEMENT_WINDOW_MS);
    if (times.length >= MAX_REPLACEMENTS) return false;
    times.push(now);
    this.replacements.set(thread, times);
    return true;
  }

  /** Rejects ask `corr` of thread `thread` (the message it asked about is lost). */
  private rejectAsk(thread: number, corr: number, replier: number, err: TroupeError): void {
    if (corr === 0) return;
    if (thread === MAIN_THREAD) {
      this.asks.fail(corr, err);
      return;
    }
    const host = this.hosts[thread];
    if (!host || !host.alive) return;
    // A reply like any other: counted as sent here, as processed where it lands.
    this.mesh.send(thread, ASK_TABLE, replier, corr, K_REPLY_ERROR, toWireError(err));
    this.mainStats[S_SENT]!++;
  }

  private escalateToRoot(rec: SpawnRecord, reason: string): void {
    const now = Date.now();
    this.events.add({ type: 'escalate', actor: rec.path, to: '/user', reason, time: now });
    this.mainStats[S_ROOT_ESCALATIONS]!++;
    this.mainStats[S_LAST_ESCALATION_AT] = now;
    this.log.error({ actor: rec.path }, `failure escalated to the top (${reason}); it stays stopped`);
  }

  /** Starts a host on the dead one's thread index, rings and counters, and restarts its actors there. */
  private async replace(dead: HostHandle, restart: SpawnRecord[]): Promise<void> {
    let host: HostHandle;
    let restored!: () => void;
    const done = new Promise<void>((resolve) => { restored = resolve; });
    const starting = this.startHost(dead.thread, dead.pool, dead.dedicated, dead, restart.map((r) => r.id));
    // A stop or spawn on this thread waits until the actors are back (startHost set hosts[thread]).
    const attempt = this.hosts[dead.thread]!;
    attempt.restored = done;
    try {
      host = await starting;
    } catch (err) {
      restored();
      if (this.state !== 'running') return;
      this.log.error({ err, worker: dead.thread - 1 }, 'could not replace a dead host worker; its actors stay stopped');
      for (const rec of restart) this.escalateToRoot(rec, `${dead.label} could not be replaced`);
      // Unless the attempt's own death already started another one.
      if (this.hosts[dead.thread] === attempt) this.hosts[dead.thread] = dead;
      return;
    }
    const restarted: number[] = [];
    try {
      if (this.state !== 'running') return;
      // All at once: an init may ask a sibling restored after it (its mail waits until restored()).
      await Promise.all(restart.map(async (rec) => {
        // On the replacement's list before its spawn: if the replacement dies meanwhile (another
        // actor's init took it down, say), this one is among those its own replacement restarts.
        host.actors.set(rec.id, rec);
        try {
          await host.control.call('spawn', [{ ...rec.req, id: rec.id }], this.controlTimeoutMs + (rec.req.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS));
          restarted.push(rec.id);
        } catch (err) {
          if (host.died) return; // (hostDied took it over)
          host.actors.delete(rec.id);
          this.log.error({ err, actor: rec.path }, 'restart on the replacement worker failed; it stays stopped');
          this.events.add({ type: 'stop', actor: rec.path, reason: `restart failed: ${(err as Error).message}`, time: Date.now() });
          if (rec.name !== undefined) this.forget(rec.name, dead.thread, rec.id);
          this.unexpose(dead.thread, rec);
        }
      }));
      if (host.died) return;
      await host.control.call('restored', [], this.controlTimeoutMs).catch((err) =>
        this.log.error({ err, worker: dead.thread - 1 }, 'replacement worker: restored() failed'));
    } finally {
      restored();
    }
    if (this.state !== 'running' || host.died) return;
    const now = Date.now();
    host.stats[S_RESTARTS]! += restarted.length;
    if (restarted.length > 0) host.stats[S_LAST_RESTART_AT] = now;
    this.events.add({ type: 'worker-replaced', worker: dead.thread - 1, restarted: restart.filter((r) => restarted.includes(r.id)).map((r) => r.path), time: now });
    this.log.warn({ worker: dead.thread - 1, restarted: restarted.length }, 'host worker replaced');
    // Watchers elsewhere: watch the restarted actors anew, and hear that the others are gone.
    for (const h of this.hosts) {
      if (h && h.alive && h !== host) h.events.postMessage({ t: 'peer-replaced', thread: dead.thread, restarted });
    }
  }

  /** The watchdog: a host whose heartbeat is older than maxHandlerMs is blocked; terminate it. */
  private checkHeartbeats(): void {
    if (this.state !== 'running') return;
    const now = performance.timeOrigin + performance.now();
    for (const h of this.hosts) {
      if (!h || !h.alive || h.runaway) continue;
      const beat = h.stats[S_HEARTBEAT]!;
      if (beat > 0 && now - beat > this.maxHandlerMs) this.terminateRunaway(h, now - beat);
    }
  }

  private terminateRunaway(h: HostHandle, blockedMs: number): void {
    h.runaway = true;
    const id = h.stats[S_CUR_ACTOR]!;
    const actor = id === 0 ? undefined : h.actors.get(id)?.path ?? `@${h.thread}.${id}`;
    this.events.add({ type: 'runaway', worker: h.thread - 1, ...(actor ? { actor } : {}), blockedMs: Math.round(blockedMs), time: Date.now() });
    this.log.error({ worker: h.thread - 1, actor, blockedMs: Math.round(blockedMs), maxHandlerMs: this.maxHandlerMs },
      'host worker blocked past maxHandlerMs; terminating it');
    const worker = h.pool.threads.find((w) => w.threadId === h.workerThreadId);
    if (!worker) return;
    const timer = setTimeout(() => this.stuck(h), this.terminateTimeoutMs);
    timer.unref();
    void worker.terminate().finally(() => clearTimeout(timer));
  }

  /**
   * terminate() did not finish in time (the thread is stuck in native code, where V8 cannot stop
   * it): its actors escalate to the root and stay stopped. If the thread ever exits, a fresh
   * host takes its place (with no actors).
   */
  private stuck(h: HostHandle): void {
    if (h.died || this.state !== 'running') return;
    h.stuck = true;
    h.alive = false;
    h.died = true;
    const err = new TroupeError('ERR_TROUPE_WORKER_FAILED', `${h.label} could not be terminated within ${this.terminateTimeoutMs} ms`);
    h.control.kill(err);
    this.events.add({ type: 'worker-stuck', worker: h.thread - 1, time: Date.now() });
    this.log.fatal({ worker: h.thread - 1, terminateTimeoutMs: this.terminateTimeoutMs }, 'host worker stuck: terminate() did not finish; its actors escalate');
    for (const rec of h.actors.values()) {
      this.escalateToRoot(rec, `${h.label} is stuck and could not be terminated`);
      this.unexpose(h.thread, rec);
    }
    for (const [name, ref] of this.names) if (ref && ref.thread === h.thread) this.names.delete(name);
    h.actors.clear();
  }

  private onHostEvent(handle: HostHandle, m: HostToMain): void {
    switch (m.t) {
      case 'need-link':
        this.link(handle.thread, m.to);
        return;
      case 'dead-letters':
        for (const entry of m.entries) this.deadLetters.add(entry);
        return;
      case 'events':
        for (const e of m.events) this.events.add(e);
        return;
      case 'closed':
        handle.onClosed();
        return;
    }
  }

  private onMainNotice(n: MainNotice): void {
    if (n.t === 'exit') {
      const rec = this.hosts[n.thread]?.actors.get(n.id);
      if (rec) this.unexpose(n.thread, rec);
      this.hosts[n.thread]?.actors.delete(n.id);
      return;
    }
    if (n.t === 'event') {
      this.events.add(n.event);
      return;
    }
    if (n.t === 'error') {
      this.errors.add(n.event);
      return;
    }
    const cur = this.names.get(n.name);
    if (n.t === 'name') {
      if (cur === undefined || cur === null) this.names.set(n.name, new ActorRef(n.path, n.thread, n.id, this));
    } else {
      this.forget(n.name, n.thread, n.id);
    }
  }

  private unexpose(thread: number, rec: SpawnRecord): void {
    if (!rec.expose) return;
    this.exposed.delete(`${thread}.${rec.id}`);
    this.remote?.unexpose(rec.name!);
  }

  /** Drops a name if (and only if) that actor still holds it. */
  private forget(name: string, thread: number, id: number): void {
    const cur = this.names.get(name);
    if (cur && cur.thread === thread && cur.id === id) this.names.delete(name);
  }

  /** Allocates the ring from → to (once) and hands each side its end. */
  private link(from: number, to: number): void {
    const key = from * 65536 + to;
    if (this.links.has(key)) return;
    const ring = Ring.allocate(this.tuning.ringBytes);
    const src = from === MAIN_THREAD ? null : this.hosts[from];
    const dst = to === MAIN_THREAD ? null : this.hosts[to];
    if ((from !== MAIN_THREAD && !src) || (to !== MAIN_THREAD && !dst)) {
      this.log.error({ from, to }, 'link requested to a thread that does not exist');
      return;
    }
    this.links.set(key, ring);
    const { port1, port2 } = new MessageChannel();
    const fromBell = src ? src.doorbell : this.mainDoorbell;
    const toBell = dst ? dst.doorbell : this.mainDoorbell;
    if (src) src.events.postMessage({ t: 'link-out', to, ring, port: port1, doorbell: toBell }, [port1]);
    else this.mesh.attachOut(to, ring, port1, toBell);
    if (dst) dst.events.postMessage({ t: 'link-in', from, ring, port: port2, doorbell: fromBell }, [port2]);
    else this.mesh.attachIn(from, ring, port2, fromBell);
  }

  // ------------------------------------------------------------------------------------------
  // Spawning and names

  /** Starts an actor from a module whose default export is a defineActor() result. */
  async spawn(module: URL | string, options: SpawnOptions = {}): Promise<ActorRef> {
    this.assertRunning();
    const url = moduleUrl(module);
    // Checked here so a bad option throws at the call, not in a worker.
    checkSpawnOptions(options);
    const { name, args, placement = 'shared' } = options;
    const mailbox = options.mailbox === undefined ? undefined : mailboxOptions(options.mailbox);
    const { restart, supervision, circuitBreaker, shutdownMs: stopWaitMs, initTimeoutMs } = options;
    const expose = options.expose === true || options.expose === 'replace';
    if (args !== undefined) {
      try { this.encodeArgs(args); } catch (err) {
        throw new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `args must be plain data (as messages are): ${(err as Error).message}`, { cause: err });
      }
    }
    if (name !== undefined) {
      if (this.names.has(name)) throw new TroupeError('ERR_TROUPE_NAME_TAKEN', `an actor named ${JSON.stringify(name)} is already running`);
      this.names.set(name, null); // reserved while it starts
    }
    let host: HostHandle | undefined;
    try {
      // place() counts the spawn on its host before any await, so concurrent spawns spread out.
      host = await this.place(placement, options.resourceLimits);
      const req: SpawnRequest = { url, name, mailbox, restart, supervision, circuitBreaker, shutdownMs: stopWaitMs, initTimeoutMs, ...this.encodeArgs(args) };
      // init has initTimeoutMs of its own (ERR_TROUPE_INIT_TIMEOUT): the call waits for that first.
      const reply = await host.control.call('spawn', [req], this.controlTimeoutMs + (initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS));
      const policy = supervisorOptions(supervision);
      host.actors.set(reply.id, { id: reply.id, path: reply.path, name, req, restart: restartType(restart),
        intensity: new RestartIntensity(policy.maxRestarts, policy.withinMs), expose });
      const ref = new ActorRef(reply.path, host.thread, reply.id, this);
      if (expose) await this.expose(host, reply.id, name!, ref, options.expose === 'replace');
      if (name !== undefined) this.names.set(name, ref);
      return ref;
    } catch (err) {
      if (name !== undefined && this.names.get(name) === null) this.names.delete(name);
      if (host?.dedicated) await this.closeHost(host);
      throw err;
    } finally {
      if (host) host.placing--;
    }
  }

  /**
   * Makes a new actor reachable from other nodes. If its name is another node's
   * (ERR_TROUPE_NAME_TAKEN), the actor is stopped again and the error thrown: the spawn fails.
   */
  private async expose(host: HostHandle, id: number, name: string, ref: ActorRef, replace: boolean): Promise<void> {
    this.exposed.add(`${host.thread}.${id}`);
    try {
      await this.remote?.expose(name, ref, replace);
    } catch (err) {
      this.exposed.delete(`${host.thread}.${id}`);
      const rec = host.actors.get(id);
      if (rec) rec.stopping = true;
      const released = await host.control.call('stop', [id], this.controlTimeoutMs).catch(() => []);
      host.actors.delete(id);
      for (const r of released) this.forget(r.name, host.thread, r.id);
      throw err;
    }
  }

  /**
   * Args travel encoded like messages, so refs in them arrive as live refs; SharedArrayBuffers in
   * them go beside the bytes (the control call clones them: shared, as in a message).
   */
  private encodeArgs(args: unknown): { argsBytes?: Uint8Array; argsSlots?: unknown[] } {
    if (args === undefined) return {};
    const bytes = this.mesh.codec.tryEncode(args);
    if (bytes !== null) return { argsBytes: new Uint8Array(bytes) };
    const posted = this.mesh.codec.encodeForPost(args, []);
    return { argsBytes: posted.bytes, argsSlots: posted.slots };
  }

  private async place(placement: Placement, resourceLimits: ResourceLimits | undefined): Promise<HostHandle> {
    if (placement === 'shared') {
      let best: HostHandle | undefined;
      let bestLoad = Infinity;
      for (let t = 1; t <= this.workers; t++) {
        const h = this.hosts[t];
        if (!h || !h.alive) continue;
        const load = h.stats[S_ACTORS]! + h.placing + h.stats[S_QUEUED]! / 64;
        if (load < bestLoad) { best = h; bestLoad = load; }
      }
      if (!best) throw new TroupeError('ERR_TROUPE_WORKER_FAILED', 'no live host worker to place the actor on');
      best.placing++;
      return best;
    }
    if (placement === 'dedicated') {
      const pool = this.newPool(1, resourceLimits);
      const h = await this.startHost(this.nextThread++, pool, true);
      h.placing++;
      return h;
    }
    if (placement !== null && typeof placement === 'object' && Number.isInteger(placement.worker)) {
      const h = this.hosts[placement.worker + 1];
      if (placement.worker < 0 || placement.worker >= this.workers || !h) {
        throw invalidArgument('placement.worker', `an integer from 0 to ${this.workers - 1}`, placement.worker);
      }
      if (!h.alive) throw new TroupeError('ERR_TROUPE_WORKER_FAILED', `worker ${placement.worker} is not running`);
      h.placing++;
      return h;
    }
    throw invalidArgument('placement', "'shared', 'dedicated' or { worker: k }", placement);
  }

  /**
   * Starts a stateless pool actor on threads of its own (up to `size`; see PoolOptions): each
   * message runs as a piscina task on a free one. Resolves once the module loaded and init ran on
   * the first thread; rejects with its error, or ERR_TROUPE_INIT_TIMEOUT after controlTimeoutMs.
   */
  async spawnPool(module: URL | string, options: PoolOptions = {}): Promise<PoolRef> {
    this.assertRunning();
    const url = moduleUrl(module);
    if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object', options);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) throw invalidArgument('name', 'a non-empty string', options.name);
    const name = options.name ?? `pool-${this.nextPool++}`;
    const pool = new PoolRef(url, name, options, {
      maxHandlerMs: this.maxHandlerMs, controlTimeoutMs: this.controlTimeoutMs, terminateTimeoutMs: this.terminateTimeoutMs, logLevel: this.logLevel,
    }, {
      log: this.log, stats: this.mainStats, running: () => this.state === 'running',
      deadLetter: (entry) => this.deadLetters.add(entry), event: (e) => this.events.add(e),
    });
    // In the set while it starts, so a shutdown meanwhile ends its threads too.
    this.pools.add(pool);
    try {
      await pool.start();
    } catch (err) {
      this.pools.delete(pool);
      throw err;
    }
    return pool;
  }

  /** The live actor with this name (or child path, e.g. `/user/orders/audit`), if any. */
  lookup(name: string): ActorRef | undefined {
    if (typeof name !== 'string') throw invalidArgument('name', 'a string', name);
    return this.names.get(name) ?? this.remote?.lookup(name);
  }

  /**
   * Like lookup, but waits (up to `timeoutMs`, default 5 000) for the name to appear: an actor
   * exposed on another node is known here a moment after it starts there.
   */
  async resolve(name: string, options: { timeoutMs?: number } = {}): Promise<ActorRef | undefined> {
    const found = this.lookup(name);
    if (found !== undefined || this.remote === null) return found;
    return this.remote.resolve(name, options.timeoutMs ?? 5000);
  }

  /** Stops an actor (after its current message) and its children; resolves when it has stopped. */
  async stop(ref: ActorRef): Promise<void> {
    if (!(ref instanceof ActorRef)) throw invalidArgument('ref', 'an ActorRef', ref);
    // A ref of another system (or node) names an actor there: its (thread, id) here is another actor.
    if (ref.node !== undefined || refTransport(ref) !== this) {
      throw new TroupeError('ERR_TROUPE_FOREIGN_REF', `${ref.toString()} is not an actor of system ${this.name}${ref.node !== undefined ? ` (it lives on node ${ref.node})` : ''}; stop it through its own system`,
        { details: { ref: ref.path } });
    }
    let host = this.hosts[ref.thread];
    await host?.restored;
    host = this.hosts[ref.thread];
    if (!host || !host.alive) return;
    // If its worker dies while it stops, it stays stopped.
    const rec = host.actors.get(ref.id);
    if (rec) rec.stopping = true;
    let released: { name: string; id: number }[] = [];
    try {
      // A stop waits up to shutdownMs for a running handler, and as long again for postStop.
      released = await host.control.call('stop', [ref.id], this.controlTimeoutMs + 2 * (rec?.req.shutdownMs ?? 5000));
    } catch (err) {
      // Its worker died meanwhile: it is stopped all the same (and not restarted).
      if ((err as TroupeError).code !== 'ERR_TROUPE_WORKER_FAILED') {
        // No answer: main lets go of it anyway (its name is free), and says so.
        host.actors.delete(ref.id);
        if (rec?.name !== undefined) this.forget(rec.name, ref.thread, ref.id);
        throw err;
      }
    }
    host.actors.delete(ref.id);
    for (const { name, id } of released) this.forget(name, ref.thread, id);
    if (host.dedicated) await this.closeHost(host);
  }

  // ------------------------------------------------------------------------------------------
  // Messages (RefTransport)

  tell(ref: ActorRef, msg: unknown, options: TellOptions | undefined): void {
    this.assertRunning();
    const transfer = checkTellOptions(options);
    if (ref.node !== undefined) {
      this.remoteOrThrow().send({ node: ref.node, incarnation: ref.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, msg, MAIN_THREAD, 0, 0, undefined,
        options?.delivery === 'at-most-once', false);
      this.mainStats[S_SENT]!++;
      return;
    }
    this.mesh.send(ref.thread, ref.id, 0, 0, K_TELL, msg, transfer);
    this.mainStats[S_SENT]!++;
  }

  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined): Promise<unknown> {
    if (this.state !== 'running') return Promise.reject(stopped());
    const { corr, promise } = this.asks.open(ref.path, options);
    if (corr === 0) return promise;
    try {
      if (ref.node !== undefined) {
        this.remoteOrThrow().send({ node: ref.node, incarnation: ref.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, msg, MAIN_THREAD, 0, corr,
          options?.timeoutMs, options?.delivery === 'at-most-once', false);
      } else {
        // asks.open checked the options.
        this.mesh.send(ref.thread, ref.id, 0, corr, K_ASK, msg, options?.transfer);
      }
    } catch (err) {
      this.asks.fail(corr, err);
      return promise;
    }
    this.mainStats[S_SENT]!++;
    return promise;
  }

  private remoteOrThrow(): NodeBridge {
    if (this.remote === null) {
      throw new TroupeError('ERR_TROUPE_NODE_UNREACHABLE', 'a ref to an actor on another node, but this system has no NATS: createActorSystem({ nats: { servers } })');
    }
    return this.remote;
  }

  private deliver(from: number, target: number, sender: number, corr: number, kind: number, value: unknown): void {
    if (kind === K_RECEIPT) {
      this.remote?.onReceipt(target, sender, value as never);
      return;
    }
    if (kind === K_REMOTE) {
      if (this.remote) this.remote.fromHost(from, sender, corr, value as RemoteSend);
      else {
        this.mainStats[S_DEAD_LETTERED]!++;
        const s = value as RemoteSend;
        this.deadLetters.add({ reason: 'node-unreachable', target: `${s.node}:${s.path}`, sender: `@${from}.${sender}`, message: s.msg, time: Date.now() });
      }
      return;
    }
    if ((kind === K_TELL || kind === K_ASK) && target !== 0 && this.remote?.toProxy(target, from, sender, corr, value)) return;
    if (kind === K_REPLY || kind === K_REPLY_ERROR) {
      this.asks.settle(corr, kind, value);
      return;
    }
    if (kind === K_SYSTEM) {
      this.onMainNotice(value as MainNotice);
      return;
    }
    if (kind === K_TELL || kind === K_ASK) {
      // Nothing lives on main: mail to it (e.g. ctx.reply to a tell from outside) is dead.
      this.mainStats[S_DEAD_LETTERED]!++;
      this.deadLetters.add({ reason: 'no-such-actor', target: `@0.${target}`, sender: `@${from}.${sender}`, message: value, time: Date.now() });
    }
  }

  /**
   * A record for main that cannot be delivered (mesh.ts, Undeliverable): counted and
   * dead-lettered; a reply's ask fails at once, and a host's ask (to main's proxies or another
   * node) is rejected.
   */
  private undeliverable(from: number, target: number, sender: number, corr: number, kind: number,
    reason: 'worker-died' | 'undecodable', bytes: number, error: Error | null): void {
    if (kind >= K_SYSTEM) {
      this.log.error({ from, target, kind, reason, err: error }, 'a system record could not be delivered; skipped');
      return;
    }
    this.mainStats[S_DEAD_LETTERED]!++;
    const reply = kind === K_REPLY || kind === K_REPLY_ERROR;
    const err = undeliverableError(reason, reply ? 'main' : `@0.${target}`, bytes, error);
    this.deadLetters.add({ reason, target: reply ? `ask #${corr}` : `@0.${target}`, sender: sender === 0 ? null : `@${from}.${sender}`,
      message: { bytes }, error: toWireError(err), time: Date.now() });
    if (reply) this.asks.fail(corr, err);
    else if ((kind === K_ASK || kind === K_REMOTE) && corr !== 0) this.rejectAsk(from, corr, target, err);
  }

  // ------------------------------------------------------------------------------------------
  // Stats and shutdown

  /** Counts over all threads, read from shared memory (no round trip to the workers). */
  async stats(): Promise<SystemStats> {
    return this.statsNow();
  }

  private statsNow(): SystemStats {
    const sum = (slot: number) => {
      let n = this.mainStats[slot]!;
      for (const h of this.hosts) if (h) n += h.stats[slot]!;
      return n;
    };
    const sent = sum(S_SENT);
    const processed = sum(S_PROCESSED);
    const deadLettered = sum(S_DEAD_LETTERED);
    const queued = sum(S_QUEUED);
    return {
      sent, processed, deadLettered, queued, inFlight: sent - processed - deadLettered - queued - sum(S_RETURNED),
      failed: sum(S_FAILED), returned: sum(S_RETURNED), actors: sum(S_ACTORS), turns: sum(S_TURNS),
    };
  }

  /** The system's health now; the rule for each status is in SystemHealth's doc. */
  health(): SystemHealth {
    const hosts = this.hosts.filter((h): h is HostHandle => !!h);
    const sum = (slot: number) => hosts.reduce((n, h) => n + h.stats[slot]!, this.mainStats[slot]!);
    const latest = (slot: number) => hosts.reduce((n, h) => Math.max(n, h.stats[slot]!), 0);
    const since = Date.now() - this.healthWindowMs;
    const processed = sum(S_PROCESSED);
    const failed = sum(S_FAILED);
    const openBreakers = sum(S_OPEN_BREAKERS);
    const dead = hosts.filter((h) => h.died && !h.stuck).length;
    const stuck = hosts.filter((h) => h.stuck).length;
    while (this.replacedAt.length > 0 && this.replacedAt[0]! < since) this.replacedAt.shift();
    const critical: string[] = [];
    const degraded: string[] = [];
    if (this.state === 'running') {
      this.sampleHealth();
      this.judgeLinks(critical);
      const tooMany = this.signals.tooManyDeadLetters();
      if (tooMany) degraded.push(`${tooMany.dead} of ${tooMany.handled} message(s) handled within the health window were dead-lettered (over 1 %)`);
    }
    let liveShared = 0;
    for (let t = 1; t <= this.workers; t++) if (this.hosts[t]?.alive) liveShared++;
    if (liveShared === 0 && this.state === 'running') critical.push('no host worker is alive');
    if (dead > 0) critical.push(`${dead} worker(s) dead and not replaced`);
    if (stuck > 0) critical.push(`${stuck} worker(s) stuck: terminate() did not finish`);
    if (Math.max(latest(S_LAST_ESCALATION_AT), this.mainStats[S_LAST_ESCALATION_AT]!) >= since) critical.push('a failure escalated to the top of the tree');
    if (this.remote && !this.remote.connected) {
      const why = this.remote.refused ? "NATS refuses this node's credentials (ERR_TROUPE_NATS_AUTH)" : 'NATS unreachable';
      degraded.push(`${why}: ${this.remote.outboxSize} message(s) wait in the outbox`);
    }
    if (this.remote) degraded.push(...this.remote.healthReasons());
    if (this.replacedAt.length > 0) degraded.push(`${this.replacedAt.length} worker death(s) recently (each replaced)`);
    if (openBreakers > 0) degraded.push(`${openBreakers} circuit breaker(s) open`);
    if (latest(S_LAST_RESTART_AT) >= since) degraded.push('an actor restarted recently');
    else if (latest(S_LAST_FAILURE_AT) >= since) degraded.push('an actor failed recently');
    for (const pool of this.pools) pool.judge(since, critical, degraded);
    // Once shut down, the rest is what shutting down does (workers closed): not news.
    if (this.state !== 'running') degraded.length = critical.length = 0;
    return {
      status: this.state !== 'running' ? 'stopped' : critical.length > 0 ? 'critical' : degraded.length > 0 ? 'degraded' : 'healthy',
      actors: sum(S_ACTORS), restarts: sum(S_RESTARTS), openBreakers, deadLetters: sum(S_DEAD_LETTERED),
      processed, failed, successRate: processed + failed === 0 ? 1 : processed / (processed + failed),
      workers: { total: hosts.length, alive: hosts.filter((h) => h.alive).length },
      reasons: this.state === 'running' ? [...critical, ...degraded] : [this.state === 'stopping' ? 'the system is shutting down' : 'the system is stopped'],
      ...(this.remote ? { nats: { connected: this.remote.connected, outbox: this.remote.outboxSize } } : {}),
    };
  }

  /** Samples the counts and the rings for health (health-signals.ts). */
  private sampleHealth(): void {
    let handled = this.mainStats[S_PROCESSED]! + this.mainStats[S_DEAD_LETTERED]!;
    let dead = this.mainStats[S_DEAD_LETTERED]!;
    for (const h of this.hosts) {
      if (!h) continue;
      handled += h.stats[S_PROCESSED]! + h.stats[S_DEAD_LETTERED]!;
      dead += h.stats[S_DEAD_LETTERED]!;
    }
    this.signals.sample(performance.now(), handled, dead, this.links);
  }

  /**
   * Critical: records that wait on a ring whose live consumer has not taken one for maxHandlerMs
   * (30 s with the watchdog off). A dead consumer is its own reason.
   */
  private judgeLinks(critical: string[]): void {
    const limit = this.maxHandlerMs > 0 ? this.maxHandlerMs : 30_000;
    const label = (t: number) => (t === MAIN_THREAD ? 'main' : this.hosts[t]?.label ?? `thread ${t}`);
    for (const key of this.signals.stuckLinks(performance.now(), limit)) {
      const from = Math.floor(key / 65536);
      const to = key % 65536;
      if (to !== MAIN_THREAD && !this.hosts[to]?.alive) continue;
      critical.push(`records from ${label(from)} to ${label(to)} have waited ${limit} ms or more with none taken (a wedged link)`);
    }
  }

  /**
   * Drains (waits until no mail is queued or in flight, up to `timeoutMs`), then stops every
   * actor, children before parents, and the workers (the pools' threads too). Mail still queued
   * (or running in a pool) then is dead-lettered (reason `actor-stopped`). Pending asks from main reject with ERR_TROUPE_SYSTEM_STOPPED.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(options.timeoutMs ?? 10_000);
    return this.shutdownPromise;
  }

  private async doShutdown(timeoutMs: number): Promise<void> {
    this.state = 'stopping';
    if (this.watchdog) clearInterval(this.watchdog);
    clearInterval(this.sampler);
    // Nothing more from other nodes: what is not taken stays in this node's stream for its next start.
    this.remote?.stopReceiving();
    const deadline = performance.now() + timeoutMs;
    const live = () => this.hosts.filter((h): h is HostHandle => !!h && h.alive);
    // Pools first: nothing on the hosts sends to them (a PoolRef stays on main).
    await withDeadline(Promise.all([...this.pools].map((p) => p.drained())), timeoutMs);
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.log.warn(this.statsNow(), 'shutdown: mail still queued at the deadline; it is dead-lettered');
        break;
      }
      const idle = await Promise.all(live().map((h) =>
        h.control.call('idle', [Math.max(1, Math.floor(left))], left + 1000).catch(() => true)));
      const s = this.statsNow();
      // Mail toward a dead worker stays in flight for good; do not wait for it.
      const anyDead = this.hosts.some((h) => h && !h.alive);
      if (idle.every(Boolean) && s.queued === 0 && (s.inFlight === 0 || anyDead) && this.asks.size === 0 && this.mesh.quiet()) break;
      if (idle.every(Boolean)) await new Promise((r) => setImmediate(r)); // mail in flight between idle hosts
    }
    // What is left in the pools is dead-lettered `actor-stopped`, before the bridge closes.
    await Promise.all([...this.pools].map((p) => p.close(this.controlTimeoutMs)));
    await Promise.all(live().map((h) => h.control.call('stopAll', [], this.controlTimeoutMs).catch((err) =>
      this.log.error({ err: toWireError(err) }, 'shutdown: stopping actors failed'))));
    this.state = 'stopped';
    // Pending asks (relayed ones too, whose error replies then go out) before the bridge closes.
    this.asks.closeAll();
    // Dead letters of the stops, and whatever else waits in the outbox, go out before the connection closes.
    await this.remote?.close(Math.max(1000, deadline - performance.now())).catch((err) =>
      this.log.error({ err }, 'shutdown: closing the NATS bridge failed'));
    await Promise.all(this.hosts.map((h) => (h ? this.closeHost(h) : undefined)));
    this.discardLeftovers();
    // A thread stuck in native code never exits: do not wait for it forever.
    await withDeadline(this.shared.destroy(), this.controlTimeoutMs);
    this.mesh.close();
    clearInterval(this.keepAlive);
    this.log.debug('actor system stopped');
  }

  private async closeHost(h: HostHandle): Promise<void> {
    if (h.alive) {
      h.alive = false;
      h.control.close();
      // The host says 'closed' on its events port after its last dead letters, so none is lost.
      h.exited = await Promise.race([h.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), this.controlTimeoutMs).unref())]);
      this.mesh.drainFrom(h.thread);
    }
    h.events.close();
    h.control.dispose();
    if (h.dedicated) await withDeadline(h.pool.destroy(), this.controlTimeoutMs);
  }

  /**
   * After the hosts closed: mail that will never be read, left in rings toward threads that
   * closed (or died) and in main's own spills, is dead-lettered `actor-stopped`, so that what the
   * shutdown's log calls dead-lettered is, and the counts close.
   */
  private discardLeftovers(): void {
    const now = Date.now();
    const dead = (from: number, to: number, target: number, sender: number, corr: number, kind: number, value: unknown) => {
      if (kind >= K_SYSTEM) return;
      this.mainStats[S_DEAD_LETTERED]!++;
      this.deadLetters.add({ reason: 'actor-stopped', target: kind === K_REPLY || kind === K_REPLY_ERROR ? `ask #${corr}` : `@${to}.${target}`,
        sender: sender === 0 ? null : `@${from}.${sender}`, message: value ?? '[not read: the system stopped]', time: now });
    };
    this.mesh.discardSpilled((to, target, sender, corr, kind, value) => dead(MAIN_THREAD, to, target, sender, corr, kind, value));
    const codec = this.mesh.codec;
    for (const [key, ring] of this.links) {
      const from = Math.floor(key / 65536);
      const to = key % 65536;
      // main reads its own once more (a port message a marker waited for may have come since);
      // what still waits then never comes. A consumer that did not close may still be reading.
      if (to === MAIN_THREAD) this.mesh.drainFrom(from);
      else if (!this.hosts[to]?.exited) continue;
      new RingReader(ring).read((target, sender, corr, kind, bytes, start, len) => {
        let value: unknown = null;
        if ((kind & F_POSTED) === 0) try { value = codec.decodeShared(bytes, start, len); } catch { value = null; }
        dead(from, to, target, sender, corr, kind & KIND_MASK, value);
      }, Number.MAX_SAFE_INTEGER);
    }
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw stopped();
  }
}

/** Waits for `p`, but not longer than `ms`. */
async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

function stopped(): TroupeError {
  return new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', 'the actor system is shutting down or stopped');
}

function moduleUrl(module: URL | string): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') throw invalidArgument('module', 'a URL or an absolute path', module);
  if (isAbsolute(module)) return pathToFileURL(module).href;
  try {
    return new URL(module).href;
  } catch {
    throw invalidArgument('module', 'a URL (new URL("./x.actor.js", import.meta.url)) or an absolute path', module);
  }
}

/** Starts an actor system: its host workers are up when the promise resolves. */
export async function createActorSystem(options: SystemOptions = {}): Promise<ActorSystem> {
  // The bridge is loaded only for a system given NATS: a local one loads no NATS client.
  const nats = options !== null && typeof options === 'object' && (options.nats !== undefined || (process.env.TROUPE_NATS_URL ?? '') !== '');
  const system = new ActorSystem(options, nats ? await import('../../bridge/index.js') : null);
  await system.start();
  return system;
}

