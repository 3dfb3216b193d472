/**
 * This node's connection to NATS, as the parts of the bridge that use it see it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

/** What the outbox, the inbox and the backstop see of the connection. */
export interface Link {
  /** Connected and set up: publishing and reading may go on. */
  readonly connected: boolean;
  /** The bridge is closing: nothing new starts. */
  readonly closing: boolean;
  /** The connection (null until the first connect). */
  readonly nc: NatsConnection | null;
  /** JetStream on it (null until it is set up). */
  readonly js: JetStreamClient | null;
  readonly jsm: JetStreamManager | null;
}
