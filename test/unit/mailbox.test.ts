import { describe, expect, it } from 'vitest';
import { DEFAULT_MAILBOX, Mailbox } from '../../src/actors/mailbox.js';
import { DEPTH_CHUNK, MailboxDepths, allocateDepths, forEachDepth } from '../../src/runtime/mailbox-depths.js';

describe('mailbox', () => {
  it('keeps order and fields through random pushes, shifts, re-queues and growth, against a plain array', () => {
    const box = new Mailbox({ capacity: 1 << 20, overflow: 'dead-letter', highWaterMark: 0 });
    const model: [number, number, number, number][] = [];
    let s = 12345;
    const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
    let seq = 0;
    for (let step = 0; step < 20_000; step++) {
      const r = rand() % 10;
      if (r < 6) {
        const m: [number, number, number, number] = [seq, seq % 7, seq * 3, seq % 5];
        seq++;
        box.push(m[0], m[1], m[2], m[3]);
        model.push(m);
      } else if (r < 9 && model.length > 0) {
        const i = box.first;
        expect([box.messageAt(i), box.senderThreadAt(i), box.senderIdAt(i), box.corrAt(i)]).toEqual(model[0]);
        box.shift();
        const m = model.shift()!;
        if (r === 8) { box.unshift(m[0], m[1], m[2], m[3]); model.unshift(m); } // a retry goes back first
      }
      expect(box.size).toBe(model.length);
    }
    while (model.length > 0) {
      expect(box.messageAt(box.first)).toBe(model.shift()![0]);
      box.shift();
    }
  });

  it('keeps each field\'s whole range through growth: flagged sender threads, 32-bit ids, and ring places past 2^32', () => {
    const box = new Mailbox(DEFAULT_MAILBOX);
    const far = 2 ** 45 + 8; // a record's place is an absolute byte count, exact to 2^53
    for (let i = 0; i < 40; i++) box.push(i, 0x70000 | i, 0xffff_ffff - i, 0xffff_fff0 + (i % 16), i % 2 === 0 ? far + i * 8 : -1);
    for (let i = 0; i < 40; i++) {
      const at = box.first;
      expect([box.messageAt(at), box.senderThreadAt(at), box.senderIdAt(at), box.corrAt(at), box.recordAt(at)])
        .toEqual([i, 0x70000 | i, 0xffff_ffff - i, 0xffff_fff0 + (i % 16), i % 2 === 0 ? far + i * 8 : -1]);
      box.shift();
    }
    expect(box.capacity).toBe(Infinity);
    expect(box.overflow).toBe('dead-letter');
  });

  it('holds no buffers while at most one message waits, and keeps that message\'s fields whole', () => {
    const box = new Mailbox({ capacity: 10, overflow: 'dead-letter', highWaterMark: 0 });
    const buffers = () => (box as unknown as { msgs: unknown[] }).msgs.length;
    const far = 2 ** 45 + 8;
    const depth = new Int32Array(4);
    box.mirrorDepth(depth, 2);
    // One at a time, as a child that does one job gets its mail: pushed, read, shifted; and a
    // retry put back first into the empty mailbox.
    for (let i = 0; i < 10; i++) {
      const fields = [`m${i}`, 0x40000000 | i, 0xffff_ffff - i, 0x8000_0000 + i, i % 2 === 0 ? far + i : -1];
      if (i % 3 === 0) box.unshift(...(fields as [string, number, number, number, number]));
      else box.push(...(fields as [string, number, number, number, number]));
      expect([box.size, depth[2]]).toEqual([1, 1]);
      const at = box.first;
      expect([box.messageAt(at), box.senderThreadAt(at), box.senderIdAt(at), box.corrAt(at), box.recordAt(at)]).toEqual(fields);
      box.shift();
      expect([box.size, depth[2], box.messageAt(box.first)]).toEqual([0, 0, undefined]);
    }
    expect(buffers()).toBe(0);
    // A second beside a first: the buffers are made, the first stays first.
    box.push('a', 1, 0xffff_fffe, 3, far);
    box.push('b', 4, 5, 6);
    box.unshift('z', 7, 8, 9);
    expect(buffers()).toBe(4);
    const got: unknown[] = [];
    while (box.size > 0) {
      const at = box.first;
      got.push([box.messageAt(at), box.senderThreadAt(at), box.senderIdAt(at), box.corrAt(at), box.recordAt(at)]);
      box.shift();
    }
    expect(got).toEqual([['z', 7, 8, 9, -1], ['a', 1, 0xffff_fffe, 3, far], ['b', 4, 5, 6, -1]]);
    expect(depth[2]).toBe(0);
  });
});

describe('mailbox depths in shared memory', () => {
  it('mirror each mailbox\'s depth into its slot, grow by chunks main hears of, and reuse a stopped actor\'s slot', () => {
    const announced: SharedArrayBuffer[] = [];
    const first = allocateDepths();
    const depths = new MailboxDepths(first, (chunk) => announced.push(chunk));
    const boxes = Array.from({ length: DEPTH_CHUNK + 1 }, () => new Mailbox(DEFAULT_MAILBOX));
    const slots = boxes.map((box, i) => depths.take(i + 1, box));
    expect(announced).toHaveLength(1);
    boxes[0]!.push('a', 0, 0, 0);
    boxes[0]!.push('b', 0, 0, 0);
    boxes[DEPTH_CHUNK]!.push('c', 0, 0, 0);
    boxes[0]!.shift();
    const seen = new Map<number, number>();
    forEachDepth([new Int32Array(first), new Int32Array(announced[0]!)], (id, depth) => { if (depth > 0) seen.set(id, depth); });
    expect([...seen]).toEqual([[1, 1], [DEPTH_CHUNK + 1, 1]]);
    depths.release(slots[0]!, boxes[0]!);
    boxes[0]!.push('d', 0, 0, 0); // no longer mirrored
    expect(new Int32Array(first).slice(0, 2)).toEqual(new Int32Array([0, 0]));
    expect(depths.take(99, new Mailbox(DEFAULT_MAILBOX))).toBe(slots[0]);
  });
});

describe('mailbox buffers given back', () => {
  it('keeps every message\'s fields while mailboxes grow, drain, stop and give their buffers to others, at random', () => {
    type Msg = [number, number, number, number, number];
    const boxes = Array.from({ length: 40 }, () => new Mailbox(DEFAULT_MAILBOX));
    const models: Msg[][] = boxes.map(() => []);
    let s = 99;
    const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
    let seq = 0;
    for (let step = 0; step < 60_000; step++) {
      const b = rand() % boxes.length;
      const box = boxes[b]!;
      const model = models[b]!;
      const r = rand() % 16;
      if (r < 9) {
        const m: Msg = [seq, 0x10000 | (seq % 7), (0xffff_ff00 + seq) >>> 0, seq % 3 === 0 ? 0 : seq, seq % 2 === 0 ? 2 ** 40 + seq * 8 : -1];
        seq++;
        box.push(...m);
        model.push(m);
      } else if (r < 15) {
        if (model.length === 0) continue;
        const i = box.first;
        expect([box.messageAt(i), box.senderThreadAt(i), box.senderIdAt(i), box.corrAt(i), box.recordAt(i)]).toEqual(model.shift());
        box.shift();
      } else {
        // Its actor stops: the rest is read out (as stopping dead-letters it), then its buffers go.
        while (model.length > 0) {
          expect(box.messageAt(box.first)).toBe(model.shift()![0]);
          box.shift();
        }
        box.recycle();
        expect(box.size).toBe(0);
      }
    }
    boxes.forEach((box, b) => {
      for (const m of models[b]!) {
        const i = box.first;
        expect([box.messageAt(i), box.senderThreadAt(i), box.senderIdAt(i), box.corrAt(i), box.recordAt(i)]).toEqual(m);
        box.shift();
      }
    });
  });

  it('keeps its buffers while mail waits (a recycle then does nothing)', () => {
    const box = new Mailbox(DEFAULT_MAILBOX);
    for (let i = 0; i < 10; i++) box.push(i, 1, i, 0, -1);
    box.recycle();
    for (let i = 0; i < 10; i++) { expect([box.messageAt(box.first), box.senderIdAt(box.first)]).toEqual([i, i]); box.shift(); }
  });
});
