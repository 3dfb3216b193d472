/**
 * A thread's doorbell: how producers wake a consumer that parked because it had nothing to do.
 *
 * One doorbell per thread, shared by everyone who sends to it. The protocol (an eventcount)
 * cannot lose a wake-up:
 *   consumer: seq = load(SEQ); store(SLEEPING, 1); re-check every ring; if empty, wait(SEQ, seq)
 *   producer: store(tail) (in the ring); if load(SLEEPING) == 1: add(SEQ, 1); notify(SEQ)
 * Atomics are sequentially consistent, so either the consumer's re-check sees the producer's
 * tail, or the producer sees SLEEPING = 1 and bumps SEQ; and since the consumer read `seq`
 * before announcing sleep, a bump before its wait makes the wait return at once ('not-equal').
 * Producers ring only when the consumer sleeps, so a busy consumer costs them one load.
 *
 * The consumer waits with `Atomics.waitAsync` (never `Atomics.wait`, which would block its event
 * loop, and on main every timer and socket with it). A pending waitAsync does not keep a Node
 * process alive (nodejs/node#44729, #61941), so the owner of the thread holds a handle while the
 * system runs.
 *
 * The wait has no timeout. V8 turns a timed waitAsync into a delayed task: Node's platform wakes
 * the thread's loop to take it in and keeps it as a timer until it expires, rung or not. Parking
 * a few thousand times a second (a node answering remote asks) that was a second loop wake-up
 * per park and thousands of live timers. The owner's backstop against a lost notify is instead
 * one interval timer that rings its own doorbell (see MeshNode).
 */

const kSeq = 0;
const kSleeping = 16; // own cache line: producers read it on every publish
const DOORBELL_BYTES = 128;

export function allocateDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(DOORBELL_BYTES);
}

/** The sending side's handle on another thread's doorbell. */
export class DoorbellRinger {
  private readonly i32: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
  }
  /** Call after publishing: wakes the owner if (and only if) it is parked or about to park. */
  ring(): void {
    if (Atomics.load(this.i32, kSleeping) === 1) {
      Atomics.add(this.i32, kSeq, 1);
      Atomics.notify(this.i32, kSeq);
    }
  }
}

/** The owning thread's side. */
export class Doorbell {
  readonly sab: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private seq = 0;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
  }

  /**
   * Step one of parking: announces sleep. The caller must then re-check all its input and call
   * `wake()` if it found any, or `park()` if it found none.
   */
  prepare(): void {
    this.seq = Atomics.load(this.i32, kSeq);
    Atomics.store(this.i32, kSleeping, 1);
  }

  /** Cancels a `prepare()` (input found, or the wait ended). */
  wake(): void {
    Atomics.store(this.i32, kSleeping, 0);
  }

  /** Waits for a ring after `prepare()`; resolves on a ring (`ringSelf()` included). */
  park(): Promise<unknown> | null {
    const r = Atomics.waitAsync(this.i32, kSeq, this.seq);
    // Already rung between prepare() and now: no promise to wait on.
    return r.async ? r.value : null;
  }

  /** Wakes the owner from within its own process (e.g. shutdown); same effect as a producer's ring. */
  ringSelf(): void {
    Atomics.add(this.i32, kSeq, 1);
    Atomics.notify(this.i32, kSeq);
  }
}
