/**
 * Codec micro-benchmarks: what encoding one small message costs, the price of every message
 * that crosses threads through the ring (DESIGN.md: serialization, not the ring, is the cost
 * of a small message). msgpackr as troupe uses it — one reused Packr, `useRecords: false` —
 * with JSON and structuredClone (what postMessage pays) as references.
 */

import { Packr } from 'msgpackr';
import type { Suite } from '../core/suite.js';
import { runMicro, type MicroTask } from './tinybench-table.js';

const OPS = 256;
const RECORDS = 1024;

export const codecMicroSuite: Suite = {
  name: 'micro-codec',
  title: 'Micro: encoding one small message',
  async run(ctx) {
    const msg = { type: 'inc', by: 1, id: 7 };
    const packr = new Packr({ useRecords: false });
    const packed = packr.pack(msg);
    const json = JSON.stringify(msg);
    // 1024 distinct encoded records laid end to end in a 64 KiB buffer, as a ring reader sees them.
    const ring = new Uint8Array(64 * 1024);
    const starts = new Int32Array(RECORDS + 1);
    let at = 4096;
    for (let i = 0; i < RECORDS; i++) {
      const rec = packr.pack({ type: 'inc', by: 1, id: i });
      starts[i] = at;
      ring.set(rec, at);
      at += rec.length;
    }
    starts[RECORDS] = at;
    const scratch = new Uint8Array(256);
    // Results flow into `sink` so the work cannot be optimised away.
    let sink = 0;
    const tasks: MicroTask[] = [
      {
        name: 'msgpackr pack',
        opsPerCall: OPS,
        fn() {
          for (let i = 0; i < OPS; i++) sink += packr.pack({ type: 'inc', by: 1, id: i }).length;
        },
      },
      {
        name: 'msgpackr unpack',
        opsPerCall: OPS,
        note: 'from its own small buffer',
        fn() {
          for (let i = 0; i < OPS; i++) sink += (packr.unpack(packed) as { by: number }).by;
        },
      },
      {
        name: 'msgpackr unpack at an offset',
        opsPerCall: OPS,
        note: '`unpack(buf64k, {start, end})`, records past byte 4096',
        fn() {
          for (let i = 0; i < OPS; i++) {
            const k = i & (RECORDS - 1);
            sink += (packr.unpack(ring, { start: starts[k]!, end: starts[k + 1]! }) as { by: number }).by;
          }
        },
      },
      {
        name: 'copy to scratch + unpack',
        opsPerCall: OPS,
        note: 'same records, copied into a 256 B scratch first, then `{start: 0, end: len}`',
        fn() {
          for (let i = 0; i < OPS; i++) {
            const k = i & (RECORDS - 1);
            const from = starts[k]!;
            const len = starts[k + 1]! - from;
            for (let j = 0; j < len; j++) scratch[j] = ring[from + j]!;
            sink += (packr.unpack(scratch, { start: 0, end: len }) as { by: number }).by;
          }
        },
      },
      {
        name: 'msgpackr pack + unpack',
        opsPerCall: OPS,
        note: 'unpacks the view `pack` returns (into its 8 KiB buffer)',
        fn() {
          for (let i = 0; i < OPS; i++) sink += (packr.unpack(packr.pack({ type: 'inc', by: 1, id: i })) as { by: number }).by;
        },
      },
      {
        name: 'JSON stringify + parse',
        opsPerCall: OPS,
        note: 'reference',
        fn() {
          for (let i = 0; i < OPS; i++) sink += (JSON.parse(JSON.stringify({ type: 'inc', by: 1, id: i })) as { by: number }).by;
        },
      },
      {
        name: 'structuredClone',
        opsPerCall: OPS,
        note: 'reference: the serialize + deserialize postMessage does',
        fn() {
          for (let i = 0; i < OPS; i++) sink += structuredClone({ type: 'inc', by: 1, id: i }).by;
        },
      },
    ];
    const table = await runMicro('codec', 'Encoding `{type:\'inc\', by:1, id:7}`', tasks, ctx.quick);
    if (sink === -1) ctx.log('unreachable'); // keeps `sink` observable
    return {
      description:
        `tinybench, ${OPS} operations per timed call, cost per operation. msgpackr: one reused ` +
        `\`Packr({ useRecords: false })\`; the packed message is ${packed.length} bytes (JSON: ${json.length}).`,
      params: { opsPerCall: OPS, packedBytes: packed.length, jsonBytes: json.length },
      tables: [table],
    };
  },
};
