/**
 * Ring micro-benchmarks: the data plane's cost per record without any thread in the way — one
 * thread writes and reads the same SharedArrayBuffer ring, so these are the floor under
 * cross-thread throughput (no cache-line transfer, no wake-up). Uses the runtime's internal
 * RingWriter / RingReader / Codec from dist/runtime/ (not public API: adapt when they change).
 */

import type { Suite } from '../core/suite.js';
import { runMicro, type MicroTask } from './tinybench-table.js';

// The types from the sources; the modules themselves are loaded from dist/ (below).
type RingModule = typeof import('../../src/runtime/mesh/ring.js');
type ReaderModule = typeof import('../../src/runtime/mesh/ring-reader.js');
type CodecModule = typeof import('../../src/runtime/mesh/codec.js');
type BinaryModule = typeof import('../../src/runtime/mesh/binary-codec.js');

const BATCH = 256;
/** The runtime's default ring size (DEFAULT_TUNING.ringBytes). */
const RING_BYTES = 1 << 20;

// Beside the package's entry point (dist/index.js), from build/bench/micro/ and dist/bench/micro/ alike.
const dist = (file: string) => new URL(`./runtime/mesh/${file}`, import.meta.resolve('troupe')).href;

export const ringMicroSuite: Suite = {
  name: 'micro-ring',
  title: 'Micro: ring records, one thread',
  async run(ctx) {
    const { Ring, RingWriter } = (await import(dist('ring.js'))) as RingModule;
    const { RingReader } = (await import(dist('ring-reader.js'))) as ReaderModule;
    const { Codec } = (await import(dist('codec.js'))) as CodecModule;
    const { binaryKind, binarySize } = (await import(dist('binary-codec.js'))) as BinaryModule;
    const sab = Ring.allocate(RING_BYTES);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const codec = new Codec(null);
    const payload = codec.encode({ type: 'inc', by: 1, id: 7 }).slice();
    let sink = 0;
    const count = () => {
      sink++;
    };
    // What the runtime does to send a message (Outlinks.send): the quick path straight into the
    // ring when it takes the value and the room is there, else encode and copy.
    const send = (value: unknown) => {
      const binary = binaryKind(value);
      const max = binary >= 0 ? binarySize(value as ArrayBuffer, binary) : 1024;
      const at = writer.reserve(max);
      const end = at >= 0 ? codec.writeQuick(value, writer.data, at, at + max, binary) : -1;
      if (end >= 0) writer.commit(1, 2, 0, 1, end - at);
      else {
        const bytes = codec.encode(value);
        must(writer.tryWrite(1, 2, 0, 1, bytes, 0, bytes.length));
      }
    };
    const decodeBinary = (_t: number, _s: number, _c: number, _k: number, bytes: Uint8Array, start: number, len: number) => {
      sink += (codec.decodeShared(bytes, start, len) as ArrayBufferView).byteLength;
    };
    const raw = (bytes: number): MicroTask => {
      const filler = new Uint8Array(bytes).fill(7);
      return {
        name: `raw records, ${bytes} B payload, ${BATCH} per publish`,
        opsPerCall: BATCH,
        note: 'the raw ring, for the binary rows: bytes copied in, records read (not copied out)',
        fn() {
          for (let i = 0; i < BATCH; i++) must(writer.tryWrite(1, 2, 0, 1, filler, 0, bytes));
          writer.publish();
          reader.read(count, BATCH);
        },
      };
    };
    const binary = (name: string, value: ArrayBufferView): MicroTask => ({
      name: `binary message, ${name} of ${value.byteLength} B: send + read + decode, ${BATCH} per publish`,
      opsPerCall: BATCH,
      note: 'no msgpack: raw bytes behind a 4-byte header; copied out on read (a Uint8Array of up to 64 B into a buffer of its own, a 1 KiB view into a pool)',
      fn() {
        for (let i = 0; i < BATCH; i++) send(value);
        writer.publish();
        reader.read(decodeBinary, BATCH);
      },
    });
    const decode = (_t: number, _s: number, _c: number, _k: number, bytes: Uint8Array, start: number, len: number) => {
      sink += (codec.decodeShared(bytes, start, len) as { by: number }).by;
    };
    const must = (ok: boolean) => {
      if (!ok) throw new Error('ring full: the reader fell behind');
    };
    const tasks: MicroTask[] = [
      {
        name: `write + read, ${BATCH} per publish`,
        opsPerCall: BATCH,
        note: `${payload.length} B payload; one publish and one read call per ${BATCH} records`,
        fn() {
          for (let i = 0; i < BATCH; i++) must(writer.tryWrite(1, 2, 0, 1, payload, 0, payload.length));
          writer.publish();
          reader.read(count, BATCH);
        },
      },
      {
        name: 'write + publish + read, 1 at a time',
        opsPerCall: BATCH,
        note: 'a publish (Atomics.store) and a read (Atomics.load + store) per record',
        fn() {
          for (let i = 0; i < BATCH; i++) {
            must(writer.tryWrite(1, 2, 0, 1, payload, 0, payload.length));
            writer.publish();
            reader.read(count, 1);
          }
        },
      },
      {
        name: `encode + write + read + decode, ${BATCH} per publish`,
        opsPerCall: BATCH,
        note: 'the whole cross-thread path of one small message minus the other thread: runtime Codec + ring',
        fn() {
          for (let i = 0; i < BATCH; i++) send({ type: 'inc', by: 1, id: i });
          writer.publish();
          reader.read(decode, BATCH);
        },
      },
      raw(64),
      binary('Uint8Array', new Uint8Array(64).fill(3)),
      raw(1024),
      binary('Float32Array', new Float32Array(256).fill(1.5)),
    ];
    const table = await runMicro('ring', `Ring records (${RING_BYTES >> 20} MiB ring, runtime Codec)`, tasks, ctx.quick);
    // Each binary row against the raw row before it (issue 15: at least half its rate).
    table.rows.forEach((row, i) => {
      const base = table.rows[i - 1];
      if (!row.name.startsWith('binary') || row.opsPerSec === undefined || base?.opsPerSec === undefined) return;
      row.note = `${row.note}; ${(row.opsPerSec / base.opsPerSec).toFixed(2)}× the raw row above (target ≥ 0.5×)`;
    });
    if (sink === -1) ctx.log('unreachable'); // keeps `sink` observable
    return {
      description:
        'tinybench; one thread writes records into a SharedArrayBuffer ring (`RingWriter`) and reads them ' +
        'back (`RingReader`), costs per record. Internal API from `dist/runtime/mesh/ring.js` and `codec.js`.',
      params: { ringBytes: RING_BYTES, batch: BATCH, payloadBytes: payload.length },
      tables: [table],
    };
  },
};
