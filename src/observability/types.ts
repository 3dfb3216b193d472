/**
 * What the observability server (server.ts) serves, as types: the JSON of its routes and of the
 * dashboard's live stream. The CLI (cli/observe.ts) and the dashboard (dashboard.ts) read these.
 */
import type { SystemHealth, SystemStats } from '../runtime/main/system-types.js';
import type { ErrorEvent } from './error-events.js';

/** Upper bounds (seconds) of the handler-duration buckets; one more bucket holds what is above. */
export const HANDLER_BUCKETS = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] as const;

/** About one message in this many is timed, per actor type on each worker (runtime/host/turns.ts). */
export const SAMPLE_EVERY = 64;

/** One actor as `GET /actors` shows it. */
export interface ActorRow {
  path: string;
  name: string | null;
  /** Its module's file name without the extension (`counter.actor`), or `pool:<name>` for a pool actor. */
  type: string;
  /** The host worker it runs on (0-based), or -1 for a pool actor. */
  worker: number;
  /** Messages waiting in its mailbox now. */
  mailbox: number;
  /** Messages given to its handler since it started (failed ones too; restarts included), counted per turn. */
  processed: number;
  /** Its handler's failures since it started. */
  failed: number;
  restarts: number;
  /** Its circuit breaker's state, or null when it has none. */
  breaker: 'closed' | 'open' | 'half-open' | null;
  /** Its parent's path, or null at the top. */
  parent: string | null;
  /** Its children, and all actors below it (children's children too). */
  children: number;
  subtree: number;
  /** It waits for a path of its own to drain below the high-water mark (flow control). */
  backpressured: boolean;
}

/** One actor type (module) as the metrics see it. */
export interface KindRow {
  type: string;
  actors: number;
  mailbox: number;
  processed: number;
  failed: number;
  /** Sampled handler durations (about 1 message in 64 per type): counts per bucket of HANDLER_BUCKETS (the last: above them), sum in seconds, count. */
  handler: { buckets: number[]; sum: number; count: number };
}

/** One host worker. */
export interface WorkerRow {
  worker: number;
  alive: boolean;
  /** A dedicated worker (placement: 'dedicated') rather than a shared one. */
  dedicated: boolean;
  actors: number;
  queued: number;
  /** Share of the time since the last look that its event loop was busy, 0..1. */
  busy: number;
  heapUsed: number;
  heapTotal: number;
}

/** `GET /actors`. */
export interface ActorsReport {
  time: number;
  /** Actors in the system; `actors` holds the busiest `limit` of them (by mailbox, then processed). */
  total: number;
  actors: ActorRow[];
  workers: WorkerRow[];
  kinds: KindRow[];
  /** Actors waiting for a path to drain below its high-water mark now (main's own paths counted as one sender). */
  backpressured: number;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** A rule's firing: active until its condition is false again, then in the history. */
export interface Alert {
  /** Unique per firing. */
  id: string;
  name: string;
  severity: AlertSeverity;
  /** What holds, in words. */
  message: string;
  state: 'firing' | 'resolved';
  /** When it fired (the condition held for its rule's forMs by then), and when it resolved. */
  firedAt: number;
  resolvedAt: number | null;
}

/** Error events by severity, category and actor over the last 24 hours, with a count per hour. */
export interface ErrorTotals {
  since: number;
  total: number;
  bySeverity: Record<string, number>;
  byCategory: Record<string, number>;
  /** The 20 actors with the most events (by path; '' for events from outside any actor). */
  byActor: Record<string, number>;
  /** 24 counts, oldest hour first; the last is the current hour. */
  hourly: number[];
  /** Where the totals come from: this node's own events, or the NATS error stream (every node's). */
  source: 'local' | 'nats';
}

/** `GET /errors`. */
export interface ErrorsReport {
  recent: ErrorEvent[];
  totals: ErrorTotals;
}

/** A dead letter as the routes show it (its message as text, cut to 200 characters). */
export interface DeadLetterRow {
  reason: string;
  target: string;
  sender: string | null;
  message: string;
  error: string | null;
  time: number;
}

/** `GET /dead-letters`. */
export interface DeadLettersReport {
  total: number;
  byReason: Record<string, number>;
  /** Newest first. */
  recent: DeadLetterRow[];
  /** Whether POST /dead-letters/replay can replay (the system has NATS). */
  replay: boolean;
}

/** `GET /alerts`. */
export interface AlertsReport {
  active: Alert[];
  /** Newest first. */
  history: Alert[];
}

/** What the dashboard's live stream (`GET /live`, server-sent events, one `snapshot` event a second) carries. */
export interface Snapshot {
  time: number;
  system: string;
  node: string;
  health: SystemHealth;
  stats: SystemStats;
  actors: ActorsReport;
  deadLetters: DeadLettersReport;
  errors: ErrorsReport;
  alerts: AlertsReport;
  nats: { connected: boolean; outbox: number } | null;
}

export type { SystemHealth, SystemStats, ErrorEvent };
