/**
 * The public types of a system: its options, spawn and shutdown options, its stats and health.
 * (The options' checks and defaults are system-options.ts and spawn-options.ts.)
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { AlertOptions } from '../../observability/alerts.js';
import type { MailboxOptions } from '../../actors/mailbox.js';
import type { NatsOptions } from '../../bridge/config.js';
import type { LoggerOption } from '../../observability/logger.js';
import type { BreakerOptions } from '../../supervision/breaker.js';
import type { RestartType, SupervisorSpec } from '../../supervision/options.js';
import type { Tuning } from '../protocol.js';

export type Placement = 'shared' | 'dedicated' | { worker: number };

export interface SystemOptions {
  /** The system's name, in logs and paths. Default 'troupe'. */
  name?: string;
  /** Host worker threads. Default: os.availableParallelism(). */
  workers?: number;
  /**
   * The shared workers' V8 limits (Node's ResourceLimits). Default: Node's, but a young
   * generation of up to 192 MB (Node 20 and 22: 48), so that more of a burst's actors die young rather
   * than being copied into the old generation; set `maxYoungGenerationSizeMb` to bound it.
   */
  resourceLimits?: ResourceLimits;
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
  /**
   * Flow control. `highWaterMark`: how many of one sender's messages to one actor may be
   * unprocessed before that sender is slowed down (default 1 000; an actor may have its own, the
   * spawn option `mailbox.highWaterMark`): `tell` returns false (the
   * message is still queued and delivered), `await ref.ready()` waits until the path drains, and
   * an actor sending past the mark is not scheduled again until it does (unless its own mailbox
   * holds about as many). Nothing is dropped by default; a spawn's `mailbox.capacity` bounds one
   * actor's mailbox as well, by choice.
   */
  mailbox?: { highWaterMark?: number };
  /** Ring mesh tuning; defaults suit most systems. */
  tuning?: Partial<Tuning>;
  /** Deadline for control calls to workers (spawn, stop, ...), and for a pool thread to load its module and run init. Default 10 000 ms. */
  controlTimeoutMs?: number;
  /** How far back health() looks for restarts, failures, escalations and replaced workers. Default 30 000 ms. */
  healthWindowMs?: number;
  /**
   * Alert rules (`{ name, severity, when, forMs }`), checked every second: yours, and the defaults
   * (DEFAULT_ALERT_RULES; `defaults: false` drops them). See `system.alerts` and docs/observability.md.
   */
  alerts?: AlertOptions;
  /**
   * W3C trace context on messages, through `@opentelemetry/api` (an optional peer dependency; see
   * docs/observability.md). Default false: nothing is loaded and messages carry no extra byte.
   * `{ setup }`: a module (file URL) every worker imports before its first actor, to register its
   * own tracer provider (workers record their spans themselves; main uses yours).
   */
  tracing?: boolean | { setup?: string | URL };
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
