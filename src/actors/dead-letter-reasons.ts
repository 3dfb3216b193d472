/**
 * Why a message was dead-lettered: every reason the runtime gives, in one place. A dead letter's
 * `reason` is one of these; docs/dead-letters.md explains each and what to do about it (a test
 * keeps the two in step, as docs/errors.md and ERROR_CODES).
 */
export const DEAD_LETTER_REASONS = {
  // An actor and its mailbox.
  'actor-failed': 'its handler threw and the supervisor gave up on it (stop, escalate, or retries used up)',
  'actor-stopped': 'its actor stopped (or the system shut down) with it still queued or in flight',
  'no-such-actor': 'its target does not exist (never did, or stopped before it arrived)',
  'mailbox-full': "its target's mailbox was full (overflow 'dead-letter' or 'reject')",
  'dropped-oldest': "it was the oldest in a full mailbox whose overflow is 'drop-oldest'",
  'circuit-open': "its target's circuit breaker was open",
  'stop-timeout': 'its handler was still running when a stop gave up waiting (shutdownMs)',
  'undecodable': 'its bytes did not decode on the receiving thread',
  // Replies.
  'late-reply': 'a reply came after its ask had timed out or settled',
  'no-reply-to': 'ctx.reply was called for a message that was not an ask',
  // Workers and pools.
  'worker-died': "its worker died (crash, exit, out of memory) with it in the worker's heap",
  'timeout': 'its handler blocked its worker past maxHandlerMs; the watchdog terminated the worker',
  'pool-full': "a pool actor's queue was full (its capacity)",
  // Between nodes (with NATS).
  'node-unreachable': 'it was for another node, and the system has no NATS or the message could not leave',
  'outbox-full': 'NATS was unreachable and the outbox toward it was full',
  'unencodable': 'it could not be encoded for the wire',
  'not-exposed': 'it came from another node for an actor this node does not expose',
  'stale-ref': "it came through a ref to an unnamed actor of this node's earlier run",
  'unexpected-reply': 'a reply came from a node other than the one asked',
  'bad-message': 'it came from the wire malformed',
  'unsupported-version': 'it came from the wire in an envelope version this node does not read',
  'oversized': 'it came from the wire larger than the largest message this node takes',
  'spoofed': 'it came from the wire claiming to be from another node',
  'max-deliveries': "NATS gave up redelivering it to a node that died holding it (written by the DLQ backstop)",
} as const;

export type DeadLetterReason = keyof typeof DEAD_LETTER_REASONS;

export function isDeadLetterReason(x: unknown): x is DeadLetterReason {
  return typeof x === 'string' && Object.hasOwn(DEAD_LETTER_REASONS, x);
}
