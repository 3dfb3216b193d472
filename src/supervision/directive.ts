/**
 * Directives: what a supervisor does with a child whose handler failed (as in Akka and
 * Proto.Actor), and the default decider that chooses one from the error's category.
 */
import type { Classification } from './classify.js';

/**
 * - `resume`: keep the child and its state; the failed message is dead-lettered (a poison message).
 * - `restart`: the failed message is retried up to `maxRetries` times (then dead-lettered), the
 *   child's state is made anew by init() after the backoff delay; its mailbox is kept.
 * - `stop`: the child stops; its mailbox is dead-lettered.
 * - `escalate`: the supervisor fails with the error, and its own supervisor decides.
 */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

export interface FailureInfo extends Classification {
  error: Error;
  /** The child's path. */
  actor: string;
  /** How many times this message has already been tried before this failure. */
  retries: number;
}

export type Decider = (failure: FailureInfo) => Directive;

/**
 * The default decider:
 * validation and serialization (a poison message) → resume;
 * configuration and authentication → stop (retrying cannot help);
 * resource-exhaustion → escalate;
 * everything else (connection, processing, timeout, mailbox-overflow, unknown) → restart.
 */
export const defaultDecider: Decider = ({ category }) => {
  switch (category) {
    case 'validation':
    case 'serialization':
      return 'resume';
    case 'configuration':
    case 'authentication':
      return 'stop';
    case 'resource-exhaustion':
      return 'escalate';
    default:
      return 'restart';
  }
};
