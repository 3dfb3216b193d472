/**
 * troupe's errors: one `TroupeError` base with a stable `code`, and a wire form so that an
 * error thrown in a worker (or, later, on another host) arrives intact at whoever asked.
 *
 * Codes are documented in docs/errors.md; a test fails when that list and `ERROR_CODES` drift.
 */

/** Every code troupe throws, with what the user should do about it. */
export const ERROR_CODES = {
  ERR_TROUPE_INVALID_ARGUMENT: 'An argument has the wrong type or value; the message names it.',
  ERR_TROUPE_ASK_TIMEOUT: 'No reply came within timeoutMs; raise the timeout or check the actor replies with ctx.reply.',
  ERR_TROUPE_ASK_ABORTED: 'The AbortSignal passed to ask() fired before the reply came.',
  ERR_TROUPE_MAILBOX_FULL: "The target's mailbox is at capacity and its overflow policy is 'reject'.",
  ERR_TROUPE_UNENCODABLE_MESSAGE: 'The message holds a value that cannot cross threads (a function, a symbol, a Promise, a cycle, ...: see "What crosses threads" in the README); send plain data.',
  ERR_TROUPE_UNDECODABLE_MESSAGE: 'A message arrived as bytes that do not decode (corrupt, or from an incompatible sender); it was dead-lettered `undecodable`, and nothing else was affected.',
  ERR_TROUPE_MODULE_NOT_FOUND: 'The actor module URL does not resolve to a file; check the path and that it is compiled JS.',
  ERR_TROUPE_NOT_AN_ACTOR: 'The module has no default export made by defineActor(); export default defineActor({...}).',
  ERR_TROUPE_MODULE_LOAD_FAILED: 'Importing the actor module threw (syntax error, failing top-level code); see cause.',
  ERR_TROUPE_INIT_FAILED: "The actor's init() threw; see cause. The actor was not started.",
  ERR_TROUPE_INIT_TIMEOUT: "init() did not finish within its deadline: an actor's within initTimeoutMs (a spawn option, default 10 000 ms; the actor was not started), a pool's (loading its module and running init() on a new thread) within controlTimeoutMs (the thread was terminated). Make init faster, or raise the deadline.",
  ERR_TROUPE_NAME_TAKEN: "Another live actor already has this name (with expose: another running node exposes it); pick another, stop the first, or spawn with expose: 'replace' to take an exposed name over.",
  ERR_TROUPE_ACTOR_NOT_FOUND: 'No live actor has that ref or name (it stopped, or never existed).',
  ERR_TROUPE_ACTOR_STOPPED: 'The actor stopped before it could handle the message.',
  ERR_TROUPE_NOT_A_CHILD: 'ctx.stop(ref) was given an actor that is neither this actor nor one of its children; ask that actor to stop, or use system.stop.',
  ERR_TROUPE_FOREIGN_REF: "The ref belongs to another actor system (or to another node), not to the one it was given to; use that system's own refs.",
  ERR_TROUPE_SYSTEM_STOPPED: 'The actor system is shutting down or stopped; create a new one.',
  ERR_TROUPE_CONTROL_TIMEOUT: 'A control call to a worker (spawn, stop, stats) got no answer in time; the worker may be stuck.',
  ERR_TROUPE_WORKER_FAILED: "The worker thread hosting the actor, or running a pool's message, died (crash, exit, out of memory).",
  ERR_TROUPE_NO_REPLY_TO: 'ctx.reply() was called for a message that has no sender to reply to.',
  ERR_TROUPE_CIRCUIT_OPEN: "The target's circuit breaker is open after repeated failures; retry after its reset timeout.",
  ERR_TROUPE_ESCALATED: 'A child needed more restarts than its supervisor allows (maxRestarts within withinMs); see cause.',
  ERR_TROUPE_NOT_EXPOSED: 'The target actor is not exposed to other nodes; spawn it with { name, expose: true }.',
  ERR_TROUPE_NATS_AUTH: "The NATS server refused the credentials (nats.user/pass, token, nkey or creds); check them against the server's authorization settings.",
  ERR_TROUPE_NODE_UNREACHABLE: 'The message could not leave for its node: no NATS configured, or the outbox is full (NATS unreachable, or slower than a burst of sends).',
  ERR_TROUPE_HOOK_TIMEOUT: "A lifecycle hook (preRestart, postRestart, postStop) did not finish within the actor's shutdownMs; it is treated as a failure of the actor. Make the hook faster, or raise shutdownMs.",
  ERR_TROUPE_STALE_REF: 'The ref is to an actor of an earlier run of its node (the node restarted since), and it has no exposed name to find its successor by; look the actor up again.',
  ERR_TROUPE_NODE_ID_TAKEN: 'A running node already has this node id (it answered a ping); give each process its own id (option node, or TROUPE_NODE).',
  ERR_TROUPE_UNSAFE_BIND: 'serve() was asked to listen on an address other than loopback without a token; pass serve({ host, token }) (every request then needs Authorization: Bearer <token>), or bind 127.0.0.1.',
  ERR_TROUPE_HANDLER_TIMEOUT: "A handler blocked its worker longer than maxHandlerMs (a pool's handler: ran longer than it, async or not); the worker was terminated and replaced. Make the handler async (not in a pool) or split its work.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface TroupeErrorOptions {
  cause?: unknown;
  /** Plain data that explains the error (the argument name, the limit, ...). */
  details?: Record<string, unknown>;
}

/** The base of every error troupe throws. `code` is stable: match on it, not on the message. */
export class TroupeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TroupeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TroupeError';
    this.code = code;
    this.details = options.details;
  }
}

/** ask() got no reply within its timeout. */
export class AskTimeoutError extends TroupeError {
  constructor(target: string, timeoutMs: number) {
    super('ERR_TROUPE_ASK_TIMEOUT', `no reply from ${target} within ${timeoutMs} ms`, { details: { target, timeoutMs } });
    this.name = 'AskTimeoutError';
  }
}

/** The target mailbox is full and its policy is 'reject'. */
export class MailboxFullError extends TroupeError {
  constructor(target: string, capacity: number) {
    super('ERR_TROUPE_MAILBOX_FULL', `mailbox of ${target} is full (capacity ${capacity})`, { details: { target, capacity } });
    this.name = 'MailboxFullError';
  }
}

/** The target's circuit breaker is open (or half-open with its probes taken): rejected at once. */
export class CircuitOpenError extends TroupeError {
  constructor(target: string) {
    super('ERR_TROUPE_CIRCUIT_OPEN', `circuit breaker of ${target} is open`, { details: { target } });
    this.name = 'CircuitOpenError';
  }
}

export function invalidArgument(name: string, expected: string, got: unknown): TroupeError {
  return new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `${name} must be ${expected}; got ${describe(got)}`, {
    details: { argument: name, expected },
  });
}

/**
 * Refuses a key of `given` that is not one of `known`: a typo (`maxHandlerMS`) must not be
 * ignored silently. `where` names the options in the message (e.g. 'createActorSystem');
 * `prefix` goes before the key (e.g. 'tuning.'). Only own enumerable string keys are looked at.
 */
export function refuseUnknownKeys(where: string, given: object, known: readonly string[], prefix = ''): void {
  for (const key in given) {
    if (known.includes(key) || !Object.hasOwn(given, key)) continue;
    const near = nearest(key, known);
    throw new TroupeError('ERR_TROUPE_INVALID_ARGUMENT',
      `${prefix}${key} is not an option of ${where}${near ? ` (did you mean ${prefix}${near}?)` : ''}; the options are: ${known.join(', ')}`,
      { details: { argument: prefix + key, known: [...known] } });
  }
}

/** A known key the given one was likely meant as: the same but for case, or one a prefix of the other. */
function nearest(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  return known.find((n) => n.toLowerCase() === k) ??
    (k.length >= 3 ? known.find((n) => n.toLowerCase().startsWith(k) || k.startsWith(n.toLowerCase())) : undefined);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return `${typeof v} ${String(v)}`;
}

// ---------------------------------------------------------------------------------------------
// Wire form

/** An error as plain data: what crosses a thread or a host. */
export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
  details?: Record<string, unknown> | undefined;
  /** Other own enumerable fields of the error (users' custom fields), if they are plain data. */
  props?: Record<string, unknown> | undefined;
  cause?: WireError | undefined;
}

const CONSTRUCTORS: Record<string, new (m: string) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

/** Turns anything thrown into its wire form. Depth-limited so a cause cycle cannot loop. */
export function toWireError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) {
    return { name: 'Error', message: typeof err === 'string' ? err : `non-error thrown: ${safeString(err)}` };
  }
  const wire: WireError = { name: err.name, message: err.message, stack: err.stack };
  const anyErr = err as Error & { code?: unknown; details?: unknown; cause?: unknown };
  if (typeof anyErr.code === 'string') wire.code = anyErr.code;
  if (anyErr.details && typeof anyErr.details === 'object') wire.details = anyErr.details as Record<string, unknown>;
  const props: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(err)) {
    if (key === 'code' || key === 'details' || key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    const v = (err as unknown as Record<string, unknown>)[key];
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) { props[key] = v; any = true; }
  }
  if (any) wire.props = props;
  if (anyErr.cause !== undefined && depth < 4) wire.cause = toWireError(anyErr.cause, depth + 1);
  return wire;
}

/**
 * Rebuilds an error from its wire form: a TroupeError keeps its code; any other error keeps its
 * name, message, code, custom fields and the remote stack (appended below the local one).
 */
export function fromWireError(wire: WireError): Error {
  const cause = wire.cause ? fromWireError(wire.cause) : undefined;
  let err: Error;
  if (wire.code && wire.code in ERROR_CODES) {
    err = new TroupeError(wire.code as ErrorCode, wire.message, { cause, details: wire.details });
  } else {
    const Ctor = CONSTRUCTORS[wire.name] ?? Error;
    err = new Ctor(wire.message);
    if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true });
    if (wire.code !== undefined) (err as Error & { code: string }).code = wire.code;
    if (wire.details !== undefined) (err as Error & { details: unknown }).details = wire.details;
  }
  err.name = wire.name;
  if (wire.props) Object.assign(err, wire.props);
  if (wire.stack) err.stack = wire.stack;
  return err;
}

function safeString(v: unknown): string {
  try { return String(v); } catch { return typeof v; }
}
