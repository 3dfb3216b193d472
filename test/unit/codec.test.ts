import { describe, expect, it } from 'vitest';
import { Codec } from '../../src/runtime/mesh/codec.js';
import { Traced, setTracing } from '../../src/observability/traced.js';

describe('codec', () => {
  it('decodes from shared memory, and binary values do not alias the ring', () => {
    const codec = new Codec(null);
    const msg = { type: 'blob', text: 'ünïcode '.repeat(20), bytes: new Uint8Array([1, 2, 3, 4]) };
    const encoded = codec.encode(msg);
    const ring = new Uint8Array(new SharedArrayBuffer(1024));
    ring.set(encoded, 100);
    const viaDecode = codec.decode(ring, 100, encoded.length) as typeof msg;
    const viaShared = codec.decodeShared(ring, 100, encoded.length) as typeof msg;
    ring.fill(0xee); // the ring slot is reused by later records
    // The scratch buffer is reused by the next record too.
    const other = codec.encode({ type: 'blob', text: 'x', bytes: new Uint8Array([9, 9, 9, 9]) });
    const ring2 = new Uint8Array(new SharedArrayBuffer(256));
    ring2.set(other, 0);
    codec.decodeShared(ring2, 0, other.length);
    for (const got of [viaDecode, viaShared]) {
      expect(got.text).toBe(msg.text);
      expect([...got.bytes]).toEqual([1, 2, 3, 4]);
    }
  });

  // Regression: a pool received views live in was made with Buffer.allocUnsafeSlow, so a view's
  // `buffer` showed what this process's memory last held there (freed buffers, say), and an actor
  // passing that buffer on sent it along.
  it('a received view into a new pool shows nothing but zeros beyond its own bytes', () => {
    const codec = new Codec(null);
    const ring = new Uint8Array(new SharedArrayBuffer(64));
    const encoded = codec.encode(new Int16Array([1, 2, 3]));
    ring.set(encoded, 0);
    const receive = () => codec.decodeShared(ring, 0, encoded.length) as Int16Array;
    // Freed memory full of 0xab for the allocator to hand out again.
    for (let i = 0; i < 2000; i++) new Uint8Array(65536).fill(0xab);
    // Receive until a new pool is made: it holds this one message.
    const first = receive();
    let view = first;
    while (view.buffer === first.buffer) view = receive();
    expect([...view]).toEqual([1, 2, 3]);
    const pool = new Uint8Array(view.buffer);
    let shown = 0;
    for (let i = 0; i < pool.length; i++) if ((i < view.byteOffset || i >= view.byteOffset + view.byteLength) && pool[i] !== 0) shown++;
    expect(shown).toBe(0);
  });

  // Regression: msgpackr names a typed array by its constructor's name, so one of a subclass, or a
  // Float16Array (Node 24), was written under a code no reader knows: the message was encoded,
  // sent, and dead-lettered undecodable on arrival.
  it('carries a typed array inside a message as its built-in class: every class, a subclass, a Float16Array; a Buffer stays a Buffer', () => {
    const codec = new Codec(null);
    class Samples extends Float32Array {}
    class Bytes extends Uint8Array {}
    const Float16 = (globalThis as { Float16Array?: new (a: number[]) => ArrayBufferView }).Float16Array;
    const values: [ArrayBufferView, string][] = [
      [new Int8Array([-1, 2]), 'Int8Array'], [new Uint8Array([1, 2]), 'Uint8Array'], [new Uint8ClampedArray([3]), 'Uint8ClampedArray'],
      [new Int16Array([-3]), 'Int16Array'], [new Uint16Array([4]), 'Uint16Array'], [new Int32Array([-5]), 'Int32Array'],
      [new Uint32Array([6]), 'Uint32Array'], [new Float32Array([0.5]), 'Float32Array'], [new Float64Array([0.25]), 'Float64Array'],
      [new BigInt64Array([-7n]), 'BigInt64Array'], [new BigUint64Array([8n]), 'BigUint64Array'],
      [new Samples([1.5, 2.5]), 'Float32Array'], [new Bytes([9, 8]), 'Uint8Array'], [new Float64Array(new ArrayBuffer(32), 8, 2).fill(3), 'Float64Array'],
      ...(Float16 === undefined ? [] : [[new Float16([1.5, -2]), 'Float16Array'] as [ArrayBufferView, string]]),
    ];
    for (const [v, name] of values) {
      const bytes = codec.encode({ type: 'data', v, list: [v] });
      const got = codec.decode(bytes, 0, bytes.length) as { v: ArrayBufferView; list: ArrayBufferView[] };
      for (const x of [got.v, got.list[0]!]) {
        expect(Object.prototype.toString.call(x)).toBe(`[object ${name}]`);
        expect([...x as unknown as number[]]).toEqual([...v as unknown as number[]]);
      }
    }
    const buf = Buffer.from('hi');
    const bytes = codec.encode({ buf });
    const got = (codec.decode(bytes, 0, bytes.length) as { buf: Buffer }).buf;
    expect([Buffer.isBuffer(got), got.toString()]).toEqual([true, 'hi']);
  });

  // Regression: a Buffer's slice is a view, not a copy. Decoded from a Buffer (an encoder's output
  // under strictMessages, a reply from NATS), a typed array of over 4 KiB was a view over the whole
  // source (its values garbage, or undecodable), a small Uint8Array or an ArrayBuffer aliased it.
  it('decodes typed arrays, whole or inside a message, from a Buffer into bytes of their own', () => {
    const codec = new Codec(null);
    const values: ArrayBuffer | ArrayBufferView[] = [new Uint8Array([1, 2, 3]), new Float32Array(1500).fill(7), new Float64Array(1000).fill(7),
      new Uint8Array(5000).fill(9), new Int16Array(40).fill(-3)];
    for (const v of [...values, new Uint8Array([4, 5]).buffer]) {
      for (const msg of [v, { type: 'data', v }]) {
        const encoded = codec.encode(msg);
        // As a NATS message holds it: a Buffer with other bytes before and after.
        const source = Buffer.concat([Buffer.from([0xee, 0xee, 0xee]), Buffer.from(encoded), Buffer.alloc(13, 0xee)]);
        const got = codec.decode(source, 3, encoded.length);
        const x = (msg === v ? got : (got as { v: unknown }).v) as ArrayBuffer | ArrayBufferView;
        source.fill(0); // the source is reused
        const bytes = (y: ArrayBuffer | ArrayBufferView) => y instanceof ArrayBuffer ? new Uint8Array(y) : new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
        expect(Object.prototype.toString.call(x)).toBe(Object.prototype.toString.call(v));
        expect(Buffer.compare(bytes(x), bytes(v))).toBe(0);
        expect(x instanceof ArrayBuffer ? x.byteLength : x.byteLength).toBe(v.byteLength);
        if (x instanceof Uint8Array) expect(Buffer.isBuffer(x)).toBe(false);
      }
    }
    // Through copy() too (strictMessages on one worker): its bytes come from the encoder, a Buffer.
    const big = new Float32Array(2048).map((_, i) => i);
    expect(codec.copy({ big })).toEqual({ big });
  });

  it('gives each empty view a buffer of its own: one moved away leaves the others whole', () => {
    const codec = new Codec(null);
    const ring = new Uint8Array(new SharedArrayBuffer(64));
    const read = () => codec.decodeShared(ring, 0, codec.writeQuick(new DataView(new ArrayBuffer(0)), ring, 0, 64)) as DataView;
    const [a, b] = [read(), read()];
    expect(a.buffer).not.toBe(b.buffer);
    structuredClone(a, { transfer: [a.buffer as ArrayBuffer] });
    expect(b.byteLength).toBe(0);
    expect(read().byteLength).toBe(0);
  });

  it('refuses functions and symbols with ERR_TROUPE_UNENCODABLE_MESSAGE', () => {
    const codec = new Codec(null);
    expect(() => codec.encode({ f: () => 1 })).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
    expect(() => codec.encode([Symbol('s')])).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
  });

  it('carries trace context when the decoding thread traces, and drops it when it does not', () => {
    const codec = new Codec(null);
    const msg = { type: 'x', m: new Map([[1, { deep: true }]]) };
    const bytes = codec.encode(new Traced('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'k=v', msg));
    try {
      setTracing(true);
      const on = codec.decode(bytes, 0, bytes.length);
      expect(on).toBeInstanceOf(Traced);
      expect(on).toMatchObject({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' });
      expect((on as Traced).msg).toEqual(msg);
    } finally {
      setTracing(false);
    }
    expect(codec.decode(bytes, 0, bytes.length)).toEqual(msg);
    // Off, nothing is wrapped: the bytes are the message's own.
    expect(codec.encode(msg).length).toBeLessThan(bytes.length);
  });
});
