/**
 * Message encoding for the ring mesh: msgpackr, one Packr/Unpackr per thread, reused for every
 * message (no allocation per message beyond msgpackr's own output view).
 *
 * ActorRefs travel as an extension and come back bound to the decoding thread's transport.
 * Values msgpack would silently drop or mangle (functions, symbols) are refused at encode time,
 * so a bad message throws at `tell` rather than arriving changed.
 */
import { Packr, Unpackr, addExtension } from 'msgpackr';
import { ActorRef, type RefTransport } from '../actors/ref.js';
import { TroupeError } from '../actors/errors.js';

/** The transport refs decoded right now are bound to, and the node doing it (decoding is synchronous). */
let decodingFor: RefTransport | null = null;
let decodingNode = '';
/** The node encoding right now: a local ref leaves stamped with it, so another node sees it as remote. */
let encodingNode = '';
/** The incarnation (this run) of each node on this thread: a local ref leaves stamped with it too. */
const incarnations = new Map<string, number>();

/** Sets `node`'s incarnation on this thread (its system on main, its hosts in workers). @internal */
export function setIncarnation(node: string, incarnation: number): void {
  incarnations.set(node, incarnation);
}

// A ref: [path, thread, id] without NATS, else [path, thread, id, node, incarnation] (0: not known).
addExtension({
  Class: ActorRef,
  type: 0x54, // 'T'
  write: (ref: ActorRef) => {
    if (ref.node !== undefined) return [ref.path, ref.thread, ref.id, ref.node, ref.incarnation ?? 0];
    return encodingNode === '' ? [ref.path, ref.thread, ref.id] : [ref.path, ref.thread, ref.id, encodingNode, incarnations.get(encodingNode) ?? 0];
  },
  read: (a: [string, number, number, string?, number?]) => {
    const node = a[3];
    const inc = a[4] ?? 0;
    // A node id becomes a subject token: anything else is a bad message, not a ref.
    if (node !== undefined && (typeof node !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(node))) {
      throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a ref with an invalid node id');
    }
    if (typeof inc !== 'number' || !Number.isInteger(inc) || inc < 0 || inc > 0xffffffff) {
      throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a ref with an invalid incarnation');
    }
    // A ref to this node is local, unless it is to an earlier run of it: that one stays remote, so
    // its mail goes by name (or is dead-lettered stale-ref), never to whoever has its address now.
    if (node === undefined || (node === decodingNode && (inc === 0 || inc === incarnations.get(node)))) {
      return new ActorRef(a[0], a[1], a[2], decodingFor);
    }
    return new ActorRef(a[0], a[1], a[2], decodingFor, node, inc === 0 ? undefined : inc);
  },
});

/**
 * Thrown while encoding a value that only structured clone can carry (a SharedArrayBuffer keeps
 * its identity only that way): the mesh then sends the message over the link's port, in order.
 */
export class NeedsPost extends Error {}

addExtension({
  Class: SharedArrayBuffer,
  type: 0x55,
  write: () => { throw new NeedsPost('SharedArrayBuffer'); },
  read: () => { throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a SharedArrayBuffer cannot be decoded from bytes'); },
});

function refuseFunction(): never {
  throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a message cannot hold a function; send plain data');
}

export class Codec {
  private readonly packr = new Packr({ useRecords: false, moreTypes: true, writeFunction: refuseFunction } as never);
  // copyBuffers: binary values must not stay views into a ring or scratch buffer that is reused.
  private readonly unpackr = new Unpackr({ useRecords: false, moreTypes: true, copyBuffers: true });
  /** Where decodeShared copies a ring payload. */
  private scratch = new Uint8Array(4096);
  private readonly range = { start: 0, end: 0 };
  private readonly transport: RefTransport | null;
  /** This thread's node ('' without NATS). */
  private readonly node: string;

  constructor(transport: RefTransport | null, node = '') {
    this.transport = transport;
    this.node = node;
  }

  /**
   * Encodes a message. The result is a view into the encoder's reusable buffer: copy it (into a
   * ring, say) before the next call. Throws ERR_TROUPE_UNENCODABLE_MESSAGE with the reason.
   */
  encode(value: unknown): Uint8Array {
    encodingNode = this.node;
    try {
      return this.packr.pack(value);
    } catch (err) {
      if (err instanceof TroupeError || err instanceof NeedsPost) throw err;
      throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE',
        `message cannot be encoded: ${(err as Error).message}; send plain data`, { cause: err });
    }
  }

  /**
   * Decodes a payload in shared memory (a ring record). It is copied out first: msgpackr's native
   * string extractor refuses a SharedArrayBuffer, and its fallback costs a caught exception per
   * message (measured: 10x slower).
   */
  decodeShared(bytes: Uint8Array, start: number, length: number): unknown {
    let scratch = this.scratch;
    if (length > scratch.length) scratch = this.scratch = new Uint8Array(Math.max(length, scratch.length * 2));
    if (length <= 64) {
      // Small payloads (most messages): a loop beats making a subarray view to copy from.
      for (let i = 0; i < length; i++) scratch[i] = bytes[start + i]!;
    } else {
      scratch.set(bytes.subarray(start, start + length));
    }
    return this.decode(scratch, 0, length);
  }

  /** Decodes `bytes[start, start + length)`; shared memory goes through decodeShared. */
  decode(bytes: Uint8Array, start: number, length: number): unknown {
    if (bytes.buffer instanceof SharedArrayBuffer) return this.decodeShared(bytes, start, length);
    const range = this.range;
    range.start = start;
    range.end = start + length;
    const prev = decodingFor;
    const prevNode = decodingNode;
    decodingFor = this.transport;
    decodingNode = this.node;
    try {
      return this.unpackr.unpack(bytes, range);
    } finally {
      decodingFor = prev;
      decodingNode = prevNode;
    }
  }
}
