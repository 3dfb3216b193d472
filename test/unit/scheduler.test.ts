import { describe, expect, it } from 'vitest';
import { STATS_SLOTS } from '../../src/runtime/constants.js';
import type { Cell } from '../../src/runtime/host/cell.js';
import { Scheduler, type SchedulerHost } from '../../src/runtime/host/scheduler.js';

/** What the scheduler reads of a cell: a mailbox of `left` messages, nothing else going on. */
function fakeCell(id: number, left: number): Cell & { left: number } {
  const cell = {
    id, rootId: id, scheduled: false, busy: false, stopping: null, suspended: false, left,
    mailbox: { system: [], get size() { return cell.left; } },
  };
  return cell as unknown as Cell & { left: number };
}

describe('scheduler', () => {
  it('runs a long run queue in order over many slices, each cell once a turn, and keeps none it ran', () => {
    const ran: number[] = [];
    const host: SchedulerHost = {
      // One message a turn.
      runTurn: (cell) => { ran.push(cell.id); (cell as Cell & { left: number }).left--; return 1; },
      flushDeadLetters: () => {}, checkIdle: () => {}, schedulePump: () => {}, muted: () => false,
    };
    const s = new Scheduler(new Float64Array(STATS_SLOTS), host);
    // 20,000 cells with one message each, and every 1,000th with three: those go round again.
    const cells = Array.from({ length: 20_000 }, (_, i) => fakeCell(i, i % 1000 === 0 ? 3 : 1));
    for (const c of cells) s.enqueue(c);
    // A deadline already past: each slice runs 16 turns, so the run queue is cut many times.
    const inside = s as unknown as { queue: (Cell | undefined)[]; head: number };
    let slices = 0;
    let cut = false;
    while (s.hasWork) {
      s.run(-1);
      slices++;
      // What ran is not held by the queue (a stopped actor would be kept alive by it).
      if (slices % 100 === 0) expect(inside.queue.slice(0, inside.head).every((c) => c === undefined)).toBe(true);
      if (inside.head === 0 && inside.queue.length > 0) cut = true;
    }
    expect(slices).toBeGreaterThan(1000);
    expect(cut).toBe(true);
    const again = cells.filter((c) => c.id % 1000 === 0).map((c) => c.id);
    expect(ran).toEqual([...cells.map((c) => c.id), ...again, ...again]);
    expect(cells.every((c) => c.left === 0 && !c.scheduled)).toBe(true);
  });
});
