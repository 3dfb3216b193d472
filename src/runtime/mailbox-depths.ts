/**
 * Each actor's mailbox depth, in shared memory: main reads it without asking the host (for the
 * observability issue's mailbox gauges), and it survives the host's death, so main can say how
 * many messages each actor lost with the heap (recovery.ts).
 *
 * Slots of two Int32s, [actor id, messages waiting in its mailbox], in chunks of DEPTH_CHUNK
 * slots: main allocates the first (HostStart.depths); the host makes more as it needs them and
 * hands each to main on its events port. A stopped actor's slot is zeroed and used again. The
 * mailbox writes its depth on every push and shift (actors/mailbox.ts, `mirrorDepth`): one store,
 * no atomics; a reader sees a value at most one operation old.
 */
import type { Mailbox } from '../actors/mailbox.js';

export const DEPTH_CHUNK = 4096;

export function allocateDepths(): SharedArrayBuffer {
  return new SharedArrayBuffer(DEPTH_CHUNK * 8);
}

/** Calls `fn` with each actor id and its mailbox depth in these chunks (main's side). */
export function forEachDepth(chunks: readonly Int32Array[], fn: (id: number, depth: number) => void): void {
  for (const a of chunks) for (let i = 0; i < a.length; i += 2) if (a[i] !== 0) fn(a[i]!, a[i + 1]!);
}

export class MailboxDepths {
  private readonly chunks: Int32Array[];
  private readonly free: number[] = [];
  private next = 0;

  /** `first`: the chunk main made; `announce`: hands main each chunk made here. */
  constructor(first: SharedArrayBuffer, private readonly announce: (chunk: SharedArrayBuffer) => void) {
    this.chunks = [new Int32Array(first)];
    this.chunks[0]!.fill(0);
  }

  /** A slot for actor `id`, which its mailbox writes its depth to from now on. */
  take(id: number, box: Mailbox): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.next++;
    const c = Math.floor(slot / DEPTH_CHUNK);
    if (c === this.chunks.length) {
      const sab = allocateDepths();
      this.chunks.push(new Int32Array(sab));
      this.announce(sab);
    }
    const a = this.chunks[c]!;
    const at = (slot % DEPTH_CHUNK) * 2;
    a[at] = id;
    box.mirrorDepth(a, at + 1);
    return slot;
  }

  /** The actor stopped: its slot is free. */
  release(slot: number, box: Mailbox): void {
    box.mirrorDepth(null, 0);
    const a = this.chunks[Math.floor(slot / DEPTH_CHUNK)]!;
    const at = (slot % DEPTH_CHUNK) * 2;
    a[at] = 0;
    a[at + 1] = 0;
    this.free.push(slot);
  }
}
