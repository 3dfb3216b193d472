/**
 * What a user's actor module exports for `troupe bench --actor` (docs/cli.md), and the message
 * makers the senders build from it: the driver actor and the baseline's source worker each
 * import the module and build every message in their own thread, inside the timing.
 */

/** The exports `--actor` reads (the default export is the actor). */
export interface BenchExports {
  default?: unknown;
  /** Required: what the throughput scenario tells, N per round; a value, or a function of its sequence number (0, 1, ...). */
  benchMessage?: unknown;
  /**
   * What ping-pong and ask send (with `ask`), and the ask that ends each throughput round: the
   * actor must answer it with `ctx.reply`. A value or a function of its sequence number; default: benchMessage.
   */
  benchAsk?: unknown;
  /** The actor's spawn `args` (its init's first argument); default: none. */
  benchArgs?: unknown;
}

/** The messages to send, by sequence number (0, 1, ...). */
export interface BenchMessages {
  message(seq: number): unknown;
  ask(seq: number): unknown;
}

function maker(value: unknown): (seq: number) => unknown {
  return typeof value === 'function' ? (seq) => (value as (seq: number) => unknown)(seq) : () => value;
}

/** The message makers of a module; throws (with what to export) when it has no benchMessage. */
export function benchMessages(mod: BenchExports): BenchMessages {
  if (mod.benchMessage === undefined) {
    throw new Error('exports no benchMessage: export the message to send, or a function of its sequence number (export const benchMessage = (seq) => ({ ... }))');
  }
  const message = maker(mod.benchMessage);
  return { message, ask: mod.benchAsk === undefined ? message : maker(mod.benchAsk) };
}
