/**
 * A host's scheduler: actors with mail wait in a FIFO run queue. The pump's turns run actors for
 * at most `sliceMs` in all (the turns that follow one another as microtasks share it), each for
 * at most `throughput` messages (fairness), then yield to the event loop so timers and I/O inside
 * actors keep running. An async `receive` is one message at a time: the actor leaves the run
 * queue until its promise settles (`resume`).
 */
import { performance } from 'node:perf_hooks'; // (not the global's getter: see pump.ts)
import { S_CUR_ACTOR, S_CUR_ROOT, S_TURNS } from '../constants.js';
import type { SystemMessage } from '../protocol.js';
import { empty } from '../arrays.js';
import type { Cell } from './cell.js';

/** What the scheduler asks of its host. */
export interface SchedulerHost {
  /** Runs one actor's turn (turns.ts): how many messages it took. */
  runTurn(cell: Cell): number;
  /** After a slice: dead letters and events go to main. */
  flushDeadLetters(): void;
  /** Nothing was queued: whoever waits for the host to be idle may hear it now. */
  checkIdle(): void;
  /** A pump turn is needed. */
  schedulePump(): void;
  /** The actor waits for its paths to drain before its next user message (flow-control.ts). */
  muted(cell: Cell): boolean;
}

export class Scheduler {
  private readonly queue: (Cell | undefined)[] = [];
  private head = 0;

  constructor(private readonly stats: Float64Array, private readonly host: SchedulerHost) {}

  /** Whether an actor waits to run. */
  get hasWork(): boolean {
    return this.head < this.queue.length;
  }

  /**
   * Whether the cell should be in the run queue: not there already, no handler running, and
   * system mail, or user mail it may take (not stopping, not waiting out a restart backoff, not
   * muted by flow control).
   */
  runnable(cell: Cell): boolean {
    if (cell.scheduled || cell.busy) return false;
    if (cell.mailbox.system.length > 0) return true;
    return cell.mailbox.size > 0 && cell.stopping === null && !cell.suspended && !this.host.muted(cell);
  }

  enqueue(cell: Cell): void {
    cell.scheduled = true;
    this.queue.push(cell);
    this.host.schedulePump();
  }

  /** The cell may take mail again (its handler settled, its restart is done). */
  resume(cell: Cell): void {
    if (this.runnable(cell)) this.enqueue(cell);
    this.host.schedulePump();
  }

  /** A system message for the cell's system lane (taken before its user mail). */
  system(cell: Cell, m: SystemMessage): void {
    cell.mailbox.pushSystem(m);
    if (!cell.scheduled && !cell.busy) this.enqueue(cell);
  }

  /**
   * Runs queued actors, each up to its throughput budget, until `deadline` (performance.now()
   * time: the end of the pump's slice of the event loop). What the pump counts as work.
   */
  run(deadline: number): number {
    const q = this.queue;
    if (this.head >= q.length) { this.host.checkIdle(); return 0; }
    const stats = this.stats;
    let done = 0;
    let turns = 0;
    while (this.head < q.length) {
      const cell = q[this.head]!;
      q[this.head++] = undefined; // not kept alive by the queue once it ran (it may stop)
      cell.scheduled = false;
      // While its handlers run, the watchdog knows whose code is running (and whose subtree's).
      stats[S_CUR_ACTOR] = cell.id;
      stats[S_CUR_ROOT] = cell.rootId;
      done += this.host.runTurn(cell);
      stats[S_CUR_ACTOR] = 0;
      stats[S_CUR_ROOT] = 0;
      turns++;
      if (this.runnable(cell)) {
        cell.scheduled = true;
        q.push(cell);
      }
      // Check the clock every few actors, not every one.
      if ((turns & 15) === 0 && performance.now() > deadline) break;
    }
    stats[S_TURNS]! += turns;
    if (this.head >= q.length) { empty(q); this.head = 0; }
    // The part already run goes once it is as long as the rest (the rest is moved, each queued
    // cell at most once): cut at every slice past 4,096, a run queue of Skynet's 10^6 actors was
    // moved whole each time, 7 % of a worker's time (a CPU profile).
    else if (this.head > 4096 && this.head >= q.length - this.head) { q.splice(0, this.head); this.head = 0; }
    this.host.flushDeadLetters();
    // Actors ran (even if each only stopped): count the turn as work so the pump comes back.
    return done || 1;
  }
}
