import { describe, expect, it } from 'vitest';
import { Cell, type ChildKey, type SupervisionSpec } from '../../src/runtime/host/cell.js';
import { DEFAULT_MAILBOX, Mailbox } from '../../src/actors/mailbox.js';
import type { DefinedActor } from '../../src/actors/define.js';

const host = { thread: 1 } as unknown as ConstructorParameters<typeof Cell>[0];
const def = {} as DefinedActor;
const sup = {} as SupervisionSpec;
const make = (id: number, name: string | undefined, parent: Cell | null) =>
  new Cell(host, id, `/user/${name ?? id}`, name, def, new Mailbox(DEFAULT_MAILBOX), parent, sup, undefined);

describe('a cell\'s children', () => {
  it('agree with a Map by child key over random steps, in start order (a name taken again keeps its place)', () => {
    for (const seed of [1, 2, 3]) {
      let s = seed;
      const rnd = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
      const parent = make(1, 'p', null);
      const model = new Map<ChildKey, Cell>();
      let nextId = 2;
      for (let step = 0; step < 5000; step++) {
        // Names and ids as keys; up to 20 at once.
        const k = rnd(step < 2500 ? 10 : 24);
        const named = k % 2 === 0;
        const op = rnd(10);
        if (op < 6) {
          const child = make(nextId++, named ? `c${k}` : undefined, parent);
          const key = child.childKey;
          // Ids are fresh, so a re-add under a taken key is a name's.
          parent.addChild(child);
          model.set(key, child);
        } else {
          const key = named ? `c${k}` : [...model.keys()].find((x) => typeof x === 'number') ?? -1;
          const child = model.get(key);
          if (child !== undefined) parent.removeChild(child);
          model.delete(key);
        }
        // Plain comparisons, one expect per step (thousands of expects per step made this take 40 s).
        const list = parent.childList();
        const want = [...model.values()];
        const same = parent.childCount === model.size && list.length === want.length && want.every((c, j) => list[j] === c) &&
          [...model.keys()].every((key) => parent.child(key) === model.get(key)) && parent.child('absent') === undefined &&
          want.every((c) => parent.hasChild(c));
        if (!same) expect({ step, seed, list: list.map((c) => c.childKey) }).toEqual({ step, seed, list: [...model.keys()] });
      }
    }
  });

  it('a child replaced under its name is no longer one: removing it leaves its successor in place', () => {
    const parent = make(1, 'p', null);
    const a = make(2, undefined, parent);
    const old = make(3, 'x', parent);
    const b = make(4, undefined, parent);
    for (const c of [a, old, b]) parent.addChild(c);
    const successor = make(5, 'x', parent);
    parent.addChild(successor);
    expect(parent.childList()).toEqual([a, successor, b]);
    expect(parent.hasChild(old)).toBe(false);
    parent.removeChild(old);
    expect(parent.childList()).toEqual([a, successor, b]);
    expect(parent.child('x')).toBe(successor);
    // Added again, a child keeps its one place.
    parent.addChild(a);
    parent.addChild(successor);
    expect(parent.childList()).toEqual([a, successor, b]);
    expect(parent.childCount).toBe(3);
    for (const c of [a, successor, b]) parent.removeChild(c);
    expect(parent.childCount).toBe(0);
    expect(parent.childList()).toEqual([]);
    expect(parent.child(2)).toBeUndefined();
  });
});
