/**
 * troupe: an actor runtime for Node.js. This file is the whole public API, listed by hand.
 */
export { createActorSystem, ActorSystem } from './runtime/main/system.js';
export type { SystemOptions, SpawnOptions, Placement, ShutdownOptions, SystemStats, SystemHealth } from './runtime/main/system.js';
export { PoolRef } from './runtime/pool/pool.js';
export type { PoolOptions } from './runtime/pool/pool.js';
export { defineActor, isDefinedActor } from './actors/define.js';
export type { ActorDefinition, ActorContext, ChildSpawnOptions, DefinedActor } from './actors/define.js';
export { ActorRef, isActorRef } from './actors/ref.js';
export type { TellOptions, AskOptions } from './actors/ref.js';
export type { MailboxOptions, OverflowPolicy } from './actors/mailbox.js';
export { DeadLetters } from './runtime/main/dead-letters.js';
export type { DeadLetter, DeadLetterFilter, DeadLetterPreview } from './runtime/main/dead-letters.js';
export { DEAD_LETTER_REASONS, isDeadLetterReason } from './actors/dead-letter-reasons.js';
export type { DeadLetterReason } from './actors/dead-letter-reasons.js';
export { TroupeError, AskTimeoutError, MailboxFullError, CircuitOpenError, ERROR_CODES, toWireError, fromWireError } from './actors/errors.js';
export type { ErrorCode, WireError, TroupeErrorOptions } from './actors/errors.js';
export type { Tuning } from './runtime/protocol.js';
export { classify, tagError, CATEGORIES, SEVERITIES } from './supervision/classify.js';
export type { ErrorCategory, Severity, Classification } from './supervision/classify.js';
export { defaultDecider } from './supervision/directive.js';
export type { Directive, Decider, FailureInfo } from './supervision/directive.js';
export { DEFAULT_SUPERVISOR } from './supervision/options.js';
export type { SupervisorSpec, SupervisorOptions, RestartType } from './supervision/options.js';
export type { Strategy } from './supervision/strategy.js';
export type { BackoffOptions } from './supervision/backoff.js';
export type { BreakerOptions, BreakerState } from './supervision/breaker.js';
export { SupervisionEvents } from './supervision/events.js';
export type { SupervisionEvent } from './supervision/events.js';
export type { NatsOptions } from './bridge/config.js';
export { ErrorEvents } from './observability/error-events.js';
export type { ErrorEvent, ErrorReport, ErrorFilter } from './observability/error-events.js';
export { DeadLetterStream } from './bridge/dlq.js';
export type { StoredDeadLetter } from './bridge/dlq.js';
export { Alerts, DEFAULT_ALERT_RULES } from './observability/alerts.js';
export type { Alert, AlertSeverity, AlertRule, AlertFacts, AlertOptions } from './observability/alerts.js';
export type { ServeOptions, Server as ObservabilityServer } from './observability/server.js';
export type {
  ActorRow, ActorsReport, AlertsReport, DeadLetterRow, DeadLettersReport, ErrorTotals, ErrorsReport, KindRow, Snapshot, WorkerRow,
} from './observability/types.js';
