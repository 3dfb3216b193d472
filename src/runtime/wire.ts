/**
 * What crosses the thread boundary, as types: ring record kinds, and the messages on each host's
 * events port (ring links, dead letters, names). The control plane's calls are `HostControl`.
 */
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from '../actors/errors.js';
import type { MailboxOptions } from '../actors/mailbox.js';
import type { SupervisionEvent } from '../supervision/events.js';
import type { ErrorEvent } from '../bridge/error-events.js';
import type { SupervisorSpec, RestartType } from '../supervision/options.js';
import type { BreakerOptions } from '../supervision/breaker.js';

// Ring record kinds (the `kind` word of a record).
/** A user message, no reply expected. */
export const K_TELL = 1;
/** A user message whose reply goes to the sender thread's ask table under `corr`. */
export const K_ASK = 2;
/** A reply value for ask `corr` on the target thread. */
export const K_REPLY = 3;
/** A failed ask: the payload is a WireError. */
export const K_REPLY_ERROR = 4;
/** A system message (stop, watch notices): the actor's system lane, ahead of user mail. */
export const K_SYSTEM = 16;
/**
 * Host → main: the outcome of a message delivered with a receipt (`target` = receipt id, `sender`
 * = one of the R_* outcomes; payload: the error, or null). Not a user message: not counted.
 */
export const K_RECEIPT = 17;
/** Host → main: a message for an actor on another node (payload: a RemoteSend). Counted as sent. */
export const K_REMOTE = 5;
/**
 * Main → host: a tell from another node that wants a receipt when it is done (`corr` = receipt
 * id). K_TELL_LAST: the same, on its last delivery: a failure dead-letters it instead of handing
 * it back for redelivery.
 */
export const K_TELL_RECEIPT = 6;
export const K_TELL_LAST = 7;
/** Kinds below this are user messages (counted as sent); at or above, the runtime's own (K_SYSTEM, K_RECEIPT). */
export const K_UNCOUNTED = K_SYSTEM;
/** Receipt outcomes. */
export const R_PROCESSED = 0;
/** The handler failed (or it could not be taken now): hand it back for redelivery later. */
export const R_RETRY = 1;
/** It was dead-lettered here (the dead letter says why). */
export const R_DEAD_LETTERED = 2;
/** Flag: the payload is a u32 sequence number; the message itself came over the link's port. */
export const F_POSTED = 0x100;
export const KIND_MASK = 0xff;

/** Thread index of the main thread in the mesh. Host worker k is thread k + 1. */
export const MAIN_THREAD = 0;
/** Target id of a thread's own ask table (replies go there). */
export const ASK_TABLE = 0;

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
 * on the new port from which sequence number on its port messages arrive (see mesh.ts).
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
export type MainToHost = LinkOut | LinkIn | Relink | PeerReplaced;

/** The first message on a link's new port after its consumer was replaced (see mesh.ts). */
export interface PortFrom { seq: 0; from: number }

/**
 * Host → main, as a K_SYSTEM record on the host's ring to main: ordered with the replies that
 * follow it, so a lookup right after a reply sees the names registered before it, and the
 * supervision events of a failure come before the failed ask's rejection.
 */
export type MainNotice =
  | { t: 'name'; name: string; path: string; thread: number; id: number }
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
  | { t: 'closed' };

/** A dead letter as it crosses threads. `message` is the original, or a description if it could not be encoded. */
export interface DeadLetterWire {
  reason: string;
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

/** Per-thread counters in shared memory (Float64Array slots; each thread writes only its own). */
export const S_SENT = 0;
export const S_PROCESSED = 1;
export const S_DEAD_LETTERED = 2;
export const S_QUEUED = 3;
export const S_FAILED = 4;
export const S_ACTORS = 5;
export const S_RESTARTS = 6;
/** Breakers not closed (open or half-open) right now. */
export const S_OPEN_BREAKERS = 7;
/** Failures that escalated past the top of the tree (a subtree stopped). */
export const S_ROOT_ESCALATIONS = 8;
/** Wall-clock ms (Date.now()) of the last failure, restart, and escalation to the top. */
export const S_LAST_FAILURE_AT = 9;
export const S_LAST_RESTART_AT = 10;
export const S_LAST_ESCALATION_AT = 11;
/** Turns actors were given by the scheduler (a busy-looping host shows here). */
export const S_TURNS = 12;
/** User records this thread sent through the mesh that are not yet published in a ring (spilled or unpublished). */
export const S_OUTSTANDING = 13;
/** The host's next actor id: a replacement host goes on from it, so an old ref never names a new actor. */
export const S_NEXT_ID = 14;
/** Ask correlation ids below this may be in use (reserved in blocks): a replacement host starts above. */
export const S_NEXT_CORR = 15;
/** performance.timeOrigin + performance.now() of the host's last heartbeat (a timer): the watchdog reads it. */
export const S_HEARTBEAT = 16;
/** The actor whose handler (or init) runs synchronously right now, or 0. */
export const S_CUR_ACTOR = 17;
/** Its message's sender (thread * 2^32 + actor id) and correlation id (negative: a receipt id, see Remote). */
export const S_CUR_FROM = 18;
export const S_CUR_CORR = 19;
/** Messages from other nodes handed back for redelivery after a failed attempt (R_RETRY). */
export const S_RETURNED = 20;
/** The top-level actor whose subtree's code runs synchronously right now (S_CUR_ACTOR's, or its ancestor), or 0. */
export const S_CUR_ROOT = 22;
export const STATS_SLOTS = 24;

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
  control: MessagePort;
  events: MessagePort;
  tuning: Tuning;
  /** The node this system is (with NATS), or '' (local only): refs from other nodes are remote. */
  node: string;
  /** Messages between actors of this worker follow the cross-thread rules (encoded and decoded). */
  strictMessages: boolean;
  /** This run of the node (with NATS; 0 without): refs leave stamped with it. */
  incarnation: number;
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
  /** A replacement host's actors are re-created: mail still held for ids that did not come back is dead. */
  restored(): Promise<void>;
}
