/**
 * What a message weighs, roughly, and a short picture of it: for the dead-letter store, which
 * must stay bounded whatever it is given. Dead letters may hold anything: a message passed by
 * reference on one thread may have cycles, functions, getters that throw, or proxies. Neither
 * function here throws, and both do bounded work.
 */
import { inspect, types } from 'node:util';

/** Values `estimateBytes` looks at, at most; past them its answer is a lower bound. */
export const SIZE_WALK_LIMIT = 16_384;
/** Characters a preview keeps. */
export const PREVIEW_CHARS = 1024;

/** What any value costs at least: a slot that points to it. */
const REF = 8;
/** What an object, array or string costs beyond its contents. */
const HEADER = 16;

/**
 * The estimated size of `value` in bytes: strings by their length, binary data by its byteLength,
 * 8 bytes per number, boolean, reference (a function, a proxy, a getter: what is behind them is
 * neither counted nor run) and array slot, 16 per object, plus each key's length. An object met
 * twice (shared, or in a cycle) is counted once.
 *
 * Looks at no more than SIZE_WALK_LIMIT values, depth-first with its own stack (a deep message
 * cannot overflow the call stack): for a larger message the answer is a lower bound, and since
 * each value counts at least 8 bytes, it is then more than 128 KiB.
 */
export function estimateBytes(value: unknown): number {
  let total = 0;
  let visits = 0;
  const stack: unknown[] = [value];
  let seen: Set<object> | null = null;
  while (stack.length > 0 && visits < SIZE_WALK_LIMIT) {
    const v = stack.pop();
    visits++;
    if (typeof v === 'string') { total += HEADER + v.length; continue; }
    if (v === null || typeof v !== 'object') { total += REF; continue; }
    seen ??= new Set();
    if (seen.has(v)) { total += REF; continue; }
    seen.add(v);
    try {
      // Push no more than the walk can still visit: a million-slot array costs no million pushes.
      total += HEADER + objectBytes(v, stack, SIZE_WALK_LIMIT - visits - stack.length);
    } catch {
      // An exotic object refused to be looked at (a Map whose iterator throws, say): a slot, and go on.
      total += REF;
    }
  }
  return total;
}

/** An object's own bytes (keys, binary data, slots); pushes up to `room` of its children on `stack`. */
function objectBytes(v: object, stack: unknown[], room: number): number {
  // Never look inside a proxy: its traps are user code.
  if (types.isProxy(v)) return REF;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof ArrayBuffer || types.isSharedArrayBuffer(v)) return (v as ArrayBuffer).byteLength;
  if (Array.isArray(v)) {
    // Pushed last first, so the walk goes through it in order.
    for (let i = Math.min(v.length, room) - 1; i >= 0; i--) stack.push(v[i]);
    return REF * v.length;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) {
      if ((room -= 2) < 0) break;
      stack.push(k, x);
    }
    return REF * 2 * v.size;
  }
  if (v instanceof Set) {
    for (const x of v) {
      if (--room < 0) break;
      stack.push(x);
    }
    return REF * v.size;
  }
  let bytes = 0;
  for (const key in v) {
    // Through the descriptor: a getter is user code (it may throw, or do anything); it is not run.
    const d = Object.getOwnPropertyDescriptor(v, key);
    if (d === undefined) continue; // inherited
    if (--room < 0) break;
    bytes += key.length + REF;
    if ('value' in d) stack.push(d.value);
  }
  return bytes;
}

/**
 * A one-line picture of `value` (util.inspect, without running the value's own inspect hooks or
 * getters, arrays and strings cut short), at most `max` characters (PREVIEW_CHARS); one cut
 * short ends with '…'.
 */
export function previewOf(value: unknown, max = PREVIEW_CHARS): string {
  let text: string;
  try {
    text = inspect(value, {
      depth: 3, maxArrayLength: 32, maxStringLength: max, breakLength: Infinity, compact: true,
      customInspect: false, getters: false, showProxy: false,
    });
  } catch {
    text = `[${typeof value}]`;
  }
  if (text.length <= max) return text;
  let end = max - 1;
  // Do not cut a surrogate pair in two.
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end) + '…';
}
