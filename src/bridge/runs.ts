/**
 * Mail for an earlier run of this node. A node that restarts reuses actor addresses (thread, id),
 * so such mail never goes by address: the actor there now is another one. It goes by the
 * target's exposed name (the envelope's `tn`, from a ref's path `/user/<name>`) to the actor that
 * has that name here now. While this node starts, mail for a name not exposed yet is held for it
 * (backlog.ts) for up to `backlogGraceMs`, then dead-lettered `not-exposed`; when the backlog is
 * full, a stream message is nak'd with a delay instead (until its last delivery). Mail without a
 * name is dead-lettered `stale-ref` (an ask rejects with ERR_TROUPE_STALE_REF).
 */
import { TroupeError } from '../actors/errors.js';
import { Backlog } from './backlog.js';
import type { Incoming } from './incoming.js';
import type { Envelope } from './envelope.js';

/** A message that goes no further: its dead letter's reason, target and error. */
export interface Dead { dead: 'stale-ref' | 'not-exposed'; target: string; error: TroupeError }

/** What to do with a message for an earlier run. */
export type Routed = { to: { thread: number; id: number } } | { held: true } | { retryMs: number } | Dead;

export class EarlierRuns {
  /** Names exposed here, and their actors. */
  private readonly here = new Map<string, { thread: number; id: number }>();
  private readonly backlog: Backlog;

  /** `release(deliveries)`: held mail whose wait is over (its name came, or the grace ended), to be handled again. */
  constructor(private readonly node: string, graceMs: number, private readonly retryMs: number, private readonly release: (deliveries: Incoming[]) => void) {
    this.backlog = new Backlog(graceMs, release);
  }

  /** This node started reading its stream: the grace runs from now. */
  started(): void {
    this.backlog.start();
  }

  route(m: Incoming, env: Envelope, key: string | null): Routed {
    if (env.tn === null) {
      const address = `@${env.t[0]}.${env.t[1]}`;
      return { dead: 'stale-ref', target: address, error: new TroupeError('ERR_TROUPE_STALE_REF',
        `${address} was an actor of an earlier run of node ${this.node} (it restarted since), with no exposed name to find it by`) };
    }
    const to = this.here.get(env.tn);
    if (to !== undefined) return { to };
    if (this.backlog.open) {
      if (!this.backlog.full) {
        this.backlog.hold(env.tn, key, m);
        return { held: true };
      }
      if (m.jetstream && !m.last) return { retryMs: Math.min(this.backlog.remainingMs, this.retryMs * 2 ** (m.deliveries - 1), 30_000) };
    }
    return this.notExposed(env.tn, `no actor is exposed as ${JSON.stringify(env.tn)} on node ${this.node}`);
  }

  /** `name` is exposed here now: its held mail goes on, oldest first. */
  exposed(name: string, to: { thread: number; id: number }): void {
    this.here.set(name, to);
    for (const deliveries of this.backlog.take(name)) this.release(deliveries);
  }

  unexposed(name: string): void {
    this.here.delete(name);
  }

  /** The delivery of each held message its stream waits on (to keep it in progress). */
  held(): Iterable<Incoming> {
    return this.backlog.newest();
  }

  /** This node stops: everything held, for the caller to give back (stream) or dead-letter. */
  drain(): Incoming[][] {
    return this.backlog.drain();
  }

  notExposed(name: string, why: string): Dead {
    return { dead: 'not-exposed', target: `/user/${name}`, error: new TroupeError('ERR_TROUPE_NOT_EXPOSED', why) };
  }
}
