/**
 * The asks whose handlers are suspended in an `await` on a host, kept in shared memory so that
 * when the worker dies main rejects them at once (ERR_TROUPE_WORKER_FAILED) rather than leave
 * them to wait out their timeouts. (The handler running synchronously at a death is named by the
 * S_CUR_* slots instead.)
 *
 * Contract: one writer, the host; main reads the table only after the writer died (its thread
 * is gone, so the reads race with nothing), and clears it before a replacement host writes.
 * Layout: BUSY_ASK_SLOTS entries of three Int32s, [asker thread, ask id (u32), actor id]; an
 * entry whose thread is -1 is free. When every entry is taken, further asks are not tracked:
 * they wait out their timeouts, as before.
 */

export const BUSY_ASK_SLOTS = 4096;
const FREE = -1;

/** Allocates an empty table (main, once per thread index). */
export function allocateBusyAsks(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(BUSY_ASK_SLOTS * 12);
  const i32 = new Int32Array(sab);
  for (let i = 0; i < BUSY_ASK_SLOTS; i++) i32[i * 3] = FREE;
  return sab;
}

/** The host's side: records an ask while its handler is suspended. */
export class BusyAsks {
  private readonly i32: Int32Array;
  private readonly free: number[] = [];

  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    for (let i = BUSY_ASK_SLOTS - 1; i >= 0; i--) this.free.push(i);
  }

  /** Records ask `corr` of thread `thread`, handled by actor `actor`; its slot, or -1 (table full: not tracked). */
  add(thread: number, corr: number, actor: number): number {
    const slot = this.free.pop();
    if (slot === undefined) return -1;
    const at = slot * 3;
    Atomics.store(this.i32, at + 1, corr | 0);
    Atomics.store(this.i32, at + 2, actor | 0);
    // Written last: an entry is in use once its thread is.
    Atomics.store(this.i32, at, thread);
    return slot;
  }

  /** The handler settled (or was given up on): the entry is free again. */
  remove(slot: number): void {
    if (slot < 0) return;
    Atomics.store(this.i32, slot * 3, FREE);
    this.free.push(slot);
  }
}

/** main: the asks a dead host was handling (each [thread, corr, actor]), and clears the table. */
export function takeBusyAsks(sab: SharedArrayBuffer): [number, number, number][] {
  const i32 = new Int32Array(sab);
  const out: [number, number, number][] = [];
  for (let i = 0; i < BUSY_ASK_SLOTS; i++) {
    const at = i * 3;
    const thread = Atomics.load(i32, at);
    if (thread === FREE) continue;
    out.push([thread, Atomics.load(i32, at + 1) >>> 0, Atomics.load(i32, at + 2) >>> 0]);
    Atomics.store(i32, at, FREE);
  }
  return out;
}
