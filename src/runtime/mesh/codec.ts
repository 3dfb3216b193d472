/**
 * Message encoding for the ring mesh: msgpackr, one Packr/Unpackr per thread, reused for every
 * message (no allocation per message beyond msgpackr's own output view).
 *
 * What may cross threads, and what arrives, is message-values.ts's table: a value that would
 * arrive changed is either kept by an extension here (Map, Error, an own `__proto__` key) or
 * refused at encode time with ERR_TROUPE_UNENCODABLE_MESSAGE, so a bad message throws at `tell`
 * rather than arriving changed. Bytes that do not decode throw ERR_TROUPE_UNDECODABLE_MESSAGE
 * (the mesh dead-letters such a record: it never takes a thread down).
 *
 * ActorRefs travel as an extension and come back bound to the decoding thread's transport.
 */
import { Packr, Unpackr, addExtension } from 'msgpackr';
import { Traced, tracingOn } from '../../observability/traced.js';
import { ActorRef, type RefTransport } from '../../actors/ref.js';
import { ERROR_CODES, TroupeError, type ErrorCode } from '../../actors/errors.js';
import { BINARY, VIEW_CLASSES, binaryKind, binarySize, readBinary, writeBinary } from './binary-codec.js';
import { NOT_QUICK, readQuick, writeQuick } from './quick-codec.js';
import { MapEntries, ProtoObject, REFUSED, Slot, SlotView, findCycle, mapOf, needsTags, portable, protoObjectOf, tag, type SlotFor } from './message-values.js';

/** The transport refs decoded right now are bound to, and the node doing it (decoding is synchronous). */
let decodingFor: RefTransport | null = null;
let decodingNode = '';
/** The values that came beside the bytes being decoded (see encodeForPost). */
let decodingSlots: readonly unknown[] | null = null;
/** The node encoding right now: a local ref leaves stamped with it, so another node sees it as remote. */
let encodingNode = '';
/** While encodeForPost runs: which values travel beside the bytes (Sets and Errors tag their insides with it). */
let encodingSlot: SlotFor | null = null;
/** The incarnation (this run) of each node on this thread: a local ref leaves stamped with it too. */
const incarnations = new Map<string, number>();

/** Sets `node`'s incarnation on this thread (its system on main, its hosts in workers). @internal */
export function setIncarnation(node: string, incarnation: number): void {
  incarnations.set(node, incarnation);
}

/** A node id becomes a subject token: anything else in a ref is a bad message. */
const NODE_ID = /^[A-Za-z0-9_-]{1,128}$/;

// A ref: [path, thread, id] without NATS, else [path, thread, id, node, incarnation] (0: not known);
// a local ref to an actor with a mark of its own carries it last: [path, thread, id, mark] or
// [path, thread, id, node, incarnation, mark].
addExtension({
  Class: ActorRef,
  type: 0x54, // 'T'
  write: (ref: ActorRef) => {
    if (ref.node !== undefined) {
      if (!NODE_ID.test(ref.node)) throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', `a ref with an invalid node id: ${JSON.stringify(ref.node)}`);
      return [ref.path, ref.thread, ref.id, ref.node, ref.incarnation ?? 0];
    }
    if (ref.mark === 0) return encodingNode === '' ? [ref.path, ref.thread, ref.id] : [ref.path, ref.thread, ref.id, encodingNode, incarnations.get(encodingNode) ?? 0];
    return encodingNode === '' ? [ref.path, ref.thread, ref.id, ref.mark] : [ref.path, ref.thread, ref.id, encodingNode, incarnations.get(encodingNode) ?? 0, ref.mark];
  },
  read: (raw: [string, number, number, (string | number)?, number?, number?]) => {
    let mark = 0;
    let a = raw;
    if (raw.length === 4 || raw.length === 6) {
      mark = raw[raw.length - 1] as number;
      if (!Number.isInteger(mark) || mark < 1 || mark > 0x7fffffff) throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', 'a ref with an invalid mark');
      a = raw.slice(0, -1) as typeof raw;
    }
    const node = a[3] as string | undefined;
    const inc = a[4] ?? 0;
    if (node !== undefined && (typeof node !== 'string' || !NODE_ID.test(node))) {
      throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', 'a ref with an invalid node id');
    }
    if (typeof inc !== 'number' || !Number.isInteger(inc) || inc < 0 || inc > 0xffffffff) {
      throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', 'a ref with an invalid incarnation');
    }
    // A ref to this node is local, unless it is to an earlier run of it: that one stays remote, so
    // its mail goes by name (or is dead-lettered stale-ref), never to whoever has its address now.
    if (node === undefined || (node === decodingNode && (inc === 0 || inc === incarnations.get(node)))) {
      return new ActorRef(a[0], a[1], a[2], decodingFor, undefined, undefined, mark);
    }
    return new ActorRef(a[0], a[1], a[2], decodingFor, node, inc === 0 ? undefined : inc);
  },
});

/**
 * Thrown while encoding a value that only structured clone can carry (a SharedArrayBuffer keeps
 * its identity only that way): the mesh then sends the message over the link's port, in order.
 * @internal never leaves this module's callers (see tryEncode).
 */
class NeedsPost extends Error {}

addExtension({
  Class: SharedArrayBuffer,
  type: 0x55,
  write: () => { throw new NeedsPost('SharedArrayBuffer'); },
  read: () => { throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', 'a SharedArrayBuffer cannot be decoded from bytes'); },
});

// A message with trace context: [traceparent, tracestate or null, message]; a thread without
// tracing keeps the message only (traced.ts).
addExtension({
  Class: Traced,
  type: 0x52,
  write: (t: Traced) => [t.traceparent, t.tracestate ?? null, t.msg],
  read: (a: [string, string | null, unknown]) => {
    if (!Array.isArray(a) || a.length !== 3 || typeof a[0] !== 'string') throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', 'a traced message without its trace context');
    return tracingOn() ? new Traced(a[0], a[1] ?? undefined, a[2]) : a[2];
  },
});

addExtension({ Class: MapEntries, type: 0x4d, write: (m: MapEntries) => m.flat, read: (flat: unknown[]) => mapOf(flat) });
addExtension({ Class: ProtoObject, type: 0x4f, write: (o: ProtoObject) => o.flat, read: (flat: unknown[]) => protoObjectOf(flat) });

// Sets are msgpackr's own extension too, but their items are written as they are: a Map inside
// would arrive as an object. This one tags them first.
addExtension({ Class: Set, type: 0x53, write: (s: Set<unknown>) => tag([...s], encodingSlot), read: (items: unknown[]) => new Set(items) });

/** Errors being written inside errors right now (causes): past a few, the chain is cut. */
let errorDepth = 0;

/** The built-in error classes, rebuilt by name (anything else arrives as an Error with its name). */
const ERRORS: Record<string, new (message: string) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

// msgpackr's own Error extension keeps only name, message and cause (and AggregateError's
// `errors` came out as the characters of its message). This keeps what structured clone keeps,
// and more: the sender's stack, `code`, `errors` and other own fields.
addExtension({
  Class: Error,
  type: 0x45,
  write: (e: Error) => {
    // Errors carry what a library put on them (an HTTP client's request, with functions and
    // cycles in it): an own field that cannot cross is left out, as toWireError does, rather than
    // refusing the whole message. A cause chain is cut after a few errors (it may loop).
    const own: Record<string, unknown> = {};
    for (const k of Object.keys(e)) {
      if (k === 'errors' || k === 'cause') continue;
      const v = (e as unknown as Record<string, unknown>)[k];
      if (portable(v, 0, new Set())) own[k] = v;
    }
    const errors = e instanceof AggregateError || Array.isArray((e as { errors?: unknown }).errors) ? (e as AggregateError).errors : undefined;
    errorDepth++;
    try {
      const cause = 'cause' in e && (errorDepth <= 8 || !(e.cause instanceof Error)) && portable(e.cause, 0, new Set()) ? [e.cause] : null;
      return tag([e.name, e.message, e.stack, cause, errors !== undefined && portable(errors, 0, new Set()) ? errors : null, own], encodingSlot);
    } finally {
      errorDepth--;
    }
  },
  read: ([name, message, stack, cause, errors, own]: [string, string, string | undefined, [unknown] | null, unknown[] | null, Record<string, unknown>]) => {
    const code = own.code;
    // A TroupeError keeps its class and code (as it does in an ask's rejection).
    const e = typeof code === 'string' && code in ERROR_CODES ? new TroupeError(code as ErrorCode, message)
      : errors !== null ? new AggregateError(errors, message) : new (ERRORS[name] ?? Error)(message);
    if (cause !== null) Object.defineProperty(e, 'cause', { value: cause[0], writable: true, configurable: true });
    if (e.name !== name) Object.defineProperty(e, 'name', { value: name, writable: true, configurable: true, enumerable: false });
    Object.assign(e, own);
    if (stack !== undefined) e.stack = stack;
    return e;
  },
});

addExtension({ Class: Slot, type: 0x58, write: (s: Slot) => s.index, read: (i: number) => slotValue(i) });
addExtension({
  Class: SlotView,
  type: 0x59,
  write: (s: SlotView) => [s.index, s.kind, s.byteOffset, s.length],
  read: ([i, kind, byteOffset, length]: [number, string, number, number]) => {
    const buffer = slotValue(i) as ArrayBuffer;
    if (kind === 'DataView') return new DataView(buffer, byteOffset, length);
    const View = VIEWS.find((c) => c.name === kind) as (new (b: ArrayBuffer, o: number, l: number) => unknown) | undefined;
    if (View === undefined) throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', `not a typed array: ${kind}`);
    return new View(buffer, byteOffset, length);
  },
});

/** The built-in views a SlotView may name. */
const VIEWS = VIEW_CLASSES;

function viewKind(v: ArrayBufferView): string {
  for (const View of VIEWS) if (v instanceof View) return View.name;
  throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', `a view of a transferred buffer that is not a typed array or DataView (${v.constructor.name})`);
}

function slotValue(i: number): unknown {
  if (decodingSlots === null || !(i >= 0 && i < decodingSlots.length)) {
    throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', 'a value that travels beside the message is missing');
  }
  return decodingSlots[i];
}

for (const [Class, why] of REFUSED) {
  addExtension({ Class: Class as never, type: 0x5a, write: () => { throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', why); } });
}

function refuseFunction(): never {
  throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a message cannot hold a function; send plain data');
}

const PACKR_OPTIONS = { useRecords: false, moreTypes: true, writeFunction: refuseFunction };

/** What `encodeForPost` gives: bytes to post, and the values that go beside them (shared or moved). */
export interface Posted { bytes: Uint8Array; slots: unknown[] }

export class Codec {
  private readonly packr = new Packr(PACKR_OPTIONS as never);
  /** For an object of more than 65 535 keys (the fast map header is 16-bit); made when needed. */
  private bigPackr: Packr | null = null;
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
   * ring, say) before holding on to it. Throws ERR_TROUPE_UNENCODABLE_MESSAGE with the reason,
   * also for a SharedArrayBuffer (it is shared only between threads of one system: see tryEncode).
   */
  encode(value: unknown): Uint8Array {
    const bytes = this.tryEncode(value);
    if (bytes === null) {
      throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a SharedArrayBuffer is shared only between threads of one system; it cannot be sent to another node');
    }
    return bytes;
  }

  /** As `encode`, but null when the value holds a SharedArrayBuffer: then use encodeForPost. */
  tryEncode(value: unknown): Uint8Array | null {
    const kind = binaryKind(value);
    if (kind >= 0) {
      const out = new Uint8Array(binarySize(value as ArrayBuffer, kind));
      this.putBinary(value as ArrayBuffer, kind, out, 0);
      return out;
    }
    encodingNode = this.node;
    try {
      return this.pack(needsTags(value) ? tag(value) : value);
    } catch (err) {
      if (err instanceof NeedsPost) return null;
      throw this.refusal(err, value);
    }
  }

  /**
   * Encodes a message for a link's port: the bytes, and beside them the SharedArrayBuffers it
   * holds (shared) and what `transfer` lists (moved), each written in the bytes as its index.
   * The bytes have a buffer of their own (they can be transferred). Throws as `encode` does.
   */
  encodeForPost(value: unknown, transfer: readonly unknown[]): Posted {
    const slots: unknown[] = [];
    const moved = new Set(transfer);
    const indexOf = (v: unknown): number => {
      let i = slots.indexOf(v);
      if (i < 0) i = slots.push(v) - 1;
      return i;
    };
    const slot = (v: object): Slot | SlotView | null => {
      if (v instanceof SharedArrayBuffer || moved.has(v)) return new Slot(indexOf(v));
      if (ArrayBuffer.isView(v) && moved.has(v.buffer)) {
        const length = v instanceof DataView ? v.byteLength : (v as unknown as { length: number }).length;
        // By the built-in class it is (a Buffer is a Uint8Array): the receiver rebuilds that one.
        return new SlotView(indexOf(v.buffer), viewKind(v), v.byteOffset, length);
      }
      return null;
    };
    encodingNode = this.node;
    encodingSlot = slot;
    let bytes: Uint8Array;
    try {
      bytes = this.pack(tag(value, slot));
    } catch (err) {
      throw this.refusal(err, value);
    } finally {
      encodingSlot = null;
    }
    // What is listed but not in the message still moves (as with postMessage).
    for (const t of transfer) indexOf(t);
    return { bytes: new Uint8Array(bytes), slots };
  }

  /**
   * Writes `value` into `out[pos, end)` (a ring record's payload, say) when it takes the quick path
   * (quick-codec.ts): returns where it ends, or -1 (then encode it). Throws as `encode` does.
   * `kind`: its binaryKind, when the caller has it already.
   */
  writeQuick(value: unknown, out: Uint8Array, pos: number, end: number, kind = binaryKind(value)): number {
    if (kind >= 0) return binarySize(value as ArrayBuffer, kind) <= end - pos ? this.putBinary(value as ArrayBuffer, kind, out, pos) : -1;
    try {
      return writeQuick(value, out, pos, end);
    } catch (err) {
      throw this.refusal(err, value); // a getter that threw
    }
  }

  /** The value as another thread would receive it (`strictMessages` on one worker): encoded, then decoded. */
  copy(value: unknown): unknown {
    const bytes = this.tryEncode(value);
    if (bytes !== null) return this.decode(bytes, 0, bytes.length);
    const posted = this.encodeForPost(value, []);
    return this.decode(posted.bytes, 0, posted.bytes.length, posted.slots);
  }

  private pack(value: unknown): Uint8Array {
    try {
      return this.packr.pack(value);
    } catch (err) {
      if (!(err instanceof Error) || !/too large to serialize with fast 16-bit map size/.test(err.message)) throw err;
      this.bigPackr ??= new Packr({ ...PACKR_OPTIONS, variableMapSize: true } as never);
      return this.bigPackr.pack(value);
    }
  }

  /** writeBinary, refusing a view of a buffer transferred already (detached) as postMessage does. */
  private putBinary(value: ArrayBuffer | ArrayBufferView, kind: number, out: Uint8Array, pos: number): number {
    try {
      return writeBinary(value, kind, out, pos);
    } catch (err) {
      throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE',
        `the message's buffer was transferred already (it is detached): ${(err as Error)?.message ?? String(err)}; send one that is not`, { cause: err });
    }
  }

  /** An encoding failure as the user should see it. */
  private refusal(err: unknown, value: unknown): Error {
    if (err instanceof TroupeError) return err;
    if (err instanceof NeedsPost) return new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a SharedArrayBuffer cannot be written into bytes here; send it in a message of its own');
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      const cycle = findCycle(value);
      return new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', cycle !== null
        ? `a message cannot hold a cycle: ${cycle} refers back to a value that contains it; send a tree (refer to things by id)`
        : 'the message is nested too deeply to encode; flatten it', { cause: err });
    }
    const why = (err as Error)?.message ?? String(err);
    if (/unknown type: symbol/i.test(why)) return new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', 'a message cannot hold a symbol; send a string', { cause: err });
    return new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', `message cannot be encoded: ${why}; send plain data`, { cause: err });
  }

  /**
   * Decodes a payload in shared memory (a ring record). It is copied out first: msgpackr's native
   * string extractor refuses a SharedArrayBuffer, and its fallback costs a caught exception per
   * message (measured: 10x slower).
   */
  decodeShared(bytes: Uint8Array, start: number, length: number): unknown {
    if (bytes[start] === BINARY) return this.binary(bytes, start, length);
    const quick = readQuick(bytes, start, length);
    if (quick !== NOT_QUICK) return quick;
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

  /**
   * Decodes `bytes[start, start + length)` (with `slots`, what came beside them: see
   * encodeForPost); shared memory goes through decodeShared. Throws
   * ERR_TROUPE_UNDECODABLE_MESSAGE when the bytes are not a message.
   */
  decode(bytes: Uint8Array, start: number, length: number, slots: readonly unknown[] | null = null): unknown {
    if (bytes.buffer instanceof SharedArrayBuffer) return this.decodeShared(bytes, start, length);
    if (bytes[start] === BINARY && length > 0) return this.binary(bytes, start, length);
    const range = this.range;
    range.start = start;
    range.end = start + length;
    const prev = decodingFor;
    const prevNode = decodingNode;
    const prevSlots = decodingSlots;
    decodingFor = this.transport;
    decodingNode = this.node;
    decodingSlots = slots;
    try {
      return this.unpackr.unpack(bytes, range);
    } catch (err) {
      if (err instanceof TroupeError) throw err;
      throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', `${length} bytes do not decode: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    } finally {
      decodingFor = prev;
      decodingNode = prevNode;
      decodingSlots = prevSlots;
    }
  }

  private binary(bytes: Uint8Array, start: number, length: number): unknown {
    const v = readBinary(bytes, start, length);
    if (v === null) throw new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', `${length} bytes are not a binary message`);
    return v;
  }
}
