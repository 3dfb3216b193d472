/**
 * The pump of a thread's mesh: it runs on the thread's event loop, never blocking it. Each turn
 * reads every incoming ring (up to a budget), lets the owner run its work (a host runs actors),
 * moves spilled records into rings that have room, and publishes. On a worker, a turn that did
 * work is followed by the next as a microtask, for up to `sliceMs` (see `next`). With nothing to do it keeps
 * polling for a while after its last work (a reply usually comes within microseconds; see
 * `spinLimit`), then parks on its doorbell with `Atomics.waitAsync`. One interval timer rings
 * its own doorbell while it is parked: a lost notify costs at most `parkMs`.
 */
// The module's binding, not the global: `performance` on globalThis is a lazy getter, and the
// global lookup plus its call cost 15-25 ns on each of the clock reads here (74-85 ns a call
// against 52-67, a loop of 5 * 10^6 on this project's VM: 2.5 % of a worker's samples in spread PingPong).
import { performance } from 'node:perf_hooks';
import { MAIN_THREAD } from '../constants.js';
import type { Tuning } from '../protocol.js';
import { guarded, microtask } from '../microtask.js';
import type { Doorbell } from './doorbell.js';

/** What a pump turn does: the mesh's reading and writing, and the owner's work. */
export interface PumpWork {
  /** Reads the incoming rings; how many records. */
  read(): number;
  /**
   * The owner's work for one turn (a host runs its actors); how much it did. `until`: when the
   * event loop's slice ends (performance.now() time): the turns that follow one another as
   * microtasks share one slice of `sliceMs`, and the owner need not read the clock to know it.
   */
  work(until: number): number;
  /** Whether the owner has work queued (so the pump must not park). */
  hasWork(): boolean;
  /** Moves spilled records into rings and publishes; true if a ring is still too full for its spill. */
  flush(): boolean;
  /** Whether an incoming ring holds records (exact for this instant). */
  anyInput(): boolean;
  /** After `doorbell.prepare()`: asks the readers of full rings to ring us; true if the room is already there. */
  armSpaceRequests(): boolean;
  /** Nothing to run: lets go of ring space held for producers that wait for it; true if some was freed. */
  unstick(): boolean;
}

/**
 * About what parking costs a thread: an `Atomics.waitAsync` wake-up took 27–56 µs at the median
 * on this project's 2-core VM (main notifying a parked worker).
 */
const PARK_COST_MS = 0.05;
/** Longest a polling thread keeps its event loop waiting (timers, sockets) between looks (ms). */
const SPIN_SLICE_MS = 0.02;

export class Pump {
  private queued = false;
  /** A turn is running: `schedule()` only notes that another turn is wanted (`again`). */
  private turning = false;
  /** `schedule()` was called during this turn. */
  private again = false;
  private parked = false;
  private lastWork = 0;
  /** When the last work was done, if no turn has found work since (else -1). */
  private idleSince = -1;
  /** Of the recent waits for work, how many more were longer than PARK_COST_MS than not (0–8). */
  private longGaps = 0;
  private running = true;
  private readonly backstop: ReturnType<typeof setInterval>;
  /** When the event loop last ran a turn (see `next`). */
  private sliceStart = 0;
  /**
   * The latest reading of the clock: when the event loop ran this turn, the end of the turn
   * before, or the poll that found input. Each read costs 35-40 ns; a hop between workers read
   * it three times before its handler ran (here, and for the scheduler's slice), and now once, after.
   */
  private clock = 0;
  private readonly turnNow = () => { this.sliceStart = this.clock = performance.now(); this.turn(); };
  private readonly turnHot = guarded(() => this.turn());
  /** A worker runs its next turn as a microtask while busy (`next`); main always yields. */
  private readonly hot: boolean;

  constructor(private readonly thread: number, private readonly tuning: Tuning, private readonly doorbell: Doorbell, private readonly w: PumpWork) {
    this.backstop = setInterval(() => { if (this.parked) this.doorbell.ringSelf(); }, tuning.parkMs);
    this.backstop.unref();
    this.hot = thread !== MAIN_THREAD;
  }

  /** Whether a turn is running now (it flushes, and so publishes, before it ends). */
  get inTurn(): boolean {
    return this.turning;
  }

  /**
   * Makes sure a pump turn is coming. Cheap to call often. Called during a turn (a message read
   * makes its actor runnable, a finished record frees space), it leaves the choice of how the
   * next turn comes to the end of this one (`next`): an immediate set here would send every
   * busy worker round its event loop once per hop.
   */
  schedule(): void {
    if (this.queued || !this.running) return;
    if (this.turning) { this.again = true; return; }
    this.queued = true;
    setImmediate(this.turnNow);
  }

  /**
   * The next turn, after one that did work (or found input on its second step: see `turn`): on
   * a worker, as a microtask, so that a message read is run, and a record written is read,
   * without a trip round the event loop (a setImmediate per turn: two per hop between workers);
   * after `sliceMs` of that, or when the scheduler's slice ran out (work is still queued), it
   * yields to the event loop like any other turn. Promise callbacks queued first (an async
   * handler's) still run first.
   */
  private next(busy: boolean, now: number): void {
    if (this.queued || !this.running) return;
    if (this.hot && !busy && now - this.sliceStart < this.tuning.sliceMs) {
      this.queued = true;
      microtask(this.turnHot);
      return;
    }
    this.schedule();
  }

  private turn(): void {
    this.queued = false;
    if (!this.running) return;
    this.turning = true;
    this.again = false;
    try {
      // On a worker, input found while polling is read in this turn, not a microtask later: two
      // threads passing one message through the rings took 0.51 us a hop with a microtask between
      // finding and reading it, 0.39 without (a script, this VM), and each microtask left ~90 B of
      // garbage. One more step at most: promise callbacks queued meanwhile wait one step.
      if (this.step(!this.hot)) this.step(true);
    } finally {
      this.turning = false;
      // Asked for during the turn, and not already coming (`next` queued it, or the turn parked).
      if (this.again) this.schedule();
    }
  }

  /**
   * One turn's work. Returns true when it found input by polling and `last` is false (the caller
   * runs the next step now); else it has queued what comes next.
   */
  private step(last: boolean): boolean {
    const w = this.w;
    // After an idle turn: when this one began, for how long work kept us waiting (the handlers'
    // own time below must not count as waiting).
    const began = this.clock;
    let did = w.read();
    did += w.work(this.sliceStart + this.tuning.sliceMs);
    const blocked = w.flush();
    const now = this.clock = performance.now();
    if (did > 0 || w.hasWork()) {
      if (this.idleSince >= 0) {
        // Did work keep us waiting longer than a park costs (parked or not)? Counted with
        // hysteresis, so one stall (a GC pause) does not change how we poll.
        if (began - this.idleSince > PARK_COST_MS) { if (this.longGaps < 8) this.longGaps++; } else if (this.longGaps > 0) this.longGaps--;
        this.idleSince = -1;
      }
      this.lastWork = now;
      this.next(w.hasWork(), now);
      return false;
    }
    // Idle while holding ring space a producer waits for: let it go (ring-reader.ts).
    if (w.unstick()) {
      this.schedule();
      return false;
    }
    if (this.idleSince < 0) this.idleSince = this.lastWork;
    // Idle. Keep polling for a moment (replies come fast), unless we only wait for ring space.
    const spinUntil = this.lastWork + this.spinLimit();
    if (!blocked && now < spinUntil) {
      // Poll the rings here for a few microseconds before yielding to the event loop: each yield
      // (setImmediate) allocates, and yielding a million times a second made a young-generation
      // GC every 50 ms or so on a node answering remote asks. (The clock allocates too: it is
      // read once per 64 looks.)
      const until = Math.min(now + SPIN_SLICE_MS, spinUntil);
      let found = false;
      let t = now;
      poll: do {
        for (let i = 0; i < 64; i++) if (w.anyInput()) { found = true; break poll; }
      } while ((t = performance.now()) < until);
      this.clock = t;
      if (found && !last) return true;
      if (found) this.next(false, now);
      else this.schedule();
      return false;
    }
    this.park();
    return false;
  }

  /**
   * How long to poll before parking. Polling pays while work comes back within about what a park
   * and wake-up costs (PARK_COST_MS): then the thread polls for all of `spinMs`, riding out the
   * odd longer gap. When work has lately come further apart (remote messages, a request every
   * half millisecond), polling would burn a core per thread to save a wake-up, and take that core
   * from the threads and processes (the NATS server, say) that produce the work: a worker then
   * polls only PARK_COST_MS, once most of its recent waits were longer than that. Main always
   * polls for `spinMs`: it is one thread, and it waits for the replies of the workers it just
   * wrote to.
   */
  private spinLimit(): number {
    if (this.thread === MAIN_THREAD || this.longGaps < 6) return this.tuning.spinMs;
    return Math.min(this.tuning.spinMs, PARK_COST_MS);
  }

  /** Parks until a ring: announce sleep, re-check everything that could wake us, then wait. */
  private park(): void {
    const w = this.w;
    this.doorbell.prepare();
    // (A producer that asks for space held here rings us after asking: unstick sees it, or we are woken.)
    if (w.anyInput() || w.hasWork() || w.armSpaceRequests() || w.unstick()) {
      this.doorbell.wake();
      this.schedule();
      return;
    }
    // A wait already pending ends on the next ring (the seq it waits on is still current, or
    // it was rung and is resolving) and schedules us: no second one.
    if (this.parked) return;
    const wait = this.doorbell.park();
    if (wait === null) {
      this.doorbell.wake();
      this.schedule();
      return;
    }
    this.parked = true;
    void wait.then(() => {
      this.parked = false;
      this.doorbell.wake();
      this.lastWork = this.clock = performance.now();
      this.schedule();
    });
  }

  /** Stops turning (and wakes a parked wait, so nothing is left pending). */
  stop(): void {
    this.running = false;
    clearInterval(this.backstop);
    this.doorbell.ringSelf();
  }
}
