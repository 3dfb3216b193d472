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
 *   u32  incarnation           the sending node's run (config.ts): a reply or a ref back to it carries it
 *   then one or more envelopes (more than one only over core NATS: a frame of at-most-once messages):
 *   u32  length of the rest of this envelope
 *   u8   kind                  W_TELL, W_ASK, W_REPLY, W_REPLY_ERROR
 *   u8   flags                 1: has a sender, 2: has a timeout, 4: has a target name
 *   u16  t0, u32 t1            the target (thread, id), or for a reply (thread, ask corr)
 *   u32  c                     the asker's correlation id (asks)
 *   u32  ti                    the target node's incarnation the sender knows (0: none)
 *   [u32 ms]                   the ask's timeout (flag 2)
 *   [u16 thread, u32 id, u16 P, P bytes of path]   the sending actor (flag 1)
 *   [u16 N, N bytes]           the target's exposed name (flag 4)
 *   the message's bytes (the rest)
 *
 * All numbers big-endian. Version 3 added the incarnations and the target name; a payload of
 * another version is dead-lettered `unsupported-version` with its bytes.
 */

/** Message kinds on the wire. */
export const W_TELL = 0;
export const W_ASK = 1;
export const W_REPLY = 2;
export const W_REPLY_ERROR = 3;
export const WIRE_VERSION = 3;
/** The first byte of every payload. */
export const WIRE_MARK = 0xc1;

const F_SENDER = 1;
const F_TIMEOUT = 2;
const F_NAME = 4;
const MAX_PATH = 1024;
/** Bytes of an envelope before its optional parts. */
const FIXED = 20;
const MAX_MS = 2 ** 31 - 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** The characters of an exposed name (system.ts checks them at spawn). */
const NAME_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_=-') NAME_CHAR[c.charCodeAt(0)] = 1;

/**
 * A string to write: itself if it is ASCII (paths and names mostly are: written a char at a
 * time, no encoder call or allocation per message), else its UTF-8 bytes.
 */
function toWrite(s: string): string | Uint8Array {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return encoder.encode(s);
  return s;
}

function write(out: Uint8Array, at: number, v: string | Uint8Array): void {
  if (typeof v !== 'string') out.set(v, at);
  else for (let i = 0; i < v.length; i++) out[at + i] = v.charCodeAt(i);
}

/** The last name read, and its bytes: a frame's messages mostly go to one actor. */
let lastName = '';
let lastNameBytes = new Uint8Array(0);

/** The exposed name of `length` bytes at b[start], or null if it has other characters (it can name no actor). */
function nameAt(b: Uint8Array, start: number, length: number): string | null {
  let same = length === lastNameBytes.length;
  for (let i = 0; i < length && same; i++) same = b[start + i] === lastNameBytes[i];
  if (same) return lastName;
  for (let i = start; i < start + length; i++) if (b[i]! >= 128 || NAME_CHAR[b[i]!] === 0) return null;
  lastNameBytes = b.slice(start, start + length);
  lastName = String.fromCharCode.apply(null, lastNameBytes as unknown as number[]);
  return lastName;
}

/** UTF-8 text at b[start, end), or null if it is not; ASCII without a decoder call. */
function text(b: Uint8Array, start: number, end: number): string | null {
  let ascii = true;
  for (let i = start; i < end && ascii; i++) ascii = b[i]! < 0x80;
  if (ascii) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  try { return decoder.decode(b.subarray(start, end)); } catch { return null; }
}

/**
 * A message between nodes. `n`: the sending node (must match the subject), `ni` its incarnation.
 * `f`: the sending actor (thread, id, path) or null. `t`: the target (thread, id), or for a reply
 * (thread, ask corr). `ti`: the incarnation of the target's node the sender knows (0: none), and
 * `tn` the target's exposed name, if it has one: mail for an earlier incarnation goes by name
 * (runs.ts). `c`: the asker's correlation id (asks). `ms`: the ask's timeout. `m`: the message,
 * encoded by the sender's codec: the receiving node passes these bytes on to the worker untouched,
 * whose codec reads the refs inside (stamped with their node) as local or remote.
 */
export interface Envelope {
  n: string;
  ni: number;
  k: number;
  f: [number, number, string] | null;
  t: [number, number];
  ti: number;
  tn: string | null;
  c: number;
  ms?: number;
  m: Uint8Array;
}

/** The payload header of a node's run (encoded once). */
export function payloadHeader(node: string, incarnation: number): Uint8Array {
  const name = encoder.encode(node);
  if (name.length < 1 || name.length > 255) throw new RangeError(`node id of ${name.length} bytes`);
  const h = new Uint8Array(7 + name.length);
  h[0] = WIRE_MARK;
  h[1] = WIRE_VERSION;
  h[2] = name.length;
  h.set(name, 3);
  new DataView(h.buffer).setUint32(3 + name.length, incarnation);
  return h;
}

/** A payload holding one envelope: `header` (payloadHeader of the sending node), then `e` with `m`. */
export function encodeEnvelope(header: Uint8Array, e: Omit<Envelope, 'n' | 'ni' | 'm'>, m: Uint8Array): Uint8Array {
  const path = e.f !== null ? toWrite(e.f[2]) : null;
  if (path !== null && path.length > MAX_PATH) throw new RangeError(`sender path of ${path.length} bytes`);
  const name = e.tn !== null && e.tn !== '' ? toWrite(e.tn) : null;
  if (name !== null && name.length > MAX_PATH) throw new RangeError(`target name of ${name.length} bytes`);
  const fixed = FIXED + (e.ms !== undefined ? 4 : 0) + (path !== null ? 8 + path.length : 0) + (name !== null ? 2 + name.length : 0);
  const out = new Uint8Array(header.length + fixed + m.length);
  out.set(header, 0);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = header.length;
  dv.setUint32(at, fixed - 4 + m.length);
  out[at + 4] = e.k;
  out[at + 5] = (path !== null ? F_SENDER : 0) | (e.ms !== undefined ? F_TIMEOUT : 0) | (name !== null ? F_NAME : 0);
  dv.setUint16(at + 6, e.t[0]);
  dv.setUint32(at + 8, e.t[1]);
  dv.setUint32(at + 12, e.c);
  dv.setUint32(at + 16, e.ti);
  at += FIXED;
  // Whole milliseconds, at least 1 (a timeout of 0.5 ms must not read as "none" or as 0).
  if (e.ms !== undefined) { dv.setUint32(at, Math.min(MAX_MS, Math.max(1, Math.ceil(e.ms)))); at += 4; }
  if (path !== null) {
    dv.setUint16(at, e.f![0]);
    dv.setUint32(at + 2, e.f![1]);
    dv.setUint16(at + 6, path.length);
    write(out, at + 8, path);
    at += 8 + path.length;
  }
  if (name !== null) {
    dv.setUint16(at, name.length);
    write(out, at + 2, name);
    at += 2 + name.length;
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
  if (nl === 0 || b.length < 7 + nl) return { envelopes, bad: 'bad-message' };
  let n: string;
  try { n = decoder.decode(b.subarray(3, 3 + nl)); } catch { return { envelopes, bad: 'bad-message' }; }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ni = dv.getUint32(3 + nl);
  let at = 7 + nl;
  if (at === b.length) return { envelopes, bad: 'bad-message' };
  while (at < b.length) {
    if (b.length - at < FIXED) return { envelopes, bad: 'bad-message' };
    const end = at + 4 + dv.getUint32(at);
    if (end - at < FIXED || end > b.length) return { envelopes, bad: 'bad-message' };
    const k = b[at + 4]!;
    const flags = b[at + 5]!;
    if (k > W_REPLY_ERROR || (flags & ~(F_SENDER | F_TIMEOUT | F_NAME)) !== 0) return { envelopes, bad: 'bad-message' };
    const t: [number, number] = [dv.getUint16(at + 6), dv.getUint32(at + 8)];
    const c = dv.getUint32(at + 12);
    const ti = dv.getUint32(at + 16);
    let p = at + FIXED;
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
      const path = text(b, p + 8, p + 8 + pl);
      if (path === null) return { envelopes, bad: 'bad-message' };
      f = [dv.getUint16(p), dv.getUint32(p + 2), path];
      p += 8 + pl;
    }
    let tn: string | null = null;
    if (flags & F_NAME) {
      if (end - p < 2) return { envelopes, bad: 'bad-message' };
      const tl = dv.getUint16(p);
      if (tl === 0 || tl > MAX_PATH || end - p - 2 < tl) return { envelopes, bad: 'bad-message' };
      tn = nameAt(b, p + 2, tl);
      if (tn === null) return { envelopes, bad: 'bad-message' };
      p += 2 + tl;
    }
    const e: Envelope = { n, ni, k, f, t, ti, tn, c, m: b.subarray(p, end) };
    if (ms !== undefined) e.ms = ms;
    envelopes.push(e);
    at = end;
  }
  return { envelopes, bad: null };
}
