/**
 * Binary messages (an `ArrayBuffer`, a typed array or a `DataView` as the whole message), written
 * straight into a ring record and read straight out of it, without msgpackr (the codec's quick
 * path: quick-codec.ts).
 *
 * A binary message is `0xc1` (a byte msgpack never uses), its view's class, two zero bytes, then
 * its bytes. It arrives as message-values.ts's table says: an ArrayBuffer of its own, or a view
 * of the same built-in class (a Buffer as a Uint8Array) over a copy of its bytes, which may be in
 * a pool shared with other messages (readBinary).
 */

import { markAsUntransferable } from 'node:worker_threads';
import { addExtension } from 'msgpackr';

/** The first byte of a binary message (never the first byte of a msgpack value). */
export const BINARY = 0xc1;
/** Bytes before a binary message's own bytes. */
const BINARY_HEADER = 4;

/** Float16Array, where this Node has it (24 and later). */
const Float16 = (globalThis as { Float16Array?: typeof Float32Array }).Float16Array;
/**
 * The built-in views (what a view of a transferred buffer may be, too: codec.ts). Float16Array
 * last: its index means nothing to a Node without it, which says the message does not decode.
 */
export const VIEW_CLASSES = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView, ...Float16 === undefined ? [] : [Float16]] as const;
/**
 * A binary message's class, by its index on the wire: 2 is Uint8Array, as binaryKind, writeBinary
 * and readBinary take it (an Int8Array was written as 2 too, and arrived as a Uint8Array).
 */
const VIEWS = [ArrayBuffer, ...VIEW_CLASSES] as const;

/** The built-in class name of a typed array (a Buffer's is "Uint8Array"), from its internal slot; undefined for anything else. */
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;
/** VIEWS's index of each typed array class, by name. */
const KIND_OF: Readonly<Record<string, number>> = Object.assign(Object.create(null) as Record<string, number>,
  Object.fromEntries(VIEWS.map((c, i) => [c.name, i])));
const DATA_VIEW = VIEWS.indexOf(DataView);
/** Each class's element size (1 for ArrayBuffer and DataView). */
const ELEMENT_BYTES = VIEWS.map((c) => (c as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1);

/** The class index of a binary message (VIEWS), or -1 when `v` is not one. */
export function binaryKind(v: unknown): number {
  if (typeof v !== 'object' || v === null) return -1;
  if (!ArrayBuffer.isView(v)) return v instanceof ArrayBuffer ? 0 : -1;
  // One lookup by the built-in class it is: a walk down the classes with instanceof took 230 ns
  // for a Float32Array and 330 for a DataView (10^7 calls in a loop, Node 20; 26 and 10 ns now).
  const name = typedArrayName.call(v);
  return name === undefined ? DATA_VIEW : KIND_OF[name] ?? -1; // -1: a class newer than this table
}

/** Writes a binary message of class `kind` (binaryKind) at `out[pos]`; returns where it ends. */
export function writeBinary(v: ArrayBuffer | ArrayBufferView, kind: number, out: Uint8Array, pos: number): number {
  out[pos] = BINARY;
  out[pos + 1] = kind;
  out[pos + 2] = 0;
  out[pos + 3] = 0;
  const src = kind === 2 ? v as Uint8Array : kind === 0 ? new Uint8Array(v as ArrayBuffer)
    : new Uint8Array((v as ArrayBufferView).buffer, (v as ArrayBufferView).byteOffset, (v as ArrayBufferView).byteLength);
  // One native copy at any size: a loop of byte stores into the ring took 130 ns a 64-byte
  // message where set takes 55 (the send of the ring micro-benchmark's binary row).
  out.set(src, pos + BINARY_HEADER);
  return pos + BINARY_HEADER + src.length;
}

/** The bytes a binary message of class `kind` takes (binaryKind(v) >= 0). */
export function binarySize(v: ArrayBuffer | ArrayBufferView, kind: number): number {
  if (kind !== DATA_VIEW) return BINARY_HEADER + v.byteLength; // 0 when detached
  try {
    return BINARY_HEADER + v.byteLength;
  } catch {
    return BINARY_HEADER; // a DataView of a detached buffer: writeBinary throws, and the codec says why
  }
}

/**
 * A Uint8Array of up to this many bytes arrives in a buffer of its own: V8 keeps a typed array of
 * up to 64 bytes on its heap, where it costs what an object does (`slice` of 64 bytes: 60-80 ns).
 */
const ON_HEAP_MAX = 64;
/**
 * Any other view (typed array or DataView) of up to this many bytes arrives as a view into a pool
 * shared with other messages, as Node's `Buffer.allocUnsafe` and Erlang's sub-binaries do: a buffer
 * of its own is a native allocation, 0.4 us at 64 bytes and 0.9-1.8 us at 1 KiB on the bench
 * machine (Node 20), where the copy into a pool costs 0.1-0.3 us.
 */
const POOLED_MAX = 4096;
/** A pool's size: 16 of the largest pooled messages. */
const POOL_BYTES = 64 * 1024;
/** The pools made so far (they may not be transferred: outlinks.ts). */
const pools = new WeakSet<ArrayBuffer>();
let pool = new Uint8Array(0);
let poolAt = 0;

/** Whether `b` is a pool that received binary messages are views into (it holds other messages' bytes). */
export function isBinaryPool(b: unknown): boolean {
  return b instanceof ArrayBuffer && pools.has(b);
}

/**
 * A copy of `bytes[from, end)`, a Uint8Array in a buffer of its own. `bytes` may be a Buffer (an
 * encoder's output, a NATS message): its slice is a view of it, and even Uint8Array's slice of one
 * makes a Buffer.
 */
function copyOf(bytes: Uint8Array, from: number, end: number): Uint8Array<ArrayBuffer> {
  if (bytes.constructor === Uint8Array) return bytes.slice(from, end) as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(end - from);
  out.set(bytes.subarray(from, end));
  return out;
}

/** A copy of `bytes[from, from + n)` in a pool; returns its offset in `pool.buffer`. */
function pooled(bytes: Uint8Array, from: number, n: number): number {
  if (poolAt + n > pool.length) {
    // Zeroed: a view's `buffer` shows the whole pool, and an actor may pass it on (to another
    // node, say). Not zeroed (Buffer.allocUnsafeSlow) it showed whatever this process's memory
    // last held there: 9-12 % faster on the ring micro-benchmark's 1 KiB binary row, not worth that.
    pool = new Uint8Array(POOL_BYTES);
    pools.add(pool.buffer);
    // postMessage copies it rather than detach the others' bytes (Node 20) or refuses (22 and later).
    markAsUntransferable(pool.buffer);
    poolAt = 0;
  }
  const at = poolAt;
  pool.set(bytes.subarray(from, from + n), at);
  poolAt = (at + n + 7) & ~7; // every view class's alignment
  return at;
}

/**
 * Reads a binary message from `bytes[start, start + length)` (its first byte is BINARY); null when
 * malformed. An ArrayBuffer arrives in a buffer of its own, as does a view of more than
 * POOLED_MAX bytes or a Uint8Array of up to ON_HEAP_MAX; any other view is in a pool.
 */
export function readBinary(bytes: Uint8Array, start: number, length: number): ArrayBuffer | ArrayBufferView | null {
  const kind = bytes[start + 1]!;
  const n = length - BINARY_HEADER;
  if (n < 0 || kind >= VIEWS.length || n % ELEMENT_BYTES[kind]! !== 0) return null;
  const from = start + BINARY_HEADER;
  // A copy in a (non-shared) buffer of its own (from a ring: one native call).
  if (kind === 2 && n <= ON_HEAP_MAX) return copyOf(bytes, from, start + length);
  if (kind === 0) return copyOf(bytes, from, start + length).buffer;
  const View = VIEWS[kind] as unknown as new (b: ArrayBuffer, offset?: number, length?: number) => ArrayBufferView;
  // Empty: a buffer of its own too (one pool's would be shared by all, and could be transferred).
  if (n > POOLED_MAX || n === 0) return new View(copyOf(bytes, from, start + length).buffer);
  const at = pooled(bytes, from, n);
  return new View(pool.buffer, at, n / ELEMENT_BYTES[kind]!);
}

/** The msgpack extension type of a typed array inside a message. */
const NESTED_BINARY = 0x56; // 'V'

/** What msgpackr's `pack` extensions are given to write in place. */
type Allocate = (n: number) => { target: Uint8Array; position: number };

/**
 * A typed array inside a message, for msgpackr (registered below for every class but DataView,
 * which msgpackr carries well): written as a whole binary message is, it arrives as its built-in
 * class. msgpackr's own extension names a typed array by its constructor's name: one of a
 * subclass, or a Float16Array, went under a code no reader knows, and its message was
 * dead-lettered undecodable on arrival. A Buffer is written as msgpackr writes it (bin), as before.
 * (Two copies: into `out`, then msgpackr's into its output; writing through `allocate` would save one.)
 */
function packNested(v: ArrayBufferView, allocate: Allocate): Uint8Array | undefined {
  if (!Buffer.isBuffer(v)) {
    const kind = binaryKind(v);
    const out = new Uint8Array(binarySize(v, kind));
    writeBinary(v, kind, out, 0);
    return out;
  }
  const n = v.length;
  const head = n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
  const { target, position } = allocate(head + n);
  target[position] = head === 2 ? 0xc4 : head === 3 ? 0xc5 : 0xc6; // bin 8, 16, 32 (big-endian length)
  for (let i = 1; i < head; i++) target[position + i] = (n >>> (8 * (head - 1 - i))) & 0xff;
  target.set(v, position + head);
  return undefined;
}

/** Reads what packNested wrote (throws when it is not a binary message: the codec says it does not decode). */
function unpackNested(data: Uint8Array): ArrayBuffer | ArrayBufferView {
  const v = data[0] === BINARY ? readBinary(data, 0, data.length) : null;
  if (v === null) throw new Error(`${data.length} bytes are not a typed array`);
  return v;
}

// msgpackr's extensions are global: the codec's (codec.ts) are registered after these.
for (const View of VIEW_CLASSES) {
  if (View !== DataView) addExtension({ Class: View as never, type: NESTED_BINARY, pack: packNested, unpack: unpackNested } as never);
}
