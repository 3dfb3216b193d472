/**
 * What a message may hold when it crosses threads, and how the codec keeps what msgpack alone
 * would change. The table of types is in the README ("What crosses threads"); in short:
 *
 * - kept: primitives (not symbols), plain objects and arrays, `Map` (any keys) and `Set`, `Date`,
 *   `RegExp`, `BigInt`, `ArrayBuffer`, typed arrays and `DataView` (copied), `Error`s (class for
 *   the built-in ones, name, message, stack, code, cause, `errors`, own fields), `ActorRef`s
 *   (live on the other side), `undefined`, an own property named `__proto__`;
 * - shared: a `SharedArrayBuffer` (same memory on both sides);
 * - moved: what the `transfer` option lists (ArrayBuffers, MessagePorts);
 * - changed, as structured clone changes them: class instances arrive as plain objects of their
 *   enumerable fields (or as what their `toJSON()` returns), symbol-keyed and non-enumerable
 *   properties are left out, array holes arrive as `undefined`, `-0` arrives as `0`;
 * - refused with ERR_TROUPE_UNENCODABLE_MESSAGE: functions, symbols, `Promise`, `WeakMap`,
 *   `WeakSet`, `WeakRef`, boxed primitives (`new String`), a `MessagePort` not in `transfer`,
 *   cycles, and nesting deeper than the encoder's stack.
 *
 * msgpack writes a `Map` and a plain object alike (a msgpack map), and msgpackr renames a key
 * `__proto__` on the way in (a guard against prototype pollution). A walk before encoding finds
 * either one (a few ns for a small message: it only looks into plain objects and arrays); only
 * then is the value copied with such parts wrapped in tags the codec writes as extensions.
 */
import { MessagePort } from 'node:worker_threads';
import { ActorRef } from '../../actors/ref.js';
import { Traced } from '../../observability/traced.js';

/** A Map on the wire: its entries, flattened (key, value, key, value, ...), already tagged. */
export class MapEntries {
  constructor(readonly flat: unknown[]) {}
}

/** A plain object with an own `__proto__` key: its entries, flattened, already tagged. */
export class ProtoObject {
  constructor(readonly flat: unknown[]) {}
}

/** A value that travels beside the bytes (a transferable or a SharedArrayBuffer): its index there. */
export class Slot {
  constructor(readonly index: number) {}
}

/** A typed array or DataView over a buffer that travels beside the bytes. */
export class SlotView {
  constructor(readonly index: number, readonly kind: string, readonly byteOffset: number, readonly length: number) {}
}

/** Objects msgpackr (or one of our extensions) writes as a whole: nothing inside needs looking at here. */
function isLeaf(v: object): boolean {
  return v instanceof ActorRef || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer ||
    v instanceof Date || v instanceof RegExp || v instanceof Set || v instanceof Error || v instanceof MapEntries ||
    v instanceof ProtoObject || v instanceof Slot || v instanceof SlotView || v instanceof MessagePort ||
    typeof (v as { toJSON?: unknown }).toJSON === 'function' || typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Whether `v` holds, through plain objects, arrays and class instances, a Map or an own
 * `__proto__` key (what msgpack alone would change). Recursive: a cycle overflows the stack
 * (RangeError), which the codec turns into a clear error.
 */
export function needsTags(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const c = (v as object).constructor;
  if (c === Array) {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x === 'object' && x !== null && needsTags(x)) return true;
    }
    return false;
  }
  if (c !== Object && c !== undefined) {
    if (v instanceof Map) return true;
    if (Array.isArray(v)) return needsTags([...v]);
    if (isLeaf(v as object)) return false;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (k === '__proto__') return true;
    const x = o[k];
    if (typeof x === 'object' && x !== null && needsTags(x)) return true;
  }
  return false;
}

/** What `tag` does with the values that travel beside the bytes (encodeForPost), else null. */
export type SlotFor = (v: object) => Slot | SlotView | null;

/**
 * A copy of `v` in which Maps and objects with an own `__proto__` key are tags, and (with
 * `slot`) transferables and SharedArrayBuffers are slots. Leaves (dates, refs, buffers not in a
 * slot, ...) are shared with the original; Sets and Errors are tagged by their own extensions
 * when they are written.
 */
export function tag(v: unknown, slot: SlotFor | null = null): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (slot !== null) {
    const s = slot(v);
    if (s !== null) return s;
  }
  if (Array.isArray(v)) return Array.from(v, (x) => tag(x, slot));
  if (v instanceof Traced) return new Traced(v.traceparent, v.tracestate, tag(v.msg, slot));
  if (v instanceof Map) {
    const flat: unknown[] = [];
    for (const [k, x] of v as Map<unknown, unknown>) flat.push(tag(k, slot), tag(x, slot));
    return new MapEntries(flat);
  }
  const c = (v as object).constructor;
  if (c !== Object && c !== undefined && isLeaf(v as object)) return v;
  // Own enumerable keys, as msgpackr writes an object.
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const out: Record<string, unknown> = {};
  if (!keys.includes('__proto__')) {
    for (const k of keys) out[k] = tag(o[k], slot);
    return out;
  }
  const flat: unknown[] = [];
  for (const k of keys) flat.push(k, tag(o[k], slot));
  return new ProtoObject(flat);
}

/** Rebuilds a Map from its flattened entries. */
export function mapOf(flat: unknown[]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i], flat[i + 1]);
  return m;
}

/** Rebuilds an object with an own `__proto__` key (a plain assignment would set its prototype). */
export function protoObjectOf(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    Object.defineProperty(o, flat[i] as string, { value: flat[i + 1], enumerable: true, writable: true, configurable: true });
  }
  return o;
}

/**
 * Where `root` refers back to one of its own containers, as a path (`msg.a.self`), or null.
 * Iterative: it runs after a stack overflow, to say whether that was a cycle.
 */
export function findCycle(root: unknown): string | null {
  const onPath = new Set<object>();
  // Depth-first with an explicit stack: [value, path, children left] frames.
  type Frame = { v: object; path: string; kids: [unknown, string][]; i: number };
  const children = (v: object, path: string): [unknown, string][] => {
    const out: [unknown, string][] = [];
    if (Array.isArray(v)) v.forEach((x, i) => out.push([x, `${path}[${i}]`]));
    else if (v instanceof Map) { let i = 0; for (const [k, x] of v) { out.push([k, `${path}.<key ${i}>`], [x, `${path}.<value ${i}>`]); i++; } }
    else if (v instanceof Set) { let i = 0; for (const x of v) out.push([x, `${path}.<item ${i++}>`]); }
    else if (!isLeaf(v) || v instanceof Error) {
      for (const k in v) out.push([(v as Record<string, unknown>)[k], `${path}.${k}`]);
      if (v instanceof Error) out.push([v.cause, `${path}.cause`]);
    }
    return out;
  };
  if (typeof root !== 'object' || root === null) return null;
  const stack: Frame[] = [{ v: root, path: 'msg', kids: children(root, 'msg'), i: 0 }];
  onPath.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.kids.length) { onPath.delete(top.v); stack.pop(); continue; }
    const [x, path] = top.kids[top.i++]!;
    if (typeof x !== 'object' || x === null) continue;
    if (onPath.has(x)) return path;
    onPath.add(x);
    stack.push({ v: x, path, kids: children(x, path), i: 0 });
  }
  return null;
}

/** Values that cannot cross threads, with what to do instead. */
export const REFUSED: [abstract new (...a: never[]) => object, string][] = [
  [Promise, 'a Promise cannot cross threads; await it and send its result'],
  [WeakMap, 'a WeakMap cannot cross threads (its keys cannot be copied); send a Map'],
  [WeakSet, 'a WeakSet cannot cross threads; send a Set or an array'],
  [WeakRef, 'a WeakRef cannot cross threads; send the value'],
  [Boolean, 'a boxed Boolean cannot cross threads; send the primitive'],
  [Number, 'a boxed Number cannot cross threads; send the primitive'],
  [String, 'a boxed String cannot cross threads; send the primitive'],
  [MessagePort, 'a MessagePort crosses threads only when it is listed in `transfer`'],
];

/**
 * Whether a value can cross threads as it is: plain data (Errors, refs, buffers, Maps and Sets of
 * it), no function, symbol, refused object or cycle, nested at most 32 deep. Only for an error's
 * own fields, which are not the sender's to control.
 */
export function portable(v: unknown, depth: number, seen: Set<object>): boolean {
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === 'function' || t === 'symbol') return false;
  if (t !== 'object') return true;
  const o = v as object;
  if (depth > 32 || seen.has(o)) return false;
  if (o instanceof ActorRef || ArrayBuffer.isView(o) || o instanceof ArrayBuffer || o instanceof Date || o instanceof RegExp) return true;
  for (const [Class] of REFUSED) if (o instanceof Class) return false;
  if (typeof (o as { then?: unknown }).then === 'function') return false;
  seen.add(o);
  try {
    if (o instanceof Map) { for (const [k, x] of o) if (!portable(k, depth + 1, seen) || !portable(x, depth + 1, seen)) return false; return true; }
    if (o instanceof Set || Array.isArray(o)) { for (const x of o) if (!portable(x, depth + 1, seen)) return false; return true; }
    for (const k of Object.keys(o)) if (!portable((o as Record<string, unknown>)[k], depth + 1, seen)) return false;
    return true;
  } finally {
    seen.delete(o);
  }
}
