/**
 * main's view of the host workers: one HostHandle per thread index (1..workers shared, then one
 * per dedicated worker), the piscina pools they run in, and starting and closing them. A host is
 * a piscina task that lives as long as its worker; a load balancer puts each on a worker that has
 * none.
 */
import { allocateDepths } from '../mailbox-depths.js';
import { MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import type { RestartIntensity } from '../../supervision/intensity.js';
import type { RestartType } from '../../supervision/options.js';
import { allocateBusyAsks } from '../busy-asks.js';
import { STATS_SLOTS } from '../constants.js';
import { allocateDoorbell } from '../mesh/doorbell.js';
import type { HostStart, HostToMain, LinkIn, LinkOut, MainToHost, SpawnRequest, Tuning } from '../protocol.js';
import { ControlClient } from './control.js';
import { withDeadline } from './deadline.js';
import { workerLimits } from '../worker-limits.js';

const HOST_WORKER = new URL('../host/host-worker.js', import.meta.url);
const queueOptions = Piscina.queueOptionsSymbol;

/** How main re-creates a top-level actor when its worker dies. */
export interface SpawnRecord {
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

export interface HostHandle {
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
  /** Its mailbox-depth table's chunks (mailbox-depths.ts): each actor's queued count. */
  depths: Int32Array[];
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
  /** Its events port caught up with main's `sync` number `n` (see Hosts.sync). */
  synced(n: number): void;
  syncs: Map<number, () => void>;
}

/** What a host is started with (from the system's options). */
export interface HostConfig {
  systemName: string;
  workers: number;
  logLevel: string;
  tuning: Tuning;
  heartbeatMs: number;
  highWaterMark: number;
  strictMessages: boolean;
  tracing: { setup: string | null } | null;
  node: string;
  incarnation: number;
  controlTimeoutMs: number;
  /** The shared workers' limits as given (newPool fills in troupe's defaults). */
  resourceLimits: ResourceLimits | undefined;
}

/** What the hosts need of the rest of main. */
export interface HostsOwner {
  readonly log: Logger;
  onHostEvent(host: HostHandle, m: HostToMain): void;
  hostDied(host: HostHandle, err: Error): void;
  /** A replacement's links: its predecessor's rings with new ports (links.ts). */
  takeOverLinks(thread: number): (LinkIn | LinkOut)[];
  /** Delivers what main's end of the mesh holds from `thread`. */
  drainFrom(thread: number): void;
}

export class Hosts {
  /** By thread index; a dead host stays until its replacement takes its place. */
  readonly all: (HostHandle | undefined)[] = [];
  /** The pool of the shared workers. */
  readonly shared: Piscina;
  private readonly hostedOn = new Set<number>();
  private readonly threadIdOf = new Map<number, number>();
  private nextThread: number;
  private syncSeq = 0;

  constructor(private readonly config: HostConfig, private readonly owner: HostsOwner) {
    this.nextThread = config.workers + 1;
    this.shared = this.newPool(config.workers, config.resourceLimits);
  }

  get(thread: number): HostHandle | undefined {
    return this.all[thread];
  }

  /** Hosts alive now (shared and dedicated). */
  live(): HostHandle[] {
    return this.all.filter((h): h is HostHandle => !!h && h.alive);
  }

  /** Shared hosts alive now. */
  liveShared(): number {
    let n = 0;
    for (let t = 1; t <= this.config.workers; t++) if (this.all[t]?.alive) n++;
    return n;
  }

  /** `slot` of every host's counters, plus `base` (main's). */
  sum(slot: number, base = 0): number {
    let n = base;
    for (const h of this.all) if (h) n += h.stats[slot]!;
    return n;
  }

  /** Starts the shared hosts. */
  async startShared(): Promise<void> {
    await Promise.all(Array.from({ length: this.config.workers }, (_, k) => this.start(k + 1, this.shared, false)));
  }

  /** Starts a host on a worker of its own. */
  async startDedicated(resourceLimits: ResourceLimits | undefined): Promise<HostHandle> {
    return this.start(this.nextThread++, this.newPool(1, resourceLimits), true);
  }

  /** Starts a host in `dead`'s place: its thread index, rings, doorbell and counters; `restoring`: the ids it re-creates. */
  replacement(dead: HostHandle, restoring: number[]): Promise<HostHandle> {
    return this.start(dead.thread, dead.pool, dead.dedicated, dead, restoring);
  }

  /** Puts `dead` back in its place (a replacement that failed to start). */
  reinstate(dead: HostHandle): void {
    this.all[dead.thread] = dead;
  }

  /** A dead host's worker takes no more host tasks from the balancer's point of view. */
  released(h: HostHandle): void {
    this.hostedOn.delete(this.threadIdOf.get(h.thread) ?? h.workerThreadId);
  }

  /**
   * Resolves once everything host `h` posted on its events port so far (dead letters, above all)
   * has reached main: a round trip on that port, which is ordered (its control port is another).
   * At once for a host that is gone; after controlTimeoutMs at most.
   */
  sync(h: HostHandle): Promise<void> {
    if (!h.alive) return Promise.resolve();
    const n = ++this.syncSeq;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => h.synced(n), this.config.controlTimeoutMs);
      timer.unref();
      h.syncs.set(n, () => { clearTimeout(timer); resolve(); });
      h.events.postMessage({ t: 'sync', n } satisfies MainToHost);
    });
  }

  /** Closes a host (its actors stopped already): waits for its last dead letters, then lets go of its ports. */
  async close(h: HostHandle): Promise<void> {
    if (h.alive) {
      h.alive = false;
      h.control.close();
      // The host says 'closed' on its events port after its last dead letters, so none is lost.
      h.exited = await Promise.race([h.closed.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), this.config.controlTimeoutMs).unref())]);
      this.owner.drainFrom(h.thread);
    }
    h.events.close();
    h.control.dispose();
    if (h.dedicated) await withDeadline(h.pool.destroy(), this.config.controlTimeoutMs);
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
      resourceLimits: workerLimits(resourceLimits),
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
    pool.on('error', (err: Error) => this.owner.log.error({ err }, 'host worker error'));
    return pool;
  }

  /** Starts a host on thread `thread`; `previous`: the dead host it replaces (its rings, doorbell and counters). */
  private async start(thread: number, pool: Piscina, dedicated: boolean, previous?: HostHandle, restoring: number[] = []): Promise<HostHandle> {
    const c = this.config;
    const control = new MessageChannel();
    const events = new MessageChannel();
    const doorbell = previous ? previous.doorbell : allocateDoorbell();
    const busyAsks = previous ? previous.busyAsks : allocateBusyAsks();
    const stats = previous ? previous.stats.buffer as SharedArrayBuffer : new SharedArrayBuffer(STATS_SLOTS * 8);
    const depths = allocateDepths();
    let onClosed!: () => void;
    const handle: HostHandle = {
      thread, label: `worker ${thread - 1}`, pool, dedicated, workerThreadId: -1, actors: new Map(), runaway: false, stuck: false,
      restored: Promise.resolve(),
      control: new ControlClient(control.port1, `worker ${thread - 1}`),
      events: events.port1, doorbell, busyAsks, depths: [new Int32Array(depths)], stats: new Float64Array(stats), alive: true, died: false, exited: false, placing: 0,
      closed: new Promise<void>((r) => { onClosed = r; }), onClosed: () => onClosed(),
      syncs: new Map(), synced(n) { const r = this.syncs.get(n); if (r) { this.syncs.delete(n); r(); } },
    };
    this.all[thread] = handle;
    events.port1.on('message', (m: HostToMain) => this.owner.onHostEvent(handle, m));
    // A replacement takes over its predecessor's rings: its links go on the events port now (the
    // ports are transferred at once, whenever the task starts), ahead of anything else.
    if (previous) for (const link of this.owner.takeOverLinks(thread)) events.port1.postMessage(link, [link.port]);
    const start: HostStart = {
      thread, systemName: c.systemName, logLevel: c.logLevel, doorbell, stats, busyAsks, depths,
      control: control.port2, events: events.port2, tuning: c.tuning, heartbeatMs: c.heartbeatMs, highWaterMark: c.highWaterMark, restoring, node: c.node,
      strictMessages: c.strictMessages, tracing: c.tracing,
      incarnation: c.incarnation,
    };
    const task = { start, [queueOptions]: { host: thread } };
    pool.run(task, { name: 'hostTask', transferList: [control.port2, events.port2] }).then(
      (workerThreadId: number) => { this.hostedOn.delete(workerThreadId); handle.onClosed(); },
      (err: Error) => this.owner.hostDied(handle, err),
    );
    await handle.control.call('stats', [], c.controlTimeoutMs);
    handle.workerThreadId = this.threadIdOf.get(thread) ?? -1;
    return handle;
  }
}
