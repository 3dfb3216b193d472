/**
 * Supervision inside a host: what happens when an actor's handler fails. The decider picks a
 * directive; this module applies it with the parent's strategy, restart intensity and backoff,
 * retries or dead-letters the failed message, and reports every step as an event.
 *
 * Escalation goes up the tree: the child stops and its parent fails with the error, and the
 * parent's own supervisor decides. Past the top (a top-level actor) it is logged, counted for
 * health, and that subtree stops; the process never does.
 */
import { TroupeError, toWireError } from '../../actors/errors.js';
import { classify, type Classification } from '../../supervision/classify.js';
import type { Directive } from '../../supervision/directive.js';
import { toRestart } from '../../supervision/strategy.js';
import type { Clock, Random } from '../../supervision/clock.js';
import { Backoff } from '../../supervision/backoff.js';
import type { SupervisionEvent } from '../../supervision/events.js';
import type { Cell } from './cell.js';
import { S_FAILED, S_LAST_ESCALATION_AT, S_LAST_FAILURE_AT, S_LAST_RESTART_AT, S_RESTARTS, S_ROOT_ESCALATIONS } from '../constants.js';
import type { Logger } from 'pino';

/**
 * The message whose handler failed, as it sat in the mailbox. `receipt`: it came from another
 * node, which retries it by redelivery (unless this was its `last` delivery), not by a requeue.
 */
export interface FailedMessage {
  msg: unknown; thread: number; sender: number; corr: number; receipt: number; last: boolean;
  /** The context it was handled with: whether its ask was answered already. */
  ctx: { answered: boolean; record: number; readonly thread: number };
}

/** What supervision needs from its host. */
export interface SupervisedHost {
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly stats: Float64Array;
  stopCell(cell: Cell): Promise<void>;
  /**
   * Runs preRestart, stops its children, init() again, postRestart, each bounded in time.
   * Rejects when init or postRestart failed (threw or timed out): the restart failed. A
   * preRestart that failed is reported with `onHookFailure` and the restart goes on.
   */
  reinit(cell: Cell, error: Error, onHookFailure: (err: Error) => void): Promise<void>;
  /** Puts the failed message back at the head of the mailbox (it stays counted as queued). */
  requeue(cell: Cell, failed: FailedMessage): void;
  /** Dead-letters the failed message with its error, and rejects its ask. */
  deadLetterFailed(cell: Cell, failed: FailedMessage, error: unknown, c: Classification, retries: number): void;
  /** Hands a failed message from another node back to it, for redelivery with backoff. */
  returnFailed(cell: Cell, failed: FailedMessage, error: unknown): void;
  /** Lets the cell take mail again. */
  resume(cell: Cell): void;
  event(e: SupervisionEvent): void;
}

/** A message from another node, not on its last delivery: its node retries it. */
function returns(failed: FailedMessage): boolean {
  return failed.receipt !== 0 && !failed.last;
}

export class Supervision {
  constructor(private readonly host: SupervisedHost) {}

  /** A handler (or, with `failed` null, a child escalating into this cell) failed. */
  fail(cell: Cell, err: unknown, failed: FailedMessage | null): void {
    const host = this.host;
    const error = err instanceof Error ? err : new Error(String(err));
    const c = classify(err);
    const stats = host.stats;
    stats[S_FAILED]!++;
    cell.failed++;
    cell.kind.failed++;
    stats[S_LAST_FAILURE_AT] = Date.now();
    let directive = this.decide(cell, error, c);
    if (directive === 'restart' && cell.sup.restartType === 'temporary') directive = 'stop';
    host.event({ type: 'failure', actor: cell.path, directive, category: c.category, severity: c.severity,
      error: toWireError(error), retries: cell.retries, time: Date.now() });
    cell.breaker?.failure();
    host.log[c.severity]({ actor: cell.path, directive, category: c.category, err: error }, `actor failed: ${directive}`);
    if (cell.stopping !== null) {
      if (failed) this.drop(cell, failed, error, c);
      return;
    }
    switch (directive) {
      case 'resume':
        if (failed) this.drop(cell, failed, error, c);
        cell.retries = 0;
        host.resume(cell);
        return;
      case 'stop':
        if (failed) this.drop(cell, failed, error, c);
        this.stop(cell, `stopped by its supervisor after ${c.category} error: ${error.message}`);
        return;
      case 'escalate':
        if (failed) this.drop(cell, failed, error, c);
        this.escalate(cell, error, 'the decider escalated');
        return;
      case 'restart':
        if (!this.mayRestart(cell)) {
          // The failure that trips the restart limit: its message ends with its own error.
          if (failed) this.drop(cell, failed, error, c);
          cell.retries = 0;
          this.tooManyRestarts(cell, error);
          return;
        }
        if (failed) {
          // A message from another node is retried by redelivery, with the stream's count, never here.
          // Nor is an ask the handler answered before it failed: a retry would answer it again.
          if (cell.retries < cell.sup.policy.maxRetries && failed.receipt === 0 && !failed.ctx.answered) {
            cell.retries++;
            host.requeue(cell, failed);
          } else {
            this.drop(cell, failed, error, c);
            cell.retries = 0;
          }
        }
        this.restart(cell, error);
        return;
    }
  }

  /** Counts a restart against the cell's restart intensity; false when it is past it. */
  private mayRestart(cell: Cell): boolean {
    return cell.intensity.tryRestart(this.host.clock.now());
  }

  private tooManyRestarts(cell: Cell, error: Error): void {
    const { maxRestarts, withinMs } = cell.sup.policy;
    this.escalate(cell, new TroupeError('ERR_TROUPE_ESCALATED',
      `${cell.path} needed more than ${maxRestarts} restarts within ${withinMs} ms`, { cause: error }), 'restart intensity exceeded');
  }

  /** Done with a failed message: back to its node for redelivery (see FailedMessage), or dead-lettered. */
  private drop(cell: Cell, failed: FailedMessage, error: Error, c: Classification): void {
    if (returns(failed)) this.host.returnFailed(cell, failed, error);
    else this.host.deadLetterFailed(cell, failed, error, c, cell.retries);
  }

  /** A permanent child stopped itself normally: OTP restarts it. */
  restartAfterNormalStop(cell: Cell): void {
    const error = new Error('stopped normally; a permanent child is restarted');
    if (this.mayRestart(cell)) this.restart(cell, error);
    else this.tooManyRestarts(cell, error);
  }

  private decide(cell: Cell, error: Error, c: Classification): Directive {
    try {
      const d = cell.sup.policy.decide({ ...c, error, actor: cell.path, retries: cell.retries });
      if (d === 'resume' || d === 'restart' || d === 'stop' || d === 'escalate') return d;
      this.host.log.error({ actor: cell.path, directive: d }, 'decide() returned no directive; escalating');
    } catch (err) {
      this.host.log.error({ actor: cell.path, err }, 'decide() threw; escalating');
    }
    return 'escalate';
  }

  /** Restarts the cell (and, by its parent's strategy, siblings); the restart is already counted. */
  private restart(cell: Cell, error: Error): void {
    const host = this.host;
    const parent = cell.parent;
    const siblings = parent ? [...parent.childList()] : [cell];
    const targets = toRestart(parent ? cell.sup.policy.strategy : 'one-for-one', siblings, cell)
      .filter((t) => t.stopping === null);
    const backoff = cell.backoff ??= new Backoff(cell.sup.policy.backoff, host.random);
    const delayMs = backoff.next(host.clock.now());
    for (const t of targets) { t.suspended = true; t.restarts++; }
    host.stats[S_RESTARTS]! += targets.length;
    host.stats[S_LAST_RESTART_AT] = Date.now();
    host.event({ type: 'restart', actor: cell.path, attempt: backoff.attempt, delayMs,
      siblings: targets.filter((t) => t !== cell).map((t) => t.path), time: Date.now() });
    host.clock.setTimeout(() => void this.restartNow(targets, error), delayMs);
  }

  /** Restarts in start order; messages that came meanwhile waited in the mailboxes. */
  private async restartNow(targets: Cell[], error: Error): Promise<void> {
    for (const t of targets) {
      // A sibling in the middle of an async handler finishes it first.
      if (t.busy) await new Promise<void>((resolve) => t.whenIdle(resolve));
      if (t.stopping !== null) continue;
      try {
        await this.host.reinit(t, error, (err) => this.report(t, err, 'preRestart failed; the restart goes on'));
      } catch (err) {
        // The restart failed (init or postRestart threw or hung): a failure of the actor like
        // any other, decided anew and counted against its restart intensity.
        t.suspended = false;
        if (t.stopping === null) this.fail(t, err, null);
        continue;
      }
      t.suspended = false;
      this.host.resume(t);
    }
  }

  /**
   * A failure that decides nothing (a lifecycle hook that threw or hung while the actor was
   * restarting or stopping anyway): counted, logged and published as a failure event.
   */
  report(cell: Cell, err: unknown, what: string): void {
    const host = this.host;
    const error = err instanceof Error ? err : new Error(String(err));
    const c = classify(err);
    host.stats[S_FAILED]!++;
    host.stats[S_LAST_FAILURE_AT] = Date.now();
    host.event({ type: 'failure', actor: cell.path, directive: 'resume', category: c.category, severity: c.severity,
      error: toWireError(error), retries: 0, time: Date.now() });
    host.log[c.severity]({ actor: cell.path, category: c.category, err: error }, what);
  }

  private stop(cell: Cell, reason: string): void {
    this.host.event({ type: 'stop', actor: cell.path, reason, time: Date.now() });
    void this.host.stopCell(cell);
  }

  /** The cell stops; its parent fails with the error. Past the top: logged, counted, subtree stopped. */
  private escalate(cell: Cell, error: Error, reason: string): void {
    const host = this.host;
    const parent = cell.parent;
    host.event({ type: 'escalate', actor: cell.path, to: parent ? parent.path : '/user', reason, time: Date.now() });
    const stopped = host.stopCell(cell);
    if (parent) {
      void stopped.then(() => { if (parent.stopping === null) this.fail(parent, error, null); });
      return;
    }
    host.stats[S_ROOT_ESCALATIONS]!++;
    host.stats[S_LAST_ESCALATION_AT] = Date.now();
    host.log.error({ actor: cell.path, err: error }, `failure escalated to the top (${reason}); ${cell.path} and its children stopped`);
  }
}
