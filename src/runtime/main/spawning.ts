/**
 * Top-level actors from main: spawn (checked at the call, then placed on a host), placement
 * (the least loaded shared worker, one of its own, or a chosen one), stop, and pool actors.
 * Main keeps a SpawnRecord of each top-level actor: how to re-create it if its worker dies.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import { TroupeError, invalidArgument } from '../../actors/errors.js';
import { mailboxOptions } from '../../actors/mailbox.js';
import { ActorRef, refTransport, type RefTransport } from '../../actors/ref.js';
import type { SupervisionEvents } from '../../supervision/events.js';
import { RestartIntensity } from '../../supervision/intensity.js';
import { restartType, supervisorOptions } from '../../supervision/options.js';
import { S_ACTORS, S_QUEUED } from '../constants.js';
import type { Paths } from '../flow.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import { PoolRef, type PoolOptions } from '../pool/pool.js';
import type { SpawnRequest } from '../protocol.js';
import type { DeadLetters } from './dead-letters.js';
import type { HostHandle, Hosts } from './hosts.js';
import type { Names } from './names.js';
import { DEFAULT_INIT_TIMEOUT_MS } from './recovery.js';
import { checkSpawnOptions } from './spawn-options.js';
import type { Placement, SpawnOptions } from './system-types.js';

/** What spawning sees of main. */
export interface SpawningOwner {
  readonly name: string;
  readonly log: Logger;
  readonly transport: RefTransport;
  readonly workers: number;
  readonly hosts: Hosts;
  readonly names: Names;
  readonly mesh: MeshNode;
  readonly mainStats: Float64Array;
  readonly deadLetters: DeadLetters;
  readonly events: SupervisionEvents;
  readonly pools: Set<PoolRef>;
  readonly running: boolean;
  readonly controlTimeoutMs: number;
  readonly maxHandlerMs: number;
  readonly paths: Paths;
  threadGone(thread: number, forGood: boolean): void;
  readonly terminateTimeoutMs: number;
  readonly logLevel: string;
}

export class Spawning {
  private nextPool = 1;

  constructor(private readonly main: SpawningOwner) {}

  /** Starts an actor from a module whose default export is a defineActor() result. */
  async spawn(module: URL | string, options: SpawnOptions): Promise<ActorRef> {
    const main = this.main;
    const url = moduleUrl(module);
    // Checked here so a bad option throws at the call, not in a worker.
    checkSpawnOptions(options);
    const { name, args, placement = 'shared' } = options;
    // (Checked; it goes to the host as given, and is read there again.)
    const mailbox = options.mailbox;
    const mark = mailbox === undefined ? 0 : mailboxOptions(mailbox).highWaterMark;
    const { restart, supervision, circuitBreaker, shutdownMs, initTimeoutMs } = options;
    const expose = options.expose === true || options.expose === 'replace';
    if (args !== undefined) {
      try { this.encodeArgs(args); } catch (err) {
        throw new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `args must be plain data (as messages are): ${(err as Error).message}`, { cause: err });
      }
    }
    if (name !== undefined) {
      if (main.names.has(name)) throw new TroupeError('ERR_TROUPE_NAME_TAKEN', `an actor named ${JSON.stringify(name)} is already running`);
      main.names.reserve(name);
    }
    let host: HostHandle | undefined;
    try {
      // place() counts the spawn on its host before any await, so concurrent spawns spread out.
      host = await this.place(placement, options.resourceLimits);
      const req: SpawnRequest = { url, name, mailbox, restart, supervision, circuitBreaker, shutdownMs, initTimeoutMs, ...this.encodeArgs(args) };
      // init has initTimeoutMs of its own (ERR_TROUPE_INIT_TIMEOUT): the call waits for that first.
      const reply = await host.control.call('spawn', [req], main.controlTimeoutMs + (initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS));
      const policy = supervisorOptions(supervision);
      host.actors.set(reply.id, { id: reply.id, path: reply.path, name, req, restart: restartType(restart),
        intensity: new RestartIntensity(policy.maxRestarts, policy.withinMs), expose });
      const ref = new ActorRef(reply.path, host.thread, reply.id, main.transport, undefined, undefined, mark);
      if (expose) await main.names.expose(host, reply.id, name!, ref, options.expose === 'replace');
      if (name !== undefined) main.names.set(name, ref);
      return ref;
    } catch (err) {
      if (name !== undefined) main.names.unreserve(name);
      if (host?.dedicated) await this.closeDedicated(host);
      throw err;
    } finally {
      if (host) host.placing--;
    }
  }

  /** Stops a top-level or child actor (after its current message) and its children. */
  async stop(ref: ActorRef): Promise<void> {
    const main = this.main;
    if (!(ref instanceof ActorRef)) throw invalidArgument('ref', 'an ActorRef', ref);
    // A ref of another system (or node) names an actor there: its (thread, id) here is another actor.
    if (ref.node !== undefined || refTransport(ref) !== main.transport) {
      throw new TroupeError('ERR_TROUPE_FOREIGN_REF', `${ref.toString()} is not an actor of system ${main.name}${ref.node !== undefined ? ` (it lives on node ${ref.node})` : ''}; stop it through its own system`,
        { details: { ref: ref.path } });
    }
    await main.hosts.get(ref.thread)?.restored;
    const host = main.hosts.get(ref.thread);
    if (!host || !host.alive) return;
    // If its worker dies while it stops, it stays stopped.
    const rec = host.actors.get(ref.id);
    if (rec) rec.stopping = true;
    let released: { name: string; id: number }[] = [];
    try {
      // A stop waits up to shutdownMs for a running handler, and as long again for postStop.
      released = await host.control.call('stop', [ref.id], main.controlTimeoutMs + 2 * (rec?.req.shutdownMs ?? 5000));
    } catch (err) {
      // Its worker died meanwhile: it is stopped all the same (and not restarted).
      if ((err as TroupeError).code !== 'ERR_TROUPE_WORKER_FAILED') {
        // No answer: main lets go of it anyway (its name is free), and says so.
        host.actors.delete(ref.id);
        if (rec?.name !== undefined) main.names.forget(rec.name, ref.thread, ref.id);
        throw err;
      }
    }
    host.actors.delete(ref.id);
    for (const { name, id } of released) main.names.forget(name, ref.thread, id);
    // The stop's dead letters came on the host's events port, which the control port's answer
    // may overtake: once stop resolves, they are in.
    await main.hosts.sync(host);
    if (host.dedicated) await this.closeDedicated(host);
  }

  /** A dedicated worker whose actor stopped (or never started) closes, for good. */
  private async closeDedicated(host: HostHandle): Promise<void> {
    await this.main.hosts.close(host);
    this.main.threadGone(host.thread, true);
  }

  /**
   * Starts a stateless pool actor on threads of its own (up to `size`; see PoolOptions): each
   * message runs as a piscina task on a free one. Resolves once the module loaded and init ran on
   * the first thread; rejects with its error, or ERR_TROUPE_INIT_TIMEOUT after controlTimeoutMs.
   */
  async spawnPool(module: URL | string, options: PoolOptions): Promise<PoolRef> {
    const main = this.main;
    const url = moduleUrl(module);
    if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object', options);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) throw invalidArgument('name', 'a non-empty string', options.name);
    const name = options.name ?? `pool-${this.nextPool++}`;
    const pool = new PoolRef(url, name, options, {
      maxHandlerMs: main.maxHandlerMs, controlTimeoutMs: main.controlTimeoutMs, terminateTimeoutMs: main.terminateTimeoutMs, logLevel: main.logLevel,
      highWaterMark: main.paths.mark,
    }, {
      log: main.log, stats: main.mainStats, running: () => main.running,
      deadLetter: (entry) => main.deadLetters.add(entry), event: (e) => main.events.add(e),
    });
    // In the set while it starts, so a shutdown meanwhile ends its threads too.
    main.pools.add(pool);
    try {
      await pool.start();
    } catch (err) {
      main.pools.delete(pool);
      throw err;
    }
    return pool;
  }

  /**
   * Args travel encoded like messages, so refs in them arrive as live refs; SharedArrayBuffers in
   * them go beside the bytes (the control call clones them: shared, as in a message).
   */
  private encodeArgs(args: unknown): { argsBytes?: Uint8Array; argsSlots?: unknown[] } {
    if (args === undefined) return {};
    const codec = this.main.mesh.codec;
    const bytes = codec.tryEncode(args);
    if (bytes !== null) return { argsBytes: new Uint8Array(bytes) };
    const posted = codec.encodeForPost(args, []);
    return { argsBytes: posted.bytes, argsSlots: posted.slots };
  }

  /** The host a new actor goes to, its spawn counted there (`placing`) before any await. */
  private async place(placement: Placement, resourceLimits: ResourceLimits | undefined): Promise<HostHandle> {
    const { hosts, workers } = this.main;
    if (placement === 'shared') {
      let best: HostHandle | undefined;
      let bestLoad = Infinity;
      for (let t = 1; t <= workers; t++) {
        const h = hosts.get(t);
        if (!h || !h.alive) continue;
        const load = h.stats[S_ACTORS]! + h.placing + h.stats[S_QUEUED]! / 64;
        if (load < bestLoad) { best = h; bestLoad = load; }
      }
      if (!best) throw new TroupeError('ERR_TROUPE_WORKER_FAILED', 'no live host worker to place the actor on');
      best.placing++;
      return best;
    }
    if (placement === 'dedicated') {
      const h = await hosts.startDedicated(resourceLimits);
      h.placing++;
      return h;
    }
    if (placement !== null && typeof placement === 'object' && Number.isInteger(placement.worker)) {
      const h = hosts.get(placement.worker + 1);
      if (placement.worker < 0 || placement.worker >= workers || !h) {
        throw invalidArgument('placement.worker', `an integer from 0 to ${workers - 1}`, placement.worker);
      }
      if (!h.alive) throw new TroupeError('ERR_TROUPE_WORKER_FAILED', `worker ${placement.worker} is not running`);
      h.placing++;
      return h;
    }
    throw invalidArgument('placement', "'shared', 'dedicated' or { worker: k }", placement);
  }
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
