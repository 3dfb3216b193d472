import { describe, expect, it } from 'vitest';
import { PathTable } from '../../src/runtime/path-table.js';
import { pathKey } from '../../src/runtime/flow.js';

/** A small deterministic generator (xorshift32), so that a failure is repeatable. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('PathTable: busy paths in an open-addressing table', () => {
  it('agrees with a Map through inserts, counts, removals, sweeps and dropped threads', () => {
    const rnd = random(12345);
    const table = new PathTable();
    const model = new Map<number, { n: number; mark: number }>();
    // Few threads, ids clustered (as a worker hands them out) and far apart (0xffffffff): long probe chains and wrap-around.
    for (let step = 0; step < 60_000; step++) {
      const thread = 1 + Math.floor(rnd() * 3);
      const id = rnd() < 0.9 ? Math.floor(rnd() * 3000) : 0xffffffff - Math.floor(rnd() * 50);
      const key = pathKey(thread, id);
      const slot = table.slotOf(thread, id);
      const m = model.get(key);
      expect(slot >= 0).toBe(m !== undefined);
      const r = rnd();
      if (m === undefined) {
        const mark = 1 + Math.floor(rnd() * 100);
        const s = table.insert(thread, id, 1, mark);
        model.set(key, { n: 1, mark });
        expect(table.count(s)).toBe(1);
        expect(table.mark(s)).toBe(mark);
      } else if (r < 0.5) {
        expect(table.count(slot)).toBe(m.n);
        expect(table.mark(slot)).toBe(m.mark);
        table.setCount(slot, ++m.n);
      } else if (r < 0.98) {
        table.removeAt(slot);
        model.delete(key);
      } else if (r < 0.99) {
        const cut = Math.floor(rnd() * 5);
        const dropped = table.retain((n) => n >= cut);
        let expected = 0;
        for (const [k, v] of model) if (v.n < cut) { model.delete(k); expected++; }
        expect(dropped).toBe(expected);
      } else {
        const gone = 1 + Math.floor(rnd() * 3);
        table.retain((_n, _mark, k) => Math.floor(k / 2 ** 32) !== gone);
        for (const k of [...model.keys()]) if (Math.floor(k / 2 ** 32) === gone) model.delete(k);
      }
      expect(table.size).toBe(model.size);
    }
    const seen = new Map<number, number>();
    table.forEach((key, n) => seen.set(key, n));
    expect(seen).toEqual(new Map([...model].map(([k, v]) => [k, v.n])));
  });

  it('grows past half full, and a sweep that leaves few shrinks it', () => {
    const table = new PathTable();
    for (let id = 0; id < 10_000; id++) table.insert(1, id, id % 200, 1000);
    expect(table.size).toBe(10_000);
    for (let id = 0; id < 10_000; id += 997) expect(table.count(table.slotOf(1, id))).toBe(id % 200);
    expect(table.retain((n) => n >= 199)).toBe(10_000 - 50);
    expect(table.size).toBe(50);
    expect(table.slotOf(1, 199)).toBeGreaterThanOrEqual(0);
    expect(table.slotOf(1, 198)).toBe(-1);
  });
});
