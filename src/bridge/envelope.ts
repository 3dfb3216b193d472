/**
 * Messages between nodes on the wire: a fixed binary header per message around the message's own
 * bytes (encoded by the sender's codec, and passed through the receiving node to the worker
 * untouched). Encoding an envelope is a few stores and one copy of the message; msgpack-encoding
 * an envelope object cost more than the message itself.
 *
 * One NATS message (a payload) is:
 *
 *   0xC1                       never the first byte of a msgpack value: garbage rarely looks like this
 *   u8   version               WIRE_VERSION
 *   u8   L, L bytes            the sending node (it must match the subject's last token)
 *   then one or more envelopes (more than one only over core NATS: a frame of at-most-once messages):
 *   u32  length of the rest of this envelope
 *   u8   kind                  W_TELL, W_ASK, W_REPLY, W_REPLY_ERROR
 *   u8   flags                 1: has a sender, 2: has a timeout
 *   u16  t0, u32 t1            the target (thread, id), or for a reply (thread, ask corr)
 *   u32  c                     the asker's correlation id (asks)
 *   [u32 ms]                   the ask's timeout (flag 2)
 *   [u16 thread, u32 id, u16 P, P bytes of path]   the sending actor (flag 1)
 *   the message's bytes (the rest)
 *
 * All numbers big-endian.
 */

/** Message kinds on the wire. */
export const W_TELL = 0;
export const W_ASK = 1;
export const W_REPLY = 2;
export const W_REPLY_ERROR = 3;
export const WIRE_VERSION = 2;
/** The first byte of every payload. */
export const WIRE_MARK = 0xc1;

const F_SENDER = 1;
const F_TIMEOUT = 2;
const MAX_PATH = 1024;
const MAX_MS = 2 ** 31 - 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A message between nodes. `n`: the sending node (must match the subject). `f`: the sending actor
 * (thread, id, path) or null. `t`: the target (thread, id), or for a reply (thread, ask corr).
 * `c`: the asker's correlation id (asks). `ms`: the ask's timeout. `m`: the message, encoded by
 * the sender's codec: the receiving node passes these bytes on to the worker untouched, whose
 * codec reads the refs inside (stamped with their node) as local or remote.
 */
export interface Envelope {
  n: string;
  k: number;
  f: [number, number, string] | null;
  t: [number, number];
  c: number;
  ms?: number;
  m: Uint8Array;
}

/** The payload header of a node (encoded once per node). */
export function payloadHeader(node: string): Uint8Array {
  const name = encoder.encode(node);
  if (name.length < 1 || name.length > 255) throw new RangeError(`node id of ${name.length} bytes`);
  const h = new Uint8Array(3 + name.length);
  h[0] = WIRE_MARK;
  h[1] = WIRE_VERSION;
  h[2] = name.length;
  h.set(name, 3);
  return h;
}

/** A payload holding one envelope: `header` (payloadHeader of the sending node), then `e` with `m`. */
export function encodeEnvelope(header: Uint8Array, e: Omit<Envelope, 'n' | 'm'>, m: Uint8Array): Uint8Array {
  const path = e.f !== null ? encoder.encode(e.f[2]) : null;
  if (path !== null && path.length > MAX_PATH) throw new RangeError(`sender path of ${path.length} bytes`);
  const fixed = 16 + (e.ms !== undefined ? 4 : 0) + (path !== null ? 8 + path.length : 0);
  const out = new Uint8Array(header.length + fixed + m.length);
  out.set(header, 0);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = header.length;
  dv.setUint32(at, fixed - 4 + m.length);
  out[at + 4] = e.k;
  out[at + 5] = (path !== null ? F_SENDER : 0) | (e.ms !== undefined ? F_TIMEOUT : 0);
  dv.setUint16(at + 6, e.t[0]);
  dv.setUint32(at + 8, e.t[1]);
  dv.setUint32(at + 12, e.c);
  at += 16;
  // Whole milliseconds, at least 1 (a timeout of 0.5 ms must not read as "none" or as 0).
  if (e.ms !== undefined) { dv.setUint32(at, Math.min(MAX_MS, Math.max(1, Math.ceil(e.ms)))); at += 4; }
  if (path !== null) {
    dv.setUint16(at, e.f![0]);
    dv.setUint32(at + 2, e.f![1]);
    dv.setUint16(at + 6, path.length);
    out.set(path, at + 8);
    at += 8 + path.length;
  }
  out.set(m, at);
  return out;
}

/** Several payloads of one node as one (a frame): the first's header, then every envelope. */
export function frame(payloads: Uint8Array[], headerLength: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes - (payloads.length - 1) * headerLength);
  out.set(payloads[0]!, 0);
  let at = payloads[0]!.length;
  for (let i = 1; i < payloads.length; i++) {
    const p = payloads[i]!;
    out.set(p.subarray(headerLength), at);
    at += p.length - headerLength;
  }
  return out;
}

/** What a payload holds: its envelopes, or why it cannot be read. */
export type Decoded = { envelopes: Envelope[]; bad: null } | { envelopes: Envelope[]; bad: 'bad-message' | 'unsupported-version' };

/**
 * Reads a payload. Envelopes read before a broken one are kept (a frame's good part); `bad` says
 * why the rest could not be read. Never throws.
 */
export function decodePayload(b: Uint8Array): Decoded {
  const envelopes: Envelope[] = [];
  // Wire version 1 was a msgpack map whose first key is "v" (from a node not yet upgraded).
  if (b.length >= 3 && (b[0]! & 0xf0) === 0x80 && b[1] === 0xa1 && b[2] === 0x76) return { envelopes, bad: 'unsupported-version' };
  if (b.length < 3 || b[0] !== WIRE_MARK) return { envelopes, bad: 'bad-message' };
  if (b[1] !== WIRE_VERSION) return { envelopes, bad: 'unsupported-version' };
  const nl = b[2]!;
  if (nl === 0 || b.length < 3 + nl) return { envelopes, bad: 'bad-message' };
  let n: string;
  try { n = decoder.decode(b.subarray(3, 3 + nl)); } catch { return { envelopes, bad: 'bad-message' }; }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 3 + nl;
  if (at === b.length) return { envelopes, bad: 'bad-message' };
  while (at < b.length) {
    if (b.length - at < 16) return { envelopes, bad: 'bad-message' };
    const end = at + 4 + dv.getUint32(at);
    if (end - at < 16 || end > b.length) return { envelopes, bad: 'bad-message' };
    const k = b[at + 4]!;
    const flags = b[at + 5]!;
    if (k > W_REPLY_ERROR || (flags & ~(F_SENDER | F_TIMEOUT)) !== 0) return { envelopes, bad: 'bad-message' };
    const t: [number, number] = [dv.getUint16(at + 6), dv.getUint32(at + 8)];
    const c = dv.getUint32(at + 12);
    let p = at + 16;
    let ms: number | undefined;
    if (flags & F_TIMEOUT) {
      if (end - p < 4) return { envelopes, bad: 'bad-message' };
      ms = dv.getUint32(p);
      if (ms === 0 || ms > MAX_MS) return { envelopes, bad: 'bad-message' };
      p += 4;
    }
    let f: [number, number, string] | null = null;
    if (flags & F_SENDER) {
      if (end - p < 8) return { envelopes, bad: 'bad-message' };
      const pl = dv.getUint16(p + 6);
      if (pl > MAX_PATH || end - p - 8 < pl) return { envelopes, bad: 'bad-message' };
      let path: string;
      try { path = decoder.decode(b.subarray(p + 8, p + 8 + pl)); } catch { return { envelopes, bad: 'bad-message' }; }
      f = [dv.getUint16(p), dv.getUint32(p + 2), path];
      p += 8 + pl;
    }
    const e: Envelope = { n, k, f, t, c, m: b.subarray(p, end) };
    if (ms !== undefined) e.ms = ms;
    envelopes.push(e);
    at = end;
  }
  return { envelopes, bad: null };
}
