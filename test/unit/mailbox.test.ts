import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../src/actors/mailbox.js';

describe('mailbox', () => {
  it('keeps order and fields through random pushes, shifts, re-queues and growth, against a plain array', () => {
    const box = new Mailbox({ capacity: 1 << 20, overflow: 'dead-letter' });
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

  it('holds no buffers until its first message', () => {
    const box = new Mailbox({ capacity: 10, overflow: 'dead-letter' });
    expect((box as unknown as { msgs: unknown[] }).msgs.length).toBe(0);
    box.push('a', 1, 2, 3);
    expect(box.size).toBe(1);
  });
});
