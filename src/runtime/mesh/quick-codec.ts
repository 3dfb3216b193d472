/**
 * The codec's quick path (codec.ts): small plain objects and arrays of short ASCII strings,
 * numbers, booleans and null, and binary messages (an `ArrayBuffer`, a typed array or a
 * `DataView` as the whole message), written straight into a ring record (into one reused scratch
 * when the ring is full: outlinks.ts) and read straight out of it, without msgpackr.
 *
 * Anything else is left to msgpackr: each function here returns -1 (writing) or NOT_QUICK
 * (reading) at the first thing it does not take, and the caller starts again the slow way.
 *
 * - Plain data is written as msgpack that msgpackr reads as it reads its own (a record read
 *   elsewhere — a spill dead-lettered at shutdown, say — decodes the same either way), and
 *   `readQuick` reads msgpackr's output too. What arrives is what msgpackr delivers: `-0` as `0`.
 * - Binary messages: binary-codec.ts.
 */

import { makeObject } from './shapes.js';

/** A value `readQuick` does not take: the caller decodes it with msgpackr. */
export const NOT_QUICK: unique symbol = Symbol('not quick');

/** Containers nested deeper than this go to msgpackr (it finds cycles and refuses what is too deep). */
const MAX_DEPTH = 8;
/** Strings of up to this many chars are written here; longer ones go to msgpackr (its UTF-8 writer is native). */
const MAX_STRING = 255;
/** Strings of up to this many bytes are read through the string cache. */
const CACHED_STRING = 16;

// Float64 bytes, big-endian on the wire as msgpack wants.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes `v` as msgpack into `out[pos, end)` when it is quick plain data (module comment);
 * returns where it ends, or -1 (not quick, or it does not fit: nothing is to be used then).
 * Getters run (and may throw) as they would under msgpackr.
 */
export function writeQuick(v: unknown, out: Uint8Array, pos: number, end: number): number {
  return put(v, out, pos, end, 0);
}

function put(v: unknown, out: Uint8Array, p: number, end: number, depth: number): number {
  switch (typeof v) {
    case 'string': return putString(v, out, p, end);
    case 'number': return putNumber(v, out, p, end);
    case 'boolean':
      if (p >= end) return -1;
      out[p] = v ? 0xc3 : 0xc2;
      return p + 1;
    case 'object': {
      if (v === null) {
        if (p >= end) return -1;
        out[p] = 0xc0;
        return p + 1;
      }
      if (depth >= MAX_DEPTH) return -1;
      const c = (v as object).constructor;
      if (c === Object) return putObject(v as Record<string, unknown>, out, p, end, depth + 1);
      if (c === Array) return putArray(v as unknown[], out, p, end, depth + 1);
      return -1;
    }
    default: return -1;
  }
}

function putObject(o: Record<string, unknown>, out: Uint8Array, p: number, end: number, depth: number): number {
  // A fixmap (up to 15 keys): its count is known at the end.
  const head = p++;
  let n = 0;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    // msgpackr renames a key `__proto__` on the way in: the codec tags such an object (message-values.ts).
    if (++n > 15 || k === '__proto__') return -1;
    p = putString(k, out, p, end);
    if (p < 0) return -1;
    p = put(o[k], out, p, end, depth);
    if (p < 0) return -1;
  }
  if (head >= end) return -1;
  out[head] = 0x80 | n;
  return p;
}

function putArray(a: unknown[], out: Uint8Array, p: number, end: number, depth: number): number {
  const n = a.length;
  if (n < 16) {
    if (p >= end) return -1;
    out[p++] = 0x90 | n;
  } else {
    if (n > 0xffff || p + 3 > end) return -1;
    out[p] = 0xdc;
    out[p + 1] = n >> 8;
    out[p + 2] = n & 0xff;
    p += 3;
  }
  for (let i = 0; i < n; i++) {
    // A hole or undefined: msgpackr writes it its own way.
    const x = a[i];
    if (x === undefined) return -1;
    p = put(x, out, p, end, depth);
    if (p < 0) return -1;
  }
  return p;
}

function putString(s: string, out: Uint8Array, p: number, end: number): number {
  const n = s.length;
  if (n > MAX_STRING) return -1;
  if (n < 32) {
    if (p + 1 + n > end) return -1;
    out[p++] = 0xa0 | n;
  } else {
    if (p + 2 + n > end) return -1;
    out[p] = 0xd9;
    out[p + 1] = n;
    p += 2;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1; // UTF-8: msgpackr's
    out[p++] = c;
  }
  return p;
}

/** A number as msgpackr writes it (useRecords off, no float32): the smallest integer that holds it, else float64. */
function putNumber(x: number, out: Uint8Array, p: number, end: number): number {
  const room = end - p;
  if (x >>> 0 === x) {
    if (x < 0x80) { if (room < 1) return -1; out[p] = x; return p + 1; }
    if (x < 0x100) { if (room < 2) return -1; out[p] = 0xcc; out[p + 1] = x; return p + 2; }
    if (x < 0x10000) { if (room < 3) return -1; out[p] = 0xcd; out[p + 1] = x >> 8; out[p + 2] = x & 0xff; return p + 3; }
    if (room < 5) return -1;
    out[p] = 0xce;
    out[p + 1] = x >>> 24; out[p + 2] = (x >> 16) & 0xff; out[p + 3] = (x >> 8) & 0xff; out[p + 4] = x & 0xff;
    return p + 5;
  }
  if (x >> 0 === x) {
    if (x >= -0x20) { if (room < 1) return -1; out[p] = 0x100 + x; return p + 1; }
    if (x >= -0x80) { if (room < 2) return -1; out[p] = 0xd0; out[p + 1] = x + 0x100; return p + 2; }
    if (x >= -0x8000) { if (room < 3) return -1; out[p] = 0xd1; out[p + 1] = (x >> 8) & 0xff; out[p + 2] = x & 0xff; return p + 3; }
    if (room < 5) return -1;
    out[p] = 0xd2;
    out[p + 1] = (x >> 24) & 0xff; out[p + 2] = (x >> 16) & 0xff; out[p + 3] = (x >> 8) & 0xff; out[p + 4] = x & 0xff;
    return p + 5;
  }
  if (room < 9) return -1;
  out[p] = 0xcb;
  f64[0] = x;
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) out[p + 1 + i] = f64Bytes[7 - i]!;
  else for (let i = 0; i < 8; i++) out[p + 1 + i] = f64Bytes[i]!;
  return p + 9;
}

// Reading. `rp` is the read position (reading is synchronous: one at a time per thread).
let rp = 0;
let rend = 0;

/**
 * Reads `bytes[start, start + length)` when it is quick plain data (of any writer: msgpackr's
 * too); NOT_QUICK otherwise, and for a value that does not take up exactly those bytes.
 * Reads shared memory in place.
 */
export function readQuick(bytes: Uint8Array, start: number, length: number): unknown {
  rp = start;
  rend = start + length;
  const v = get(bytes, 0);
  return rp === rend ? v : NOT_QUICK;
}

function get(b: Uint8Array, depth: number): unknown {
  if (rp >= rend) return NOT_QUICK;
  const t = b[rp++]!;
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t >= 0xa0 && t < 0xc0) return getString(b, t & 0x1f);
  if (t < 0x90) return depth < MAX_DEPTH ? getObject(b, t & 0x0f, depth + 1) : NOT_QUICK;
  if (t < 0xa0) return depth < MAX_DEPTH ? getArray(b, t & 0x0f, depth + 1) : NOT_QUICK;
  switch (t) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xcc: return rp + 1 <= rend ? b[rp++]! : NOT_QUICK;
    case 0xcd: return rp + 2 <= rend ? (rp += 2, (b[rp - 2]! << 8) | b[rp - 1]!) : NOT_QUICK;
    case 0xce: return rp + 4 <= rend ? (rp += 4, ((b[rp - 4]! << 24) | (b[rp - 3]! << 16) | (b[rp - 2]! << 8) | b[rp - 1]!) >>> 0) : NOT_QUICK;
    case 0xd0: return rp + 1 <= rend ? (b[rp++]! << 24) >> 24 : NOT_QUICK;
    case 0xd1: return rp + 2 <= rend ? (rp += 2, (((b[rp - 2]! << 8) | b[rp - 1]!) << 16) >> 16) : NOT_QUICK;
    case 0xd2: return rp + 4 <= rend ? (rp += 4, (b[rp - 4]! << 24) | (b[rp - 3]! << 16) | (b[rp - 2]! << 8) | b[rp - 1]!) : NOT_QUICK;
    case 0xcb: {
      if (rp + 8 > rend) return NOT_QUICK;
      if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[7 - i] = b[rp + i]!;
      else for (let i = 0; i < 8; i++) f64Bytes[i] = b[rp + i]!;
      rp += 8;
      return f64[0];
    }
    case 0xd9: return rp + 1 <= rend ? getString(b, b[rp++]!) : NOT_QUICK;
    case 0xdc: return rp + 2 <= rend && depth < MAX_DEPTH ? (rp += 2, getArray(b, (b[rp - 2]! << 8) | b[rp - 1]!, depth + 1)) : NOT_QUICK;
    case 0xde: return rp + 2 <= rend && depth < MAX_DEPTH ? (rp += 2, getObject(b, (b[rp - 2]! << 8) | b[rp - 1]!, depth + 1)) : NOT_QUICK;
    default: return NOT_QUICK;
  }
}

/** Each depth's keys and values while its object is read (makeObject builds it once all are read). */
const keyScratch: string[][] = Array.from({ length: MAX_DEPTH + 1 }, () => []);
const valueScratch: unknown[][] = Array.from({ length: MAX_DEPTH + 1 }, () => []);

function getObject(b: Uint8Array, n: number, depth: number): unknown {
  const keys = keyScratch[depth]!;
  const values = valueScratch[depth]!;
  for (let i = 0; i < n; i++) {
    if (rp >= rend) return NOT_QUICK;
    const t = b[rp++]!;
    let k: string | typeof NOT_QUICK;
    if (t >= 0xa0 && t < 0xc0) k = getString(b, t & 0x1f);
    else if (t === 0xd9 && rp < rend) k = getString(b, b[rp++]!);
    else return NOT_QUICK;
    // msgpackr renames it; leave that to msgpackr.
    if (k === NOT_QUICK || k === '__proto__') return NOT_QUICK;
    const v = get(b, depth);
    if (v === NOT_QUICK) return NOT_QUICK;
    keys[i] = k;
    values[i] = v;
  }
  const o = makeObject(keys, values, n, depth);
  for (let i = 0; i < n; i++) values[i] = undefined; // the object's now, not kept here too
  return o;
}

function getArray(b: Uint8Array, n: number, depth: number): unknown {
  if (n > rend - rp) return NOT_QUICK; // each item takes a byte at least
  const a = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const v = get(b, depth);
    if (v === NOT_QUICK) return NOT_QUICK;
    a[i] = v;
  }
  return a;
}

// Short strings (keys, mostly) are looked up here by a hash of their bytes, not made anew.
const strings = new Array<string>(4096).fill('');
const chars: number[] = [];

/**
 * Strings of up to 7 chars, as one number: the length, then 7 bits a char (52 bits, exact in a
 * double). A cached string of that number is the same string: one comparison, not one per char.
 */
const PACKED_STRING = 7;
const packed = new Float64Array(4096).fill(-1);

function getString(b: Uint8Array, n: number): string | typeof NOT_QUICK {
  if (rp + n > rend) return NOT_QUICK;
  const p = rp;
  let h = n;
  let id = n;
  for (let i = 0; i < n; i++) {
    const c = b[p + i]!;
    if (c >= 0x80) return NOT_QUICK; // UTF-8: msgpackr's
    h = (Math.imul(h, 31) + c) | 0;
    id = id * 128 + c;
  }
  rp = p + n;
  if (n > CACHED_STRING) return ascii(b, p, n);
  const slot = (h ^ (h >>> 12)) & 4095;
  if (n <= PACKED_STRING) {
    if (packed[slot] === id) return strings[slot]!;
    packed[slot] = id;
  } else {
    const s = strings[slot]!;
    if (s.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== b[p + i]) { same = false; break; }
      if (same) return s;
    }
    packed[slot] = -1;
  }
  const made = ascii(b, p, n);
  strings[slot] = made;
  return made;
}

function ascii(b: Uint8Array, p: number, n: number): string {
  chars.length = n;
  for (let i = 0; i < n; i++) chars[i] = b[p + i]!;
  return String.fromCharCode.apply(null, chars);
}
