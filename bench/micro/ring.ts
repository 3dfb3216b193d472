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
    const sab = Ring.allocate(RING_BYTES);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const codec = new Codec(null);
    const payload = codec.encode({ type: 'inc', by: 1, id: 7 }).slice();
    let sink = 0;
    const count = () => {
      sink++;
    };
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
          for (let i = 0; i < BATCH; i++) {
            const bytes = codec.encode({ type: 'inc', by: 1, id: i });
            must(writer.tryWrite(1, 2, 0, 1, bytes, 0, bytes.length));
          }
          writer.publish();
          reader.read(decode, BATCH);
        },
      },
    ];
    const table = await runMicro('ring', `Ring records (${RING_BYTES >> 20} MiB ring, runtime Codec)`, tasks, ctx.quick);
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
