/**
 * The checks of tell and ask options, on every thread (main's `ref.tell`/`ref.ask`, an actor's
 * `ctx.tell`/`ctx.ask` and refs inside it): a bad value or an unknown key is refused with
 * ERR_TROUPE_INVALID_ARGUMENT, never ignored. `tell` throws it; `ask` rejects with it (see
 * AskTable.open). Defaults: `delivery` 'at-least-once', no `transfer`, `timeoutMs` 5 000,
 * no `signal`.
 */
import type { Transferable } from 'node:worker_threads';
import { invalidArgument, refuseUnknownKeys } from './errors.js';
import type { AskOptions, TellOptions } from './ref.js';

export const TELL_OPTION_KEYS = ['transfer', 'delivery'] as const satisfies readonly (keyof TellOptions)[];
export const ASK_OPTION_KEYS = ['timeoutMs', 'signal', 'transfer', 'delivery'] as const satisfies readonly (keyof AskOptions)[];
const DELIVERIES = ['at-least-once', 'at-most-once'];
/** The longest a Node timer can be set for. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Checks tell options (undefined is none); returns the transfer list. Throws ERR_TROUPE_INVALID_ARGUMENT. */
export function checkTellOptions(o: TellOptions | undefined): readonly Transferable[] | undefined {
  if (o === undefined) return undefined;
  if (o === null || typeof o !== 'object') throw invalidArgument('options', 'an object { transfer, delivery }', o);
  refuseUnknownKeys('tell', o, TELL_OPTION_KEYS);
  return common(o);
}

/**
 * Checks ask options (undefined is none) and returns the timeout: a positive number of ms up to
 * 2^31 - 1, or Infinity (no timeout, as Erlang's `infinity`). Throws ERR_TROUPE_INVALID_ARGUMENT.
 */
export function checkAskOptions(o: AskOptions | undefined, defaultTimeoutMs: number): number {
  if (o === undefined) return defaultTimeoutMs;
  if (o === null || typeof o !== 'object') throw invalidArgument('options', 'an object { timeoutMs, signal, transfer, delivery }', o);
  refuseUnknownKeys('ask', o, ASK_OPTION_KEYS);
  common(o);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArgument('signal', 'an AbortSignal', o.signal);
  const t = o.timeoutMs ?? defaultTimeoutMs;
  if (typeof t !== 'number' || !(t > 0) || (t > MAX_TIMER_MS && t !== Infinity)) {
    throw invalidArgument('timeoutMs', 'a positive number of milliseconds up to 2^31 - 1, or Infinity (no timeout)', t);
  }
  return t;
}

function common(o: TellOptions): readonly Transferable[] | undefined {
  if (o.delivery !== undefined && !DELIVERIES.includes(o.delivery)) {
    throw invalidArgument('delivery', "'at-least-once' or 'at-most-once'", o.delivery);
  }
  if (o.transfer !== undefined && !Array.isArray(o.transfer)) throw invalidArgument('transfer', 'an array of transferables', o.transfer);
  return o.transfer;
}
