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
