/**
 * A thread's message counts, in its slots of shared memory (constants.ts: S_SENT, ...). Every
 * path that sends, queues, ends or hands back a message counts through one of these, so that,
 * summed over the threads, sent = processed + deadLettered + queued + returned whenever nothing
 * is in flight. Each thread writes only its own slots; main reads everyone's.
 */
import { S_DEAD_LETTERED, S_PROCESSED, S_QUEUED, S_RETURNED, S_SENT } from './constants.js';

export class Ledger {
  constructor(readonly stats: Float64Array) {}

  /** A message (or reply) left this thread, or came into it from outside (another node). */
  sent(n = 1): void { this.stats[S_SENT]! += n; }
  /** It waits here now (a mailbox, the outbox), or no longer does (`n` negative). */
  queued(n = 1): void { this.stats[S_QUEUED]! += n; }
  processed(n = 1): void { this.stats[S_PROCESSED]! += n; }
  deadLettered(n = 1): void { this.stats[S_DEAD_LETTERED]! += n; }
  /** Handed back to its node for redelivery after a failed attempt. */
  returned(n = 1): void { this.stats[S_RETURNED]! += n; }
}
