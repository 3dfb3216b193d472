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
