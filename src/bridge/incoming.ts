/**
 * A message from another node as it came off the wire (inbox.ts), and how to settle it with its
 * stream; and how a dead letter shows its bytes. What it means is the receiver's (receiver.ts).
 */
import type { Envelope } from './envelope.js';

/** Why a message from the wire cannot be used: its dead-letter reason. */
export type WireFault = 'bad-message' | 'unsupported-version' | 'oversized' | 'spoofed';

export interface Incoming {
  /** The sending node, from the subject. */
  from: string;
  /** It came through this node's stream (at-least-once), not core NATS (at-most-once). */
  jetstream: boolean;
  env: Envelope | null;
  /** Why it cannot be used (garbage, version, size, spoofing), with env null or suspect. */
  bad: WireFault | null;
  raw: Uint8Array;
  msgId: string | null;
  /** JetStream delivery count (1 for the first); 1 for at-most-once. */
  deliveries: number;
  /** This is its last delivery: a failure now dead-letters it. Always true for at-most-once. */
  last: boolean;
  /** Done with it (processed or dead-lettered): no redelivery. */
  ack(): void;
  /** Try again after `delayMs`. */
  retry(delayMs: number): void;
  /** Still being handled: JetStream restarts its ack_wait. */
  working(): void;
}

/** A message's bytes as a dead letter shows them: decoded, or a description if they do not decode. */
export function describe(bytes: Uint8Array, decode: (bytes: Uint8Array) => unknown): unknown {
  try { return decode(bytes); } catch { return `[${bytes.length} bytes that do not decode]`; }
}
