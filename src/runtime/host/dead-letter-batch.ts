/**
 * A host's dead letters (and the supervision events the ring could not carry) on their way to
 * main: batched, and posted on the events port once per turn (or per microtask checkpoint).
 * Counting is the caller's (the ledger); this only carries them.
 */
import type { WireError } from '../../actors/errors.js';
import { untraced } from '../../observability/traced.js';
import type { SupervisionEvent } from '../../supervision/events.js';
import type { DeadLetterWire, HostToMain } from '../protocol.js';
import type { DeadLetterReason } from '../../actors/dead-letter-reasons.js';
import { guarded, microtask } from '../microtask.js';

export class DeadLetterBatch {
  private batch: DeadLetterWire[] = [];
  private events: SupervisionEvent[] = [];
  private readonly flushNow = guarded(() => this.flush());

  constructor(private readonly post: (m: HostToMain) => void) {}

  /** Records a dead letter (the caller counts it). */
  add(reason: DeadLetterReason, target: string, sender: string | null, message: unknown, error?: WireError,
    failure?: Pick<DeadLetterWire, 'category' | 'severity' | 'retries'>): void {
    this.batch.push({ reason, target, sender, message: untraced(message), error, time: Date.now(), ...failure });
    if (this.batch.length === 1) microtask(this.flushNow);
  }

  /** A supervision event the ring could not carry (fields the codec cannot encode): the port can, unordered. */
  event(e: SupervisionEvent): void {
    this.events.push(e);
    if (this.events.length === 1) microtask(this.flushNow);
  }

  flush(): void {
    if (this.events.length > 0) {
      const events = this.events;
      this.events = [];
      this.post({ t: 'events', events });
    }
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    try {
      this.post({ t: 'dead-letters', entries: batch });
    } catch {
      // A message in it cannot be cloned (a function sent within this worker): describe those.
      this.post({ t: 'dead-letters', entries: batch.map((e) => (isCloneable(e.message) ? e : { ...e, message: `[unclonable ${typeof e.message}]` })) });
    }
  }
}

function isCloneable(v: unknown): boolean {
  try { structuredClone(v); return true; } catch { return false; }
}
