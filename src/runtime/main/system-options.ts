/**
 * The options of `createActorSystem`, checked before anything starts, with every default stated.
 * A bad value or an unknown key (a typo such as `maxHandlerMS`) throws ERR_TROUPE_INVALID_ARGUMENT
 * naming it; nothing is silently clamped or ignored.
 *
 * - `name` 'troupe': a non-empty string;
 * - `workers` os.availableParallelism(): an integer from 1 to 64;
 * - `logger` a pino logger at level info (or TROUPE_LOG_LEVEL): a pino logger, pino options, or
 *   false (silent);
 * - `deadLetterCapacity` 10 000: dead letters kept in memory, an integer from 0 (keep none, only
 *   count them) to 2^31 - 1;
 * - `deadLetterBytes` 64 MiB: what those kept dead letters may weigh (estimated), an integer from
 *   0 to 2^53 - 1 (see dead-letters.ts for how it is kept);
 * - `controlTimeoutMs` 10 000: deadline of a control call to a worker (spawn, stop, ...), from
 *   1 000 ms (a worker's start-up is one: it loads modules) to 2^31 - 1 (a timer's range);
 * - `healthWindowMs` 30 000: how far back health() looks, from 1 ms to 2^31 - 1;
 * - `maxHandlerMs` 30 000: the watchdog; `false` turns it off, else from 100 ms to 2^31 - 1.
 *   Workers write their heartbeat every maxHandlerMs / 4 (10 ms to 1 s): below 100 ms a worker
 *   that is merely idle or between two slices could be taken for a runaway;
 * - `terminateTimeoutMs` 5 000: how long terminating a runaway may take, from 100 ms to 2^31 - 1;
 * - `strictMessages` false: a boolean;
 * - `tracing` false: true, or `{ setup }` (a module URL each worker imports first: it registers the worker's tracer provider);
 * - `nats` none (or TROUPE_NATS_URL): an object, whose fields the bridge checks (bridge/config.ts);
 * - `alerts` the default rules, checked every 1 000 ms: `{ rules, defaults, intervalMs }` (observability/alerts.ts);
 * - `node` TROUPE_NODE, else `<host>-<pid>`: letters, digits, '-' and '_', at most 128 characters;
 * - `mailbox` `{ highWaterMark: 1 000 }`: unprocessed messages per (sender, target) past which
 *   the sender is slowed down, an integer from 1 to 2^31 - 1 (see runtime/flow.ts);
 * - `tuning`, the ring mesh's knobs (an object; each key optional):
 *   - `ringBytes` 1 MiB: each ring's data area, an integer from 4 096 to 2^30 (rounded up to a
 *     power of two);
 *   - `largeBytes` 64 KiB, or less in a small ring: payloads above it go over a port. From 0 to
 *     the largest record the ring can hold (half of it, less a 20-byte record header): a larger
 *     record would never fit, and would wait for room for ever;
 *   - `spinMs` 1: how long a thread polls after its last work before it parks, 0 to 1 000 ms;
 *   - `readBudget` 4 096: records read from one ring per turn, an integer from 1 to 2^31 - 1;
 *   - `throughput` 64: messages per actor per turn, an integer from 1 to 2^31 - 1;
 *   - `sliceMs` 4: longest a host runs actors before it yields to its event loop, more than 0
 *     and at most 1 000 ms, and with the watchdog on at most maxHandlerMs / 4 (a busy host
 *     writes its heartbeat only between slices);
 *   - `parkMs` 1 000: the parked thread's backstop timer, from 1 ms to 2^31 - 1.
 * - `resourceLimits` Node's, but a young generation of up to 192 MB (worker-limits.ts): the
 *   shared workers' V8 limits, Node's ResourceLimits (positive numbers of MB).
 */
import { availableParallelism } from 'node:os';
import { alertConfig, type AlertRule } from '../../observability/alerts.js';
import { invalidArgument, refuseUnknownKeys } from '../../actors/errors.js';
import { isNodeId, MAX_NODE_ID } from '../node-id.js';
import type { NatsOptions } from '../../bridge/config.js';
import type { LoggerOption } from '../../observability/logger.js';
import { MAX_RING_BYTES, Ring } from '../mesh/ring.js';
import type { Tuning } from '../protocol.js';
import type { SystemOptions } from './system.js';
import type { ResourceLimits } from 'node:worker_threads';
import { checkResourceLimits } from '../worker-limits.js';

export const DEFAULT_TUNING: Tuning = {
  ringBytes: 1 << 20,
  largeBytes: 64 * 1024,
  spinMs: 1,
  readBudget: 4096,
  throughput: 64,
  sliceMs: 4,
  parkMs: 1000,
};

export const DEFAULT_DEAD_LETTER_CAPACITY = 10_000;
export const DEFAULT_HIGH_WATER_MARK = 1000;
export const DEFAULT_DEAD_LETTER_BYTES = 64 * 1024 * 1024;

/** The keys createActorSystem takes. */
export const SYSTEM_OPTION_KEYS = [
  'name', 'workers', 'logger', 'deadLetterCapacity', 'deadLetterBytes', 'tuning', 'controlTimeoutMs', 'healthWindowMs',
  'maxHandlerMs', 'terminateTimeoutMs', 'strictMessages', 'nats', 'node', 'mailbox', 'alerts', 'tracing', 'resourceLimits',
] as const satisfies readonly (keyof SystemOptions)[];

const TUNING_KEYS = ['ringBytes', 'largeBytes', 'spinMs', 'readBudget', 'throughput', 'sliceMs', 'parkMs'] as const satisfies readonly (keyof Tuning)[];

/** The longest a Node timer can be set for (beyond it, Node fires it after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MIN_RING_OPTION = 4096;

/** Every option resolved: defaults filled in, every value checked. */
export interface SystemConfig {
  name: string;
  workers: number;
  logger: LoggerOption;
  deadLetterCapacity: number;
  deadLetterBytes: number;
  tuning: Tuning;
  /** Flow control's high-water mark (unprocessed messages per sender and target). */
  highWaterMark: number;
  controlTimeoutMs: number;
  healthWindowMs: number;
  /** 0: no watchdog. */
  maxHandlerMs: number;
  terminateTimeoutMs: number;
  strictMessages: boolean;
  /** Tracing on (with the module each worker runs first, or null), or null: off. */
  tracing: { setup: string | null } | null;
  nats: NatsOptions | undefined;
  node: string | undefined;
  alerts: { rules: AlertRule[]; intervalMs: number };
  /** The shared workers' limits as given (worker-limits.ts fills in the young generation's default). */
  resourceLimits: ResourceLimits | undefined;
}

/** Checks createActorSystem's options and fills in the defaults; throws ERR_TROUPE_INVALID_ARGUMENT naming the first bad one. */
export function systemConfig(options: SystemOptions): SystemConfig {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object', options);
  refuseUnknownKeys('createActorSystem', options, SYSTEM_OPTION_KEYS);
  const o = options;
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) throw invalidArgument('name', 'a non-empty string', o.name);
  const workers = o.workers ?? availableParallelism();
  integer('workers', workers, 1, 64);
  if (o.logger !== undefined && o.logger !== false && (o.logger === null || typeof o.logger !== 'object')) {
    throw invalidArgument('logger', 'a pino logger, pino options (e.g. { level: "warn" }) or false', o.logger);
  }
  const deadLetterCapacity = o.deadLetterCapacity ?? DEFAULT_DEAD_LETTER_CAPACITY;
  integer('deadLetterCapacity', deadLetterCapacity, 0, 2 ** 31 - 1);
  const deadLetterBytes = o.deadLetterBytes ?? DEFAULT_DEAD_LETTER_BYTES;
  integer('deadLetterBytes', deadLetterBytes, 0, Number.MAX_SAFE_INTEGER);
  const controlTimeoutMs = o.controlTimeoutMs ?? 10_000;
  ms('controlTimeoutMs', controlTimeoutMs, 1000);
  const healthWindowMs = o.healthWindowMs ?? 30_000;
  ms('healthWindowMs', healthWindowMs, 1);
  const maxHandlerMs = o.maxHandlerMs ?? 30_000;
  if (maxHandlerMs !== false) ms('maxHandlerMs', maxHandlerMs, 100, 'false (no watchdog) or a number of milliseconds from 100 to 2^31 - 1');
  const terminateTimeoutMs = o.terminateTimeoutMs ?? 5000;
  ms('terminateTimeoutMs', terminateTimeoutMs, 100);
  if (o.strictMessages !== undefined && typeof o.strictMessages !== 'boolean') throw invalidArgument('strictMessages', 'a boolean', o.strictMessages);
  const tracing = tracingConfig(o.tracing);
  // The bridge checks what is inside (bridgeConfig).
  if (o.nats !== undefined && (o.nats === null || typeof o.nats !== 'object')) throw invalidArgument('nats', 'an object { servers, ... }', o.nats);
  if (o.node !== undefined && (typeof o.node !== 'string' || !isNodeId(o.node))) {
    throw invalidArgument('node', `a string of letters, digits, "-" and "_", at most ${MAX_NODE_ID}`, o.node);
  }
  if (o.resourceLimits !== undefined) checkResourceLimits('resourceLimits', o.resourceLimits);
  let highWaterMark = DEFAULT_HIGH_WATER_MARK;
  if (o.mailbox !== undefined) {
    if (o.mailbox === null || typeof o.mailbox !== 'object') throw invalidArgument('mailbox', 'an object { highWaterMark }', o.mailbox);
    refuseUnknownKeys('mailbox', o.mailbox, ['highWaterMark'], 'mailbox.');
    if (o.mailbox.highWaterMark !== undefined) highWaterMark = o.mailbox.highWaterMark;
    integer('mailbox.highWaterMark', highWaterMark, 1, 2 ** 31 - 1);
  }
  return {
    name: o.name ?? 'troupe', highWaterMark, workers, logger: o.logger, deadLetterCapacity, deadLetterBytes,
    tuning: tuning(o.tuning, maxHandlerMs === false ? 0 : maxHandlerMs), controlTimeoutMs, healthWindowMs,
    maxHandlerMs: maxHandlerMs === false ? 0 : maxHandlerMs, terminateTimeoutMs, strictMessages: o.strictMessages ?? false, tracing,
    nats: o.nats, node: o.node, alerts: alertConfig(o.alerts), resourceLimits: o.resourceLimits,
  };
}

function tuning(given: Partial<Tuning> | undefined, maxHandlerMs: number): Tuning {
  if (given === undefined) return DEFAULT_TUNING;
  if (given === null || typeof given !== 'object') throw invalidArgument('tuning', 'an object', given);
  refuseUnknownKeys('tuning', given, TUNING_KEYS, 'tuning.');
  const t = { ...DEFAULT_TUNING };
  for (const k of TUNING_KEYS) if (given[k] !== undefined) t[k] = given[k];
  integer('tuning.ringBytes', t.ringBytes, MIN_RING_OPTION, MAX_RING_BYTES);
  const maxRecord = Ring.maxPayloadOf(Ring.roundedCapacity(t.ringBytes));
  if (given.largeBytes === undefined) t.largeBytes = Math.min(DEFAULT_TUNING.largeBytes, maxRecord);
  integer('tuning.largeBytes', t.largeBytes, 0, maxRecord,
    `an integer from 0 to ${maxRecord} (the largest record a ring of tuning.ringBytes ${t.ringBytes} holds)`);
  number('tuning.spinMs', t.spinMs, 0, 1000, 'a number of milliseconds from 0 to 1000');
  integer('tuning.readBudget', t.readBudget, 1, 2 ** 31 - 1);
  integer('tuning.throughput', t.throughput, 1, 2 ** 31 - 1);
  const maxSlice = maxHandlerMs > 0 ? Math.min(1000, maxHandlerMs / 4) : 1000;
  if (typeof t.sliceMs !== 'number' || !(t.sliceMs > 0 && t.sliceMs <= maxSlice)) {
    throw invalidArgument('tuning.sliceMs', `a number of milliseconds above 0 and at most ${maxSlice} (1000, or maxHandlerMs / 4 if less)`, t.sliceMs);
  }
  ms('tuning.parkMs', t.parkMs, 1);
  return t;
}

function integer(name: string, v: unknown, min: number, max: number, expected = `an integer from ${min} to ${max}`): void {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw invalidArgument(name, expected, v);
}

function number(name: string, v: unknown, min: number, max: number, expected: string): void {
  if (typeof v !== 'number' || !(v >= min && v <= max)) throw invalidArgument(name, expected, v);
}

/** A number of milliseconds a timer can wait: from `min` to 2^31 - 1. */
function ms(name: string, v: unknown, min: number, expected = `a number of milliseconds from ${min} to 2^31 - 1`): void {
  number(name, v, min, MAX_TIMER_MS, expected);
}

/** Checks the `tracing` option. */
function tracingConfig(t: SystemOptions['tracing']): { setup: string | null } | null {
  if (t === undefined || t === false) return null;
  if (t === true) return { setup: null };
  if (t === null || typeof t !== 'object') throw invalidArgument('tracing', 'true, false, or { setup }', t);
  refuseUnknownKeys('tracing', t, ['setup']);
  const setup = t.setup;
  if (setup === undefined) return { setup: null };
  if (setup instanceof URL) return { setup: setup.href };
  if (typeof setup !== 'string' || !/^(file|data):/.test(setup)) throw invalidArgument('tracing.setup', 'a file: URL (a URL, or its string) of the module each worker imports first', setup);
  return { setup };
}
