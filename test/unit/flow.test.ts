import { describe, expect, it } from 'vitest';
import { TroupeError } from '../../src/actors/errors.js';
import { ASKS_CREDIT, AT_MARK, creditQuantum, pathKey, pathThread, Paths } from '../../src/runtime/flow.js';

describe('Paths: a sender\'s unprocessed messages per target', () => {
  const key = pathKey(2, 7);

  it('keys carry the thread', () => {
    expect(pathThread(pathKey(3, 0xffffffff))).toBe(3);
    expect(creditQuantum(1000)).toBe(125);
    expect(creditQuantum(5)).toBe(1);
  });

  it('sentTo(thread, id) counts on the path pathKey(thread, id), as sent does', () => {
    const p = new Paths(16);
    const q = new Paths(16);
    for (let i = 0; i < 20; i++) expect(p.sentTo(2, 7, 0)).toBe(q.sent(key, 0));
    expect(p.count(key)).toBe(20);
    expect(p.sentTo(2, 0xffffffff, 64)).toBe(0); // (quantum 8: the first asks no credit)
    expect(p.count(pathKey(2, 0xffffffff))).toBe(1);
  });

  it('past 1,024 paths, sweeps forget the counts below the quantum and keep the others, which count on', () => {
    const p = new Paths(1000); // quantum 125
    const busy = pathKey(1, 1);
    const elsewhere = pathKey(2, 1);
    for (let i = 0; i < 200; i++) { p.sent(busy, 0); p.sent(elsewhere, 0); }
    // 3,000 paths of one message each, over two threads: they pass the sweep's threshold twice.
    for (let id = 2; id < 1502; id++) { p.sent(pathKey(1, id), 0); p.sent(pathKey(2, id), 0); }
    expect(p.count(busy)).toBe(200);
    expect(p.count(elsewhere)).toBe(200);
    expect(p.count(pathKey(1, 2))).toBe(0);
    expect(p.count(pathKey(2, 2))).toBe(0);
    // The busy paths count on from where they were, and take their credit.
    expect(p.sent(busy, 0)).toBe(0);
    expect(p.count(busy)).toBe(201);
    expect(p.credit(busy)).toBe(false);
    expect(p.count(busy)).toBe(76);
    expect(p.sent(pathKey(1, 2), 0)).toBe(0);
    expect(p.count(pathKey(1, 2))).toBe(1);
  });

  it('counts up to the mark, asks for credit every quantum, and comes back below it with credit', async () => {
    const p = new Paths(16); // quantum 2
    const said = Array.from({ length: 17 }, () => p.sent(key, 0));
    expect(said.flatMap((s, i) => (s & ASKS_CREDIT) !== 0 ? [i + 1] : [])).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(said.flatMap((s, i) => (s & AT_MARK) !== 0 ? [i + 1] : [])).toEqual([16, 17]);
    expect(p.overMark).toBe(1);
    let ready = false;
    const waiting = p.ready(key).then(() => { ready = true; });
    expect(p.credit(key)).toBe(true); // 17 - 2 = 15: below the mark
    await waiting;
    expect(ready).toBe(true);
    expect(p.overMark).toBe(0);
    expect(p.count(key)).toBe(15);
    for (let i = 0; i < 7; i++) p.credit(key);
    expect(p.count(key)).toBe(1);
    expect(p.credit(key)).toBe(false);
    expect(p.count(key)).toBe(0);
    await expect(p.ready(key)).resolves.toBeUndefined();
  });

  // Regression: a stopping actor's paths made their ERR_TROUPE_ACTOR_STOPPED error (and its
  // stack) whether or not anyone waited in ready(): a quarter of the time of Savina's Fork-Join
  // creation, where every actor sends once and stops.
  it('makes the error it stops waiters with only when someone waits', async () => {
    const p = new Paths(2);
    let made = 0;
    const error = () => { made++; return new TroupeError('ERR_TROUPE_ACTOR_STOPPED', 'stopped'); };
    p.sent(key, 0);
    p.stop(error);
    expect(made).toBe(0);
    const q = new Paths(2);
    q.sent(key, 0);
    q.sent(key, 0);
    const waiting = q.ready(key);
    q.stop(error);
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_STOPPED' });
    expect(made).toBe(1);
  });

  it('keeps counts apart from one busy path to several and back, resetting a dead thread\'s paths either way', () => {
    const p = new Paths(4); // quantum 1
    const other = pathKey(3, 1);
    const third = pathKey(2, 9);
    for (let i = 0; i < 4; i++) p.sent(key, 0);
    expect(p.overMark).toBe(1);
    // One busy path only: a dead thread's reset frees it.
    expect(p.resetThread(2)).toBe(true);
    expect([p.count(key), p.overMark]).toEqual([0, 0]);
    p.sent(key, 0);
    p.sent(other, 0);
    p.sent(other, 0);
    p.sent(third, 0);
    expect([p.count(key), p.count(other), p.count(third)]).toEqual([1, 2, 1]);
    p.credit(key);
    expect([p.count(key), p.count(other), p.count(third)]).toEqual([0, 2, 1]);
    expect(p.resetThread(2)).toBe(false); // below the mark: nothing freed, but forgotten
    expect([p.count(key), p.count(other), p.count(third)]).toEqual([0, 2, 0]);
    p.unsent(other);
    expect(p.count(other)).toBe(1);
  });

  it('a target with a mark of its own: its path takes that mark (and its quantum), others keep the system\'s', () => {
    const p = new Paths(1000);
    const own = pathKey(2, 8);
    const said = Array.from({ length: 5 }, () => p.sent(own, 4));
    expect(said).toEqual([ASKS_CREDIT, ASKS_CREDIT, ASKS_CREDIT, ASKS_CREDIT | AT_MARK, ASKS_CREDIT | AT_MARK]);
    expect(p.overMark).toBe(1);
    expect(p.sent(key, 0)).toBe(0);
    // A ref without the mark (0) to a busy path counts on the path's mark.
    expect(p.sent(own, 0) & AT_MARK).toBe(AT_MARK);
    expect(p.credit(own)).toBe(false); // 6 - 1 = 5
    expect(p.credit(own)).toBe(false);
    expect(p.credit(own)).toBe(true); // 3: below 4
    expect(p.overMark).toBe(0);
  });

  it('credit that brings a path below the mark says so', () => {
    const p = new Paths(4);
    for (let i = 0; i < 4; i++) p.sent(key, 0);
    expect(p.overMark).toBe(1);
    expect(p.credit(key)).toBe(true);
    expect(p.overMark).toBe(0);
  });

  it('unsent takes a count back, and the mark with it', () => {
    const p = new Paths(2);
    p.sent(key, 0);
    p.sent(key, 0);
    expect(p.overMark).toBe(1);
    p.unsent(key);
    expect(p.overMark).toBe(0);
    expect(p.count(key)).toBe(1);
  });

  it('a dead thread\'s paths are reset, and their waiters freed', async () => {
    const p = new Paths(2);
    const other = pathKey(3, 7);
    for (let i = 0; i < 3; i++) { p.sent(key, 0); p.sent(other, 0); }
    expect(p.overMark).toBe(2);
    const waiting = p.ready(key);
    expect(p.resetThread(2)).toBe(true);
    await waiting;
    expect(p.overMark).toBe(1);
    expect(p.count(key)).toBe(0);
    expect(p.count(other)).toBe(3);
  });

  it('stop rejects the waiters with ERR_TROUPE_SYSTEM_STOPPED', async () => {
    const p = new Paths(1);
    p.sent(key, 0);
    const waiting = p.ready(key);
    p.stop();
    await expect(waiting).rejects.toBeInstanceOf(TroupeError);
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_TROUPE_SYSTEM_STOPPED' });
  });

  it('forgets counts below the quantum when the table grows, and keeps those that may be owed credit', () => {
    const p = new Paths(800); // quantum 100
    const busy = pathKey(1, 1);
    for (let i = 0; i < 150; i++) p.sent(busy, 0);
    for (let id = 2; id < 2100; id++) p.sent(pathKey(1, id), 0);
    expect(p.count(busy)).toBe(150);
    expect(p.count(pathKey(1, 2))).toBe(0);
    expect(p.count(pathKey(1, 2099))).toBe(1);
  });

  it('the path used last is found again, and forgotten with its count', () => {
    const p = new Paths(16);
    p.sent(key, 0);
    p.unsent(key); // back to 0: dropped
    expect(p.count(key)).toBe(0);
    expect(p.sent(key, 0)).toBe(0);
    expect(p.count(key)).toBe(1);
    p.sent(pathKey(2, 9), 0);
    expect(p.count(key)).toBe(1);
  });

  it('agrees with a plain Map of counts over random steps, across the move from the small table to a Map', () => {
    // The model: what Paths promises, kept the simple way.
    class Model {
      readonly m = new Map<number, { n: number; mark: number }>();
      overMark = 0;
      constructor(readonly mark: number) {}
      sent(key: number, mark: number): number {
        let c = this.m.get(key);
        if (c === undefined) this.m.set(key, c = { n: 0, mark: mark === 0 ? this.mark : mark });
        const n = ++c.n;
        const credit = n % creditQuantum(c.mark) === 0 ? ASKS_CREDIT : 0;
        if (n < c.mark) return credit;
        if (n === c.mark) this.overMark++;
        return credit | AT_MARK;
      }
      take(key: number, by: number): boolean {
        const c = this.m.get(key);
        if (c === undefined) return false;
        const was = c.n;
        c.n -= by || creditQuantum(c.mark);
        if (c.n <= 0) this.m.delete(key);
        if (by === 1) { if (c.n === c.mark - 1) this.overMark--; return false; }
        if (was >= c.mark && c.n < c.mark) { this.overMark--; return true; }
        return false;
      }
      resetThread(thread: number): boolean {
        let freed = false;
        for (const [key, c] of this.m) {
          if (pathThread(key) !== thread) continue;
          this.m.delete(key);
          if (c.n >= c.mark) { this.overMark--; freed = true; }
        }
        return freed;
      }
    }
    for (const seed of [1, 2, 3, 4, 5]) {
      let s = seed;
      const rnd = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
      const p = new Paths(24); // quantum 3
      const model = new Model(24);
      // Up to 40 targets on 3 threads: more than the small table holds at once, some with marks of their own.
      const keys = Array.from({ length: 40 }, (_, i) => pathKey(1 + (i % 3), 0xfffffff0 + i));
      const marks = keys.map((_, i) => (i % 5 === 0 ? 4 + (i % 7) : 0));
      for (let step = 0; step < 20_000; step++) {
        const i = rnd(step < 10_000 ? 12 : 40);
        const key = keys[i]!;
        const op = rnd(100);
        if (op < 60) expect(p.sent(key, marks[i]!)).toBe(model.sent(key, marks[i]!));
        else if (op < 85) expect(p.credit(key)).toBe(model.take(key, 0));
        else if (op < 98) { p.unsent(key); model.take(key, 1); }
        else { const thread = 1 + rnd(3); expect(p.resetThread(thread)).toBe(model.resetThread(thread)); }
        expect(p.overMark).toBe(model.overMark);
        expect(p.count(key)).toBe(model.m.get(key)?.n ?? 0);
      }
      for (const key of keys) expect(p.count(key)).toBe(model.m.get(key)?.n ?? 0);
    }
  });
});
