/**
 * troupe: an actor runtime for Node.js. This file is the whole public API, listed by hand.
 */
export { createActorSystem, ActorSystem } from './runtime/system.js';
export type { SystemOptions, SpawnOptions, Placement, ShutdownOptions, SystemStats } from './runtime/system.js';
export { PoolRef } from './runtime/pool.js';
export type { PoolOptions } from './runtime/pool.js';
export { defineActor, isDefinedActor } from './actors/define.js';
export type { ActorDefinition, ActorContext, ChildSpawnOptions, DefinedActor } from './actors/define.js';
export { ActorRef, isActorRef } from './actors/ref.js';
export type { TellOptions, AskOptions } from './actors/ref.js';
export type { MailboxOptions, OverflowPolicy } from './actors/mailbox.js';
export { DeadLetters } from './runtime/dead-letters.js';
export type { DeadLetter, DeadLetterFilter } from './runtime/dead-letters.js';
export { TroupeError, AskTimeoutError, MailboxFullError, ERROR_CODES, toWireError, fromWireError } from './actors/errors.js';
export type { ErrorCode, WireError, TroupeErrorOptions } from './actors/errors.js';
export type { Tuning } from './runtime/wire.js';
