// The codec's quick path (quick-codec.ts): what it writes, msgpackr reads the same; what msgpackr
// writes, it reads the same; what it does not take goes to msgpackr untouched; binary messages
// arrive as the table of values says.
import { execFileSync } from 'node:child_process';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Packr, Unpackr } from 'msgpackr';
import { Codec } from '../../src/runtime/mesh/codec.js';
import { NOT_QUICK, readQuick, writeQuick } from '../../src/runtime/mesh/quick-codec.js';
import { isBinaryPool } from '../../src/runtime/mesh/binary-codec.js';

const OPTIONS = { useRecords: false, moreTypes: true };
const ring = new Uint8Array(new SharedArrayBuffer(1 << 16));

/** Writes `v` quickly at an offset into shared memory; its bytes, or null when it is not quick. */
function quick(v: unknown): Uint8Array | null {
  ring.fill(0);
  const end = writeQuick(v, ring, 8, 8 + 4096);
  return end < 0 ? null : ring.slice(8, end);
}

/** A random value the quick path takes (plain data, short ASCII strings, numbers of every width). */
function simple(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 5 : 7));
  const numbers = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, -32, -33, -128, -129, -32768, -32769,
    -(2 ** 31), -(2 ** 31) - 1, 0.5, -1.25, 1e300, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Infinity, -Infinity];
  switch (pick) {
    case 0: return numbers[Math.floor(rand() * numbers.length)]! * (rand() < 0.5 ? 1 : -1);
    case 1: return Array.from({ length: Math.floor(rand() * 40) }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
    case 2: return rand() < 0.5;
    case 3: return null;
    case 4: return Math.floor(rand() * 2 ** 40) - 2 ** 39;
    case 5: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 16); i > 0; i--) o[`k${Math.floor(rand() * 50)}`] = simple(rand, depth + 1);
      return o;
    }
    default: return Array.from({ length: Math.floor(rand() * 20) }, () => simple(rand, depth + 1));
  }
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('the codec quick path', () => {
  it('writes what msgpackr reads as the same value, and reads it back itself from shared memory', () => {
    const unpackr = new Unpackr(OPTIONS);
    const rand = seeded(7);
    let taken = 0;
    for (let i = 0; i < 3000; i++) {
      const v = simple(rand);
      const bytes = quick(v);
      if (bytes === null) continue; // 16 keys, say
      taken++;
      const expected = unpackr.unpack(new Packr(OPTIONS).pack(v));
      expect(unpackr.unpack(bytes)).toEqual(expected);
      const ours = readQuick(ring, 8, bytes.length);
      expect(ours).toEqual(expected);
    }
    expect(taken).toBeGreaterThan(2500);
  });

  it('reads what msgpackr writes (its maps are map16) as msgpackr does', () => {
    const packr = new Packr(OPTIONS);
    const unpackr = new Unpackr(OPTIONS);
    const rand = seeded(11);
    for (let i = 0; i < 2000; i++) {
      const v = simple(rand);
      const bytes = packr.pack(v);
      const got = readQuick(bytes, 0, bytes.length);
      if (got === NOT_QUICK) continue;
      expect(got).toEqual(unpackr.unpack(bytes));
    }
    const bytes = packr.pack({ type: 'inc', by: 1, id: 7, text: 'a'.repeat(40), list: [1.5, -3, null, true] });
    expect(readQuick(bytes, 0, bytes.length)).toEqual({ type: 'inc', by: 1, id: 7, text: 'a'.repeat(40), list: [1.5, -3, null, true] });
  });

  it('builds objects of alike keys (compiled once a list of keys repeats) as msgpackr does, key order and duplicate keys included', () => {
    const packr = new Packr(OPTIONS);
    const unpackr = new Unpackr(OPTIONS);
    const values = [
      { type: 'inc', by: 1, id: 7 },
      { type: 'inc', by: 2, id: 8 },
      { id: 9, by: 3, type: 'dec' }, // the same keys in another order: another shape
      { 1: 'one', 0: 'zero', b: 'b', a: 'a' }, // integer-like keys come first, as with assignments
      { a: { x: 1, y: 2 }, b: { p: { x: 3, y: 4 }, q: [{ x: 5, y: 6 }, { u: 7, v: 8 }] } }, // alike and unlike at each depth
      Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i])),
      {},
      { '': 'an empty key' }, // not the shape of {}
      { 'a\0': 1, b: 2 }, // not the shape of the next: lists of keys are told apart whatever they hold
      { a: 1, '\0b': 2 },
    ];
    for (let round = 0; round < 4; round++) {
      for (const v of values) {
        const bytes = packr.pack(v);
        const got = readQuick(bytes, 0, bytes.length) as Record<string, unknown>;
        const expected = unpackr.unpack(bytes) as Record<string, unknown>;
        expect(got).toEqual(expected);
        expect(JSON.stringify(got)).toBe(JSON.stringify(expected)); // key order too
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
      }
    }
    // A map that names a key twice: the later value wins, as in msgpackr.
    const twice = new Uint8Array([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02]);
    for (let round = 0; round < 3; round++) expect(readQuick(twice, 0, twice.length)).toEqual(unpackr.unpack(twice));
  });

  it('builds objects key by key where code generation from strings is off', () => {
    // A process of its own with --disallow-code-generation-from-strings (workers inherit it).
    const dist = new URL('../../dist/runtime/mesh/quick-codec.js', import.meta.url).href;
    const script = `import { readQuick } from ${JSON.stringify(dist)};
      const bytes = new Uint8Array([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa3, 0x69, 0x6e, 0x63, 0xa2, 0x62, 0x79, 0x01]);
      const got = [1, 2, 3, 4].map(() => readQuick(bytes, 0, bytes.length));
      process.stdout.write(JSON.stringify(got));`;
    const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(Array.from({ length: 4 }, () => ({ type: 'inc', by: 1 })));
  });

  it('reads every short string as itself, also when strings share a slot of its string cache', () => {
    const packr = new Packr(OPTIONS);
    const rand = seeded(5);
    const strings = Array.from({ length: 20_000 }, () =>
      Array.from({ length: Math.floor(rand() * 17) }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join(''));
    for (let round = 0; round < 2; round++) {
      for (const s of strings) {
        const bytes = packr.pack({ [s]: s });
        expect(readQuick(bytes, 0, bytes.length)).toEqual({ [s]: s });
      }
    }
  });

  it('leaves to msgpackr what it does not take, and the codec still carries it intact', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 12; i++) { const next = {}; at.x = next; at = next; }
    const many = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]));
    const proto = JSON.parse('{"__proto__": 1, "a": 2}') as unknown;
    const values: unknown[] = [
      { s: 'ünïcode' }, { s: 'x'.repeat(256) }, many, proto, { u: undefined }, [1, , 3], deep,
      new Map([[1, 2]]), new Date(5), { d: new Date(5) }, 10n, { big: 10n }, Object.create(null), new (class A { a = 1; })(),
      { s: new Set([1]) }, { e: new Error('boom') }, 'plain string', 42,
    ];
    const codec = new Codec(null);
    for (const v of values) {
      if (typeof v === 'object' && v !== null && v.constructor !== Object && !Array.isArray(v)) expect(quick(v)).toBeNull();
      const viaMsgpackr = codec.copy(v);
      const bytes = codec.encode(v);
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.length + 8));
      shared.set(bytes, 8);
      expect(codec.decodeShared(shared, 8, bytes.length)).toEqual(viaMsgpackr);
    }
    for (const v of [{ s: 'ünïcode' }, { s: 'x'.repeat(256) }, many, proto, { u: undefined }, [1, , 3], deep]) expect(quick(v)).toBeNull();
    // -0 arrives as 0, as msgpackr delivers it.
    const z = quick({ z: -0 })!;
    expect(Object.is((readQuick(z, 0, z.length) as { z: number }).z, 0)).toBe(true);
  });

  it('refuses through the codec what msgpackr refuses, with the same error', () => {
    const codec = new Codec(null);
    const out = new Uint8Array(256);
    const getter = { get x(): number { throw new Error('no x'); } };
    expect(() => codec.writeQuick(getter, out, 0, 256)).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
    expect(codec.writeQuick({ f: () => 1 }, out, 0, 256)).toBe(-1);
    expect(() => codec.encode({ f: () => 1 })).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
  });

  it('does not write past the end it is given, and says so', () => {
    const out = new Uint8Array(64).fill(0xee);
    const msg = { type: 'inc', by: 1, id: 7 };
    const size = writeQuick(msg, out, 0, 64);
    out.fill(0xee);
    for (let end = 0; end < size; end++) {
      expect(writeQuick(msg, out, 0, end)).toBe(-1);
      expect(out.subarray(end).every((b) => b === 0xee)).toBe(true);
    }
    expect(writeQuick(msg, out, 0, size)).toBe(size);
  });

  it('reads nothing it cannot finish: a truncated record is not quick, and the codec says it does not decode', () => {
    const bytes = quick({ type: 'inc', by: 300, list: [1, 2, 3] })!;
    const codec = new Codec(null);
    for (let n = 1; n < bytes.length; n++) {
      expect(readQuick(bytes, 0, n)).toBe(NOT_QUICK);
      const shared = new Uint8Array(new SharedArrayBuffer(64));
      shared.set(bytes.subarray(0, n));
      expect(() => codec.decodeShared(shared, 0, n)).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNDECODABLE_MESSAGE' }));
    }
  });

  it('carries binary messages without msgpack: the same class over a copy of their bytes (an ArrayBuffer, and a small Uint8Array, of their own)', () => {
    const codec = new Codec(null);
    const ab = new ArrayBuffer(24);
    new Uint8Array(ab).forEach((_, i, a) => { a[i] = i + 1; });
    const cases: [unknown, string, number[]][] = [
      [ab, 'ArrayBuffer', [...new Uint8Array(ab)]],
      [new Uint8Array(ab, 4, 4), 'Uint8Array', [5, 6, 7, 8]],
      [new Int8Array([-1, 2, -128]), 'Int8Array', [255, 2, 128]],
      [new Uint16Array([65535, 1]), 'Uint16Array', [255, 255, 1, 0]],
      [Buffer.from([9, 8, 7]), 'Uint8Array', [9, 8, 7]],
      [new Int16Array(ab, 2, 3), 'Int16Array', [3, 4, 5, 6, 7, 8]],
      [new Float64Array([1.5, -2]), 'Float64Array', [...new Uint8Array(new Float64Array([1.5, -2]).buffer)]],
      [new BigUint64Array([2n ** 64n - 1n]), 'BigUint64Array', Array(8).fill(255)],
      [new DataView(ab, 20, 4), 'DataView', [21, 22, 23, 24]],
      [new Uint8ClampedArray(0), 'Uint8ClampedArray', []],
    ];
    for (const [v, name, bytes] of cases) {
      const out = new Uint8Array(new SharedArrayBuffer(256));
      const end = codec.writeQuick(v, out, 4, 256);
      expect(end).toBe(4 + 4 + bytes.length);
      const got = codec.decodeShared(out, 4, end - 4) as ArrayBuffer | ArrayBufferView;
      out.fill(0); // the ring slot is reused: nothing may alias it
      expect(Object.prototype.toString.call(got)).toBe(`[object ${name}]`);
      const view = got instanceof ArrayBuffer ? new Uint8Array(got) : new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
      expect([...view]).toEqual(bytes);
      if (got instanceof ArrayBuffer || got instanceof Uint8Array) expect(got instanceof ArrayBuffer ? got.byteLength : got.buffer.byteLength).toBe(bytes.length);
      // Through encode (a large one, or one bound for another node) it is the same bytes.
      const encoded = codec.encode(v);
      expect(Object.prototype.toString.call(codec.decode(encoded, 0, encoded.length))).toBe(`[object ${name}]`);
    }
    // Float16Array (Node 24): the same class, its bits intact (Node 22 and before have none).
    const Float16 = (globalThis as { Float16Array?: new (a: number[]) => ArrayBufferView }).Float16Array;
    if (Float16 !== undefined) {
      const half = new Float16([1.5, -2, 65504]);
      const out = new Uint8Array(new SharedArrayBuffer(64));
      const got = codec.decodeShared(out, 0, codec.writeQuick(half, out, 0, 64)) as ArrayBufferView;
      expect(Object.prototype.toString.call(got)).toBe('[object Float16Array]');
      expect([...got as unknown as number[]]).toEqual([1.5, -2, 65504]);
      const encoded = codec.encode(half);
      expect([...codec.decode(encoded, 0, encoded.length) as unknown as number[]]).toEqual([1.5, -2, 65504]);
    }
    // By the built-in class it is: a subclass, and a typed array of another realm (a vm context).
    class Samples extends Float32Array {}
    for (const [v, name] of [[new Samples([0.5]), 'Float32Array'], [runInNewContext('new Int16Array([-3])') as Int16Array, 'Int16Array']] as const) {
      const out = new Uint8Array(new SharedArrayBuffer(64));
      const end = codec.writeQuick(v, out, 0, 64);
      expect(end).toBe(4 + v.byteLength);
      const got = codec.decodeShared(out, 0, end) as Float32Array | Int16Array;
      expect([Object.prototype.toString.call(got), [...got]]).toEqual([`[object ${name}]`, [...v]]);
    }
    // A view in a pool is in one that cannot be transferred (it holds other messages' bytes).
    const v = new Float32Array(64);
    const out = new Uint8Array(new SharedArrayBuffer(512));
    const pooled = codec.decodeShared(out, 0, codec.writeQuick(v, out, 0, 512)) as Float32Array;
    expect(pooled.buffer.byteLength).toBeGreaterThan(256);
    expect(isBinaryPool(pooled.buffer)).toBe(true);
    try {
      structuredClone(pooled, { transfer: [pooled.buffer as ArrayBuffer] });
    } catch { /* Node 22 and later refuse; Node 20 copies */ }
    expect(pooled.byteLength).toBe(256); // either way, not detached
    // Too big for the room given: not quick.
    expect(codec.writeQuick(new Uint8Array(300), new Uint8Array(256), 0, 256)).toBe(-1);
    // A binary header naming no class, or a length that is not whole elements: does not decode.
    for (const bad of [[0xc1, 99, 0, 0], [0xc1, 9, 0, 0, 1, 2, 3]]) {
      const b = new Uint8Array(bad);
      expect(() => codec.decode(b, 0, b.length)).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNDECODABLE_MESSAGE' }));
    }
  });

  it('gives each binary message its own bytes: 2,000 of every class and size, read one after another and all kept', () => {
    const codec = new Codec(null);
    const classes = [ArrayBuffer, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
      Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView] as const;
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const ring = new Uint8Array(new SharedArrayBuffer(16_384));
    const kept: { got: ArrayBuffer | ArrayBufferView; bytes: Uint8Array; name: string }[] = [];
    for (let i = 0; i < 2000; i++) {
      const Class = classes[random(classes.length)]!;
      const unit = (Class as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const sizes = [0, 1, 63, 64, 65, 1000, 4096, 4097, 9000];
      const n = Math.floor(sizes[random(sizes.length)]! / unit) * unit;
      const bytes = new Uint8Array(n).map(() => random(256));
      const v = Class === ArrayBuffer ? bytes.slice().buffer : Class === DataView ? new DataView(bytes.slice().buffer)
        : new (Class as unknown as new (b: ArrayBuffer) => ArrayBufferView)(bytes.slice().buffer);
      const end = codec.writeQuick(v, ring, 0, ring.length);
      expect(end).toBe(4 + n);
      kept.push({ got: codec.decodeShared(ring, 0, end) as ArrayBuffer | ArrayBufferView, bytes, name: Class.name });
      ring.fill(255, 0, end); // the ring's bytes are reused
    }
    for (const { got, bytes, name } of kept) {
      expect(Object.prototype.toString.call(got)).toBe(`[object ${name}]`);
      const view = got instanceof ArrayBuffer ? new Uint8Array(got) : new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
      expect(Buffer.compare(view, bytes)).toBe(0);
    }
  });
});
