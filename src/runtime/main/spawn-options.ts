/**
 * The checks of spawn options, for `system.spawn` (on main) and `ctx.spawn` (a child, on its
 * parent's worker): a bad value or an unknown key throws ERR_TROUPE_INVALID_ARGUMENT naming it,
 * at the call, not later in a worker. Defaults are stated where each option is used:
 * `restart` 'transient' and the `supervision` and `circuitBreaker` defaults in
 * supervision/options.ts, `shutdownMs` 5 000, `mailbox` in actors/mailbox.ts, `placement`
 * 'shared' (checked against the workers where the actor is placed).
 *
 * - `name`: a non-empty string without '/' (with `expose: true`: letters, digits, '_', '=' and '-');
 * - `initTimeoutMs`: a positive number of milliseconds, at most 2^31 - 1;
 * - `expose`: a boolean, or 'replace' (needs a `name`);
 * - `resourceLimits`: with `placement: 'dedicated'` only (the only worker whose limits are its
 *   own), Node's ResourceLimits: positive numbers of MB (worker-limits.ts).
 */
import { invalidArgument, refuseUnknownKeys } from '../../actors/errors.js';
import { mailboxOptions } from '../../actors/mailbox.js';
import type { ChildSpawnOptions } from '../../actors/define.js';
import { breakerOptions, restartType, shutdownMs, supervisorOptions } from '../../supervision/options.js';
import type { SpawnOptions } from './system.js';
import { checkResourceLimits } from '../worker-limits.js';

export const SPAWN_OPTION_KEYS = [
  'name', 'args', 'mailbox', 'placement', 'resourceLimits', 'restart', 'supervision', 'circuitBreaker', 'shutdownMs', 'expose', 'initTimeoutMs',
] as const satisfies readonly (keyof SpawnOptions)[];
/** A child runs on its parent's worker, and only top-level actors are exposed. */
export const CHILD_SPAWN_OPTION_KEYS = [
  'name', 'args', 'mailbox', 'restart', 'supervision', 'circuitBreaker', 'shutdownMs', 'initTimeoutMs',
] as const satisfies readonly (keyof ChildSpawnOptions)[];

/** Checks system.spawn's options (everything but `placement`'s worker index and `args`' encoding). */
export function checkSpawnOptions(o: SpawnOptions): void {
  if (o === null || typeof o !== 'object') throw invalidArgument('options', 'an object', o);
  refuseUnknownKeys('spawn', o, SPAWN_OPTION_KEYS);
  common(o);
  if (o.expose !== undefined && typeof o.expose !== 'boolean' && o.expose !== 'replace') throw invalidArgument('expose', "a boolean or 'replace'", o.expose);
  if ((o.expose === true || o.expose === 'replace') && (o.name === undefined || !/^[A-Za-z0-9_=-]{1,1024}$/.test(o.name))) {
    throw invalidArgument('name', 'a name of letters, digits, "_", "=" and "-", at most 1024 (expose registers it across nodes)', o.name);
  }
  if (o.resourceLimits !== undefined) {
    if (o.placement !== 'dedicated') throw invalidArgument('resourceLimits', "given only with placement: 'dedicated' (a worker of the actor's own)", o.resourceLimits);
    checkResourceLimits('resourceLimits', o.resourceLimits);
  }
}

/** Checks ctx.spawn's options. */
export function checkChildSpawnOptions(o: ChildSpawnOptions): void {
  if (o === null || typeof o !== 'object') throw invalidArgument('options', 'an object', o);
  refuseUnknownKeys('ctx.spawn', o, CHILD_SPAWN_OPTION_KEYS);
  common(o);
}

function common(o: ChildSpawnOptions): void {
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '' || o.name.includes('/'))) {
    throw invalidArgument('name', 'a non-empty string without "/"', o.name);
  }
  if (o.initTimeoutMs !== undefined && (typeof o.initTimeoutMs !== 'number' || !(o.initTimeoutMs > 0 && o.initTimeoutMs <= 2 ** 31 - 1))) {
    throw invalidArgument('initTimeoutMs', 'a positive number of milliseconds, at most 2^31 - 1', o.initTimeoutMs);
  }
  if (o.mailbox !== undefined) mailboxOptions(o.mailbox);
  restartType(o.restart);
  shutdownMs(o.shutdownMs);
  supervisorOptions(o.supervision);
  breakerOptions(o.circuitBreaker);
}
