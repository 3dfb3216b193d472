// The host's actor table against a plain Map: lookups by id, size and iteration stay exact while
// actors start and stop in any order, some live long among many short-lived ones, some start
// only after many newer ones (an async init), and some are re-created under an old id (a
// replaced worker); and a page left with few actors hands them to the Map, so memory stays
// bounded by the actors alive.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAILBOX, Mailbox } from '../../src/actors/mailbox.js';
import { MailboxDepths, allocateDepths } from '../../src/runtime/mailbox-depths.js';
import { ActorTable } from '../../src/runtime/host/actor-table.js';
import type { Cell } from '../../src/runtime/host/cell.js';

function table(): ActorTable {
  return new ActorTable(new Float64Array(32), new MailboxDepths(allocateDepths(), () => {}));
}

function cell(id: number): Cell {
  return { id, mailbox: new Mailbox(DEFAULT_MAILBOX), parent: null, childKey: id, depthSlot: -1 } as unknown as Cell;
}

const pagesOf = (t: ActorTable) => (t as unknown as { cells: { pages: Map<number, unknown> } }).cells.pages.size;

describe('actor table', () => {
  it('finds every live actor by id, and no other, through random starts, stops, late starts and re-creations', () => {
    const t = table();
    const model = new Map<number, Cell>();
    const pending: Cell[] = []; // allocated, init still running
    let s = 99;
    const rand = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
    const check = (id: number) => expect(t.get(id)).toBe(model.get(id));
    for (let step = 0; step < 20_000; step++) {
      const r = rand(100);
      if (r < 45) {
        const c = cell(t.allocate());
        if (rand(10) === 0) pending.push(c); else { t.add(c); model.set(c.id, c); }
      } else if (r < 50 && pending.length > 0) {
        const c = pending.splice(rand(pending.length), 1)[0]!;
        t.add(c); model.set(c.id, c);
      } else if (r < 52 && model.size > 0) {
        // A worker replaced: an actor comes back under its old id (a new cell).
        const ids = [...model.keys()];
        const old = model.get(ids[rand(ids.length)]!)!;
        t.remove(old); model.delete(old.id);
        const again = cell(t.allocate(old.id));
        t.add(again); model.set(again.id, again);
      } else if (model.size > 0) {
        // Mostly the recent ones stop (short-lived children); a few old ones live on.
        const ids = [...model.keys()];
        const pick = rand(20) === 0 ? ids[rand(ids.length)]! : ids[ids.length - 1 - rand(Math.min(ids.length, 40))]!;
        const c = model.get(pick)!;
        t.remove(c); model.delete(pick);
        t.remove(c); // a second remove changes nothing
      }
      expect(t.size).toBe(model.size);
      if (step % 97 === 0) for (let id = 0; id < 1000; id++) check(rand(model.size + 3000));
    }
    for (const c of pending) { t.add(c); model.set(c.id, c); }
    expect(new Set(t.values())).toEqual(new Set(model.values()));
    for (const id of model.keys()) check(id);
    // Not ids: never found.
    for (const id of [-1, 0.5, 2 ** 32 + 1, NaN, Infinity]) expect(t.get(id)).toBeUndefined();
  });

  it('keeps one page for a long-lived actor among many short-lived ones, not one each', () => {
    const t = table();
    const kept: Cell[] = [];
    for (let i = 0; i < 200_000; i++) {
      const c = cell(t.allocate());
      t.add(c);
      if (i % 1000 === 0) kept.push(c); else t.remove(c);
    }
    expect(t.size).toBe(200);
    expect(pagesOf(t)).toBeLessThanOrEqual(2);
    for (const c of kept) expect(t.get(c.id)).toBe(c);
    for (const c of kept) t.remove(c);
    expect([t.size, [...t.values()].length]).toEqual([0, 0]);
  });
});
