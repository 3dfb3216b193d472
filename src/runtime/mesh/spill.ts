/**
 * The producer's overflow queue for one link: records that did not fit in the ring (or were sent
 * before the ring existed), kept in order, in the ring's own record format, in plain memory
 * chunks. They move into the ring, oldest first, as the consumer frees space; nothing new goes
 * into the ring while anything waits here, so per-pair order is never broken.
 */
import { RECORD_HEADER_BYTES, type RingWriter } from './ring.js';

const CHUNK_BYTES = 256 * 1024;

interface Chunk { u8: Uint8Array; u32: Uint32Array; r: number; w: number }

function newChunk(bytes: number): Chunk {
  const buf = new ArrayBuffer(bytes);
  return { u8: new Uint8Array(buf), u32: new Uint32Array(buf), r: 0, w: 0 };
}

export class Spill {
  private readonly chunks: Chunk[] = [];
  /** Records waiting. */
  length = 0;

  push(target: number, sender: number, corr: number, kind: number, src: Uint8Array | null, len: number): void {
    const size = RECORD_HEADER_BYTES + ((len + 3) & ~3);
    let c = this.chunks[this.chunks.length - 1];
    if (c === undefined || c.w + size > c.u8.length) {
      c = newChunk(Math.max(CHUNK_BYTES, size));
      this.chunks.push(c);
    }
    const w = c.w >>> 2;
    c.u32[w] = len;
    c.u32[w + 1] = target;
    c.u32[w + 2] = sender;
    c.u32[w + 3] = corr;
    c.u32[w + 4] = kind;
    if (len > 0) {
      const to = c.w + RECORD_HEADER_BYTES;
      if (len === src!.length) c.u8.set(src!, to);
      else if (len <= 64) for (let i = 0; i < len; i++) c.u8[to + i] = src![i]!;
      else c.u8.set(src!.subarray(0, len), to);
    }
    c.w += size;
    this.length++;
  }

  /** Hands every waiting record to `fn`, oldest first, and empties the spill (a thread closing). */
  takeAll(fn: (target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, start: number, len: number) => void): void {
    for (const c of this.chunks) {
      while (c.r < c.w) {
        const r = c.r >>> 2;
        const len = c.u32[r]!;
        fn(c.u32[r + 1]!, c.u32[r + 2]!, c.u32[r + 3]!, c.u32[r + 4]!, c.u8, c.r + RECORD_HEADER_BYTES, len);
        c.r += RECORD_HEADER_BYTES + ((len + 3) & ~3);
      }
    }
    this.chunks.length = 0;
    this.length = 0;
  }

  /**
   * Moves records into the ring, oldest first, until it is full or this is empty.
   * Returns the free space the next record needs when the ring was full, counting the bytes it
   * skips if it must wrap (0 when everything moved).
   */
  drainInto(writer: RingWriter): number {
    while (this.length > 0) {
      const c = this.chunks[0]!;
      if (c.r === c.w) { this.chunks.shift(); continue; }
      const r = c.r >>> 2;
      const len = c.u32[r]!;
      if (!writer.tryWrite(c.u32[r + 1]!, c.u32[r + 2]!, c.u32[r + 3]!, c.u32[r + 4]!, c.u8, c.r + RECORD_HEADER_BYTES, len)) {
        return writer.spaceNeeded(len);
      }
      c.r += RECORD_HEADER_BYTES + ((len + 3) & ~3);
      this.length--;
    }
    // Keep one empty chunk for the next burst instead of reallocating.
    if (this.chunks.length > 1) this.chunks.length = 1;
    const c = this.chunks[0];
    if (c) { c.r = 0; c.w = 0; }
    return 0;
  }
}
