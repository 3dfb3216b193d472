import { describe, expect, it } from 'vitest';
import { TroupeError } from '../../src/actors/errors.js';
import { creditQuantum, pathKey, pathThread, Paths } from '../../src/runtime/flow.js';

describe('Paths: a sender\'s unprocessed messages per target', () => {
  const key = pathKey(2, 7);

  it('keys carry the thread', () => {
    expect(pathThread(pathKey(3, 0xffffffff))).toBe(3);
    expect(creditQuantum(1000)).toBe(125);
    expect(creditQuantum(5)).toBe(1);
  });

  it('counts up to the mark, asks for credit every quantum, and comes back below it with credit', async () => {
    const p = new Paths(8, 2);
    const counts = Array.from({ length: 9 }, () => p.sent(key));
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(counts.filter((n) => p.wantsCredit(n))).toEqual([2, 4, 6, 8]);
    expect(p.overMark).toBe(1);
    let ready = false;
    const waiting = p.ready(key).then(() => { ready = true; });
    expect(p.credit(key)).toBe(true); // 9 - 2 = 7: below the mark
    await waiting;
    expect(ready).toBe(true);
    expect(p.overMark).toBe(0);
    expect(p.count(key)).toBe(7);
    for (let i = 0; i < 3; i++) p.credit(key);
    expect(p.count(key)).toBe(1);
    expect(p.credit(key)).toBe(false);
    expect(p.count(key)).toBe(0);
    await expect(p.ready(key)).resolves.toBeUndefined();
  });

  it('credit that brings a path below the mark says so', () => {
    const p = new Paths(4, 1);
    for (let i = 0; i < 4; i++) p.sent(key);
    expect(p.overMark).toBe(1);
    expect(p.credit(key)).toBe(true);
    expect(p.overMark).toBe(0);
  });

  it('unsent takes a count back, and the mark with it', () => {
    const p = new Paths(2, 1);
    p.sent(key);
    p.sent(key);
    expect(p.overMark).toBe(1);
    p.unsent(key);
    expect(p.overMark).toBe(0);
    expect(p.count(key)).toBe(1);
  });

  it('a dead thread\'s paths are reset, and their waiters freed', async () => {
    const p = new Paths(2, 1);
    const other = pathKey(3, 7);
    for (let i = 0; i < 3; i++) { p.sent(key); p.sent(other); }
    expect(p.overMark).toBe(2);
    const waiting = p.ready(key);
    expect(p.resetThread(2)).toBe(true);
    await waiting;
    expect(p.overMark).toBe(1);
    expect(p.count(key)).toBe(0);
    expect(p.count(other)).toBe(3);
  });

  it('stop rejects the waiters with ERR_TROUPE_SYSTEM_STOPPED', async () => {
    const p = new Paths(1, 1);
    p.sent(key);
    const waiting = p.ready(key);
    p.stop();
    await expect(waiting).rejects.toBeInstanceOf(TroupeError);
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_TROUPE_SYSTEM_STOPPED' });
  });

  it('forgets counts below the quantum when the table grows, and keeps those that may be owed credit', () => {
    const p = new Paths(1000, 100);
    const busy = pathKey(1, 1);
    for (let i = 0; i < 150; i++) p.sent(busy);
    for (let id = 2; id < 2100; id++) p.sent(pathKey(1, id));
    expect(p.count(busy)).toBe(150);
    expect(p.count(pathKey(1, 2))).toBe(0);
    expect(p.count(pathKey(1, 2099))).toBe(1);
  });
});
