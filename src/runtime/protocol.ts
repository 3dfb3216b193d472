/**
 * What crosses between main and a worker, as types: every message of the control plane (comlink
 * calls and their results), of each host's events port, of the rings (records' payloads, system
 * messages, port messages), and of pool workers. The numbers these messages carry (record kinds,
 * flags, receipt outcomes, shared-memory slots) are named in constants.ts. Types only.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DeadLetterReason } from '../actors/dead-letter-reasons.js';
import type { WireError } from '../actors/errors.js';
import type { MailboxOptions } from '../actors/mailbox.js';
import type { SupervisionEvent } from '../supervision/events.js';
import type { ErrorEvent } from '../observability/error-events.js';
import type { SupervisorSpec, RestartType } from '../supervision/options.js';
import type { BreakerOptions } from '../supervision/breaker.js';
import type { Observation } from './host/observe.js';

/**
 * A message sent over a link's port instead of its ring (transferables, SharedArrayBuffers, large
 * payloads); a marker record orders it among the ring's records.
 */
export interface PostedMessage {
  seq: number;
  /** The message's encoding, in a buffer of its own (transferred, not copied) ... */
  bytes?: Uint8Array;
  /** ... and what travels beside it: SharedArrayBuffers (shared) and what `transfer` listed (moved). */
  slots?: unknown[];
  /** Or: why it could not be posted. The consumer dead-letters it (`undecodable`) and reads on. */
  failed?: string;
}

/** Main → host: the host now produces into a ring toward `to`. */
export interface LinkOut { t: 'link-out'; to: number; ring: SharedArrayBuffer; port: MessagePort; doorbell: SharedArrayBuffer }
/**
 * Main → host: the host now consumes a ring from `from`. `replaced`: the ring's previous consumer
 * (a worker that died) may have left markers whose port messages died with it; the producer says
 * on the new port from which sequence number on its port messages arrive (see mesh/inlinks.ts).
 */
export interface LinkIn {
  t: 'link-in'; from: number; ring: SharedArrayBuffer; port: MessagePort; doorbell: SharedArrayBuffer; replaced?: boolean;
  /** With `replaced`, when the producer cannot say it (it is dead too): port messages below this died. */
  lostBelow?: number;
}
/** Main → host: the thread at the other end of a link was replaced; the link goes on with a new port. */
export interface Relink {
  t: 'relink-out' | 'relink-in'; peer: number; port: MessagePort;
  /** relink-in of a replaced producer: for a consumer still waiting to hear where its port messages resume. */
  lostBelow?: number;
}
/**
 * Main → host: worker `thread` died and was replaced. The top-level actors in `restarted` live
 * again under the same ids; every other actor that was on it is gone (watchers get `terminated`).
 */
export interface PeerReplaced { t: 'peer-replaced'; thread: number; restarted: number[] }
/**
 * Main → host: thread `thread` died (or, `forGood`, was closed or will not be replaced): what
 * this host's senders counted toward it is done with (flow control, runtime/flow.ts); with
 * `forGood`, mail to it is no longer counted.
 */
export interface PeerDied { t: 'peer-died'; thread: number; forGood: boolean }
/** Main asks for a `synced` back on the events port: what the host posted there before comes first. */
export interface Sync { t: 'sync'; n: number }
export type MainToHost = LinkOut | LinkIn | Relink | PeerReplaced | PeerDied | Sync;

/** The first message on a link's new port after its consumer was replaced (see mesh/outlinks.ts and mesh/inlinks.ts). */
export interface PortFrom { seq: 0; from: number }

/**
 * Host → main, as a K_SYSTEM record on the host's ring to main: ordered with the replies that
 * follow it, so a lookup right after a reply sees the names registered before it, and the
 * supervision events of a failure come before the failed ask's rejection.
 */
export type MainNotice =
  | { t: 'name'; name: string; path: string; thread: number; id: number; mark: number }
  | { t: 'unname'; name: string; thread: number; id: number }
  /** A top-level actor stopped for good: main forgets how to restart it. */
  | { t: 'exit'; thread: number; id: number }
  | { t: 'event'; event: SupervisionEvent }
  /** ctx.reportError: an error event, already checked and filled in. */
  | { t: 'error'; event: ErrorEvent };

/** A name released by a stop, and the actor that held it. */
export interface ReleasedName { name: string; id: number }

/** Host → main, on the events port. */
export type HostToMain =
  | { t: 'need-link'; to: number }
  | { t: 'dead-letters'; entries: DeadLetterWire[] }
  | { t: 'events'; events: SupervisionEvent[] }
  | { t: 'closed' }
  /** The answer to main's `sync`. */
  | { t: 'synced'; n: number }
  /** One more chunk of its mailbox-depth table (mailbox-depths.ts). */
  | { t: 'depths'; chunk: SharedArrayBuffer };

/** A dead letter as it crosses threads. `message` is the original, or a description if it could not be encoded. */
export interface DeadLetterWire {
  reason: DeadLetterReason;
  target: string;
  sender: string | null;
  message: unknown;
  error?: WireError | undefined;
  time: number;
  /** For `actor-failed`: the error's classification, and how many times the message was retried. */
  category?: string | undefined;
  severity?: string | undefined;
  retries?: number | undefined;
}

/** What a host sends main for an actor on another node (K_REMOTE); `corr` is the host's ask, or 0. */
export interface RemoteSend { node: string; incarnation?: number | undefined; thread: number; id: number; path: string; msg: unknown; timeoutMs?: number | undefined; atMostOnce?: boolean }

/** What a host task is started with. */
export interface HostStart {
  thread: number;
  systemName: string;
  logLevel: string;
  doorbell: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  /** The asks whose handlers are suspended, for main to reject if this worker dies (busy-asks.ts). */
  busyAsks: SharedArrayBuffer;
  /** The first chunk of its mailbox-depth table (mailbox-depths.ts). */
  depths: SharedArrayBuffer;
  control: MessagePort;
  events: MessagePort;
  tuning: Tuning;
  /** The node this system is (with NATS), or '' (local only): refs from other nodes are remote. */
  node: string;
  /** Messages between actors of this worker follow the cross-thread rules (encoded and decoded). */
  strictMessages: boolean;
  /** Tracing on (observability/tracing.ts), with the module to import first; or null. */
  tracing: { setup: string | null } | null;
  /** This run of the node (with NATS; 0 without): refs leave stamped with it. */
  incarnation: number;
  /** Flow control's high-water mark (runtime/flow.ts). */
  highWaterMark: number;
  /** How often the host writes its heartbeat (ms); 0: no heartbeat (no watchdog). */
  heartbeatMs: number;
  /**
   * A replacement host: the ids of the actors main will re-create on it. Mail for them that
   * comes before they exist waits (it is not dead-lettered) until main calls `restored()`.
   */
  restoring: number[];
}

/** Knobs of the mesh; defaults in system.ts. */
export interface Tuning {
  ringBytes: number;
  /** Payloads above this many bytes go over the port instead of the ring. */
  largeBytes: number;
  /**
   * How long a thread keeps polling after its last work before it parks (ms). A worker whose work
   * has lately come further apart than a park costs (~50 µs) polls only that long.
   */
  spinMs: number;
  /** Records read from one ring per pump turn. */
  readBudget: number;
  /** Messages one actor handles per turn before others get theirs. */
  throughput: number;
  /** Longest a host runs actors before it yields to its event loop (ms). */
  sliceMs: number;
  /** Longest a parked thread sleeps without a ring (ms): a backstop only; wake-ups are not lost. */
  parkMs: number;
}

export interface SpawnRequest {
  url: string;
  /** Re-creates an actor of a dead worker under its old id (so refs to it keep working). */
  id?: number | undefined;
  name?: string | undefined;
  /** The args, encoded like a message (so refs inside them work) ... */
  argsBytes?: Uint8Array | undefined;
  /** ... and the SharedArrayBuffers in them, which travel beside the bytes (see Codec.encodeForPost). */
  argsSlots?: unknown[] | undefined;
  mailbox?: Partial<MailboxOptions> | undefined;
  restart?: RestartType | undefined;
  supervision?: Omit<SupervisorSpec, 'decide'> | undefined;
  circuitBreaker?: Partial<BreakerOptions> | undefined;
  shutdownMs?: number | undefined;
  /** How long init may take before the spawn fails with ERR_TROUPE_INIT_TIMEOUT (default 10 000 ms). */
  initTimeoutMs?: number | undefined;
}

export interface SpawnReply { id: number; path: string }

export interface HostStats { actors: number; queued: number; busy: boolean }

/** The control plane: what main calls on a host (over comlink, with our own deadlines). */
export interface HostControl {
  spawn(req: SpawnRequest): Promise<SpawnReply>;
  /** Resolves, once the actor and its children have stopped, with the names they held. */
  stop(id: number): Promise<ReleasedName[]>;
  /** Resolves when the host has nothing queued and no handler running (or after timeoutMs). */
  idle(timeoutMs: number): Promise<boolean>;
  /** Stops every actor, children before parents; their leftover mail is dead-lettered. */
  stopAll(): Promise<void>;
  stats(): Promise<HostStats>;
  /** Its busiest `limit` actors, counts per actor type, busy share and heap (host/observe.ts). */
  observe(limit: number): Promise<Observation>;
  /** A replacement host's actors are re-created: mail still held for ids that did not come back is dead. */
  restored(): Promise<void>;
}

/** A system message, on an actor's system lane (K_SYSTEM records, or within a worker). */
export type SystemMessage =
  | { t: 'stop'; self?: boolean }
  /** Actor (thread, id) watches this one (known to it as `path`). */
  | { t: 'watch'; thread: number; id: number; path: string }
  /** A watched actor stopped. */
  | { t: 'terminated'; path: string; thread: number; id: number };

/** The stop messages ctx.stop queues (system messages are read, never changed: one of each will do). */
export const STOP_SELF: SystemMessage = { t: 'stop', self: true };
export const STOP: SystemMessage = { t: 'stop' };

/** What a control call returns: errors travel as data, since comlink drops their codes. */
export type ControlResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

// ---------------------------------------------------------------------------------------------
// Pool workers (spawnPool): one piscina task per message.

export interface PoolTask {
  pool: string;
  url: string;
  args: unknown;
  msg: unknown;
  logLevel: string;
  /** Names the task in its progress notes (unique per pool). */
  seq: number;
  /** Only load the module and run init (spawnPool checks the module this way). */
  probe?: boolean;
}

export type PoolResult = { ok: true; value: unknown } | { ok: false; error: WireError };

/**
 * Worker → main, on the worker's parentPort (piscina's 'message' event). 'init': the task reached
 * a worker that must load the module and run init first; 'handler': its handler starts. Before
 * the handler the task is bounded by controlTimeoutMs, from then on by maxHandlerMs. `at`:
 * performance.timeOrigin + performance.now() on the worker.
 */
export interface PoolProgress { t: 'pool-progress'; seq: number; phase: 'init' | 'handler'; threadId: number; at: number }
