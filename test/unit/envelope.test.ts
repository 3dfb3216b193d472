import { describe, expect, it } from 'vitest';
import { decodePayload, encodeEnvelope, frame, payloadHeader, W_ASK, W_REPLY, W_TELL, WIRE_VERSION } from '../../src/bridge/envelope.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('the wire envelope', () => {
  const header = payloadHeader('node-a', 0xfeedbeef);

  it('carries every field and the message bytes intact', () => {
    const ask = encodeEnvelope(header, { k: W_ASK, f: [3, 0xfffffffe, '/user/päth'], t: [65535, 7], ti: 0xffffffff, tn: 'orders=eu', c: 0xffffffff, ms: 2 ** 31 - 1 }, bytes(1, 2, 3));
    const tell = encodeEnvelope(header, { k: W_TELL, f: null, t: [1, 2], ti: 0, tn: null, c: 0 }, bytes());
    expect(decodePayload(ask)).toEqual({ bad: null, envelopes: [{ n: 'node-a', ni: 0xfeedbeef, k: W_ASK, f: [3, 0xfffffffe, '/user/päth'], t: [65535, 7], ti: 0xffffffff, tn: 'orders=eu', c: 0xffffffff, ms: 2 ** 31 - 1, m: bytes(1, 2, 3) }] });
    expect(decodePayload(tell)).toEqual({ bad: null, envelopes: [{ n: 'node-a', ni: 0xfeedbeef, k: W_TELL, f: null, t: [1, 2], ti: 0, tn: null, c: 0, m: bytes() }] });
  });

  it('rounds an ask timeout up to whole milliseconds, at least 1', () => {
    const d = decodePayload(encodeEnvelope(header, { k: W_ASK, f: null, t: [1, 2], ti: 1, tn: null, c: 3, ms: 0.4 }, bytes()));
    expect(d).toMatchObject({ bad: null, envelopes: [{ ms: 1 }] });
    expect(decodePayload(encodeEnvelope(header, { k: W_ASK, f: null, t: [1, 2], ti: 1, tn: null, c: 3, ms: 2.5 }, bytes())).envelopes[0]!.ms).toBe(3);
  });

  it('frames several envelopes of one node, in order', () => {
    const parts = [0, 1, 2].map((i) => encodeEnvelope(header, { k: W_REPLY, f: null, t: [1, i], ti: 1, tn: null, c: 0 }, bytes(i, i)));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const d = decodePayload(frame(parts, header.length, total));
    expect(d.bad).toBeNull();
    expect(d.envelopes.map((e) => [e.t[1], [...e.m]])).toEqual([[0, [0, 0]], [1, [1, 1]], [2, [2, 2]]]);
  });

  it('says what is wrong with bad input, keeps what came before it in a frame, and never throws', () => {
    expect(decodePayload(bytes()).bad).toBe('bad-message');
    expect(decodePayload(bytes(0x82, 0xa1, 0x76, 0x01)).bad).toBe('unsupported-version'); // wire version 1: a msgpack map, "v" first
    expect(decodePayload(bytes(0xc1, 2, 1, 0x61, 0, 0, 0, 0)).bad).toBe('unsupported-version'); // wire version 2: no incarnations
    expect(decodePayload(bytes(0x82, 0xa1, 0x6b, 0x01)).bad).toBe('bad-message'); // msgpack, not an envelope
    expect(decodePayload(bytes(0xc1, WIRE_VERSION + 1, 1, 0x61)).bad).toBe('unsupported-version');
    expect(decodePayload(header).bad).toBe('bad-message'); // a header without an envelope
    const one = encodeEnvelope(header, { k: W_ASK, f: [1, 2, '/user/x'], t: [1, 2], ti: 5, tn: 'x', c: 9, ms: 10 }, bytes(7, 7, 7));
    const two = frame([one, one], header.length, 2 * one.length);
    // Every cut of a frame: the whole first envelope or nothing, and a reason for the rest (but
    // cut right after the first envelope, it is a good payload of one).
    for (let cut = 0; cut < two.length; cut++) {
      const d = decodePayload(two.subarray(0, cut));
      expect(d.bad).toBe(cut === one.length ? null : 'bad-message');
      expect(d.envelopes.length).toBe(cut >= one.length ? 1 : 0);
    }
    // A bad kind, unknown flags, a zero timeout, an empty target name: refused.
    const nameAt = one.length - 3 - 3; // u16 length, 'x', then the message's 3 bytes
    for (const [at, value] of [[header.length + 4, 9], [header.length + 5, 0x80], [header.length + 20, 0], [nameAt, 0]] as const) {
      const b = one.slice();
      if (at === header.length + 20 || at === nameAt) b.fill(0, at, at + (at === nameAt ? 2 : 4)); else b[at] = value;
      expect(decodePayload(b).bad).toBe('bad-message');
    }
    // A target name with a character no exposed name has: it names no actor.
    expect(decodePayload(encodeEnvelope(header, { k: W_TELL, f: null, t: [1, 2], ti: 1, tn: 'a/b', c: 0 }, bytes())).bad).toBe('bad-message');
    // Random bytes behind a valid header.
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(header.length + (i % 64));
      b.set(header);
      for (let j = header.length; j < b.length; j++) b[j] = rnd();
      expect(() => decodePayload(b)).not.toThrow();
    }
  });
});
