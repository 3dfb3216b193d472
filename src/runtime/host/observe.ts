/**
 * What a host tells main's observability (observability/observatory.ts) about its actors, on the
 * `observe` control call: the busiest actors, counts per actor type (module), its own busy share
 * and heap. Per message a host only counts (Turns: `processed` on the cell and its kind); one
 * message in 64 per type is timed for the handler-duration histogram. Everything else is read
 * here, when asked: a million idle actors cost nothing between looks.
 */
import { getHeapStatistics } from 'node:v8';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { HANDLER_BUCKETS, type ActorRow, type KindRow } from '../../observability/types.js';
import type { Cell } from './cell.js';

/** One actor type's counts on this host (every cell of one module shares it). */
export class ActorKind {
  /** Messages given to its handlers (failed ones too), counted per turn (Turns). */
  handled = 0;
  failed = 0;
  /** `handled` at which the next turn times its first message (Turns). */
  timeAt = 0;
  readonly buckets = new Array<number>(HANDLER_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;

  constructor(readonly type: string) {}

  /** A timed handler took `ms`. */
  timed(ms: number): void {
    const s = ms / 1000;
    let i = 0;
    while (i < HANDLER_BUCKETS.length && s > HANDLER_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += s;
    this.count++;
  }
}

/** The actor type of a module URL: its file name without the extension. */
export function typeOf(url: string): string {
  const file = url.slice(url.lastIndexOf('/') + 1).split(/[?#]/)[0]!;
  const dot = file.lastIndexOf('.');
  return dot > 0 ? file.slice(0, dot) : file;
}

/** The kinds of one host, by module URL. */
export class ActorKinds {
  private readonly byUrl = new Map<string, ActorKind>();
  private readonly byType = new Map<string, ActorKind>();

  of(url: string): ActorKind {
    let k = this.byUrl.get(url);
    if (k === undefined) {
      const type = typeOf(url);
      // Two modules of one file name count as one type (labels stay few).
      k = this.byType.get(type) ?? new ActorKind(type);
      this.byType.set(type, k);
      this.byUrl.set(url, k);
    }
    return k;
  }

  all(): IterableIterator<ActorKind> {
    return this.byType.values();
  }
}

/** One actor in an observation: an ActorRow, less the worker (main knows it). */
export type ObservedActor = Omit<ActorRow, 'worker'>;
export type ObservedKind = KindRow;

/** What `observe` answers. */
export interface Observation {
  actors: number;
  /** The busiest `limit`, by mailbox depth, then messages processed. */
  top: ObservedActor[];
  kinds: ObservedKind[];
  backpressured: number;
  /** Event-loop busy share since the last look, 0..1. */
  busy: number;
  heapUsed: number;
  heapTotal: number;
}

let lastElu: EventLoopUtilization | undefined;

/** Looks at `cells` (a host's actors) and `kinds`; keeps the `limit` busiest. */
export function observe(cells: Iterable<Cell>, kinds: ActorKinds, limit: number): Observation {
  const perKind = new Map<ActorKind, { actors: number; mailbox: number }>();
  const top: Cell[] = [];
  let actors = 0;
  let backpressured = 0;
  for (const cell of cells) {
    actors++;
    const depth = cell.mailbox.size;
    const k = perKind.get(cell.kind);
    if (k === undefined) perKind.set(cell.kind, { actors: 1, mailbox: depth });
    else { k.actors++; k.mailbox += depth; }
    if (cell.paths !== null && cell.paths.overMark > 0) backpressured++;
    if (limit > 0 && (top.length < limit || busier(cell, top[top.length - 1]!))) insert(top, cell, limit);
  }
  const elu = performance.eventLoopUtilization(lastElu);
  lastElu = performance.eventLoopUtilization();
  const heap = getHeapStatistics();
  const kindRows: ObservedKind[] = [];
  for (const kind of kinds.all()) {
    const k = perKind.get(kind);
    kindRows.push({
      type: kind.type, actors: k?.actors ?? 0, mailbox: k?.mailbox ?? 0, processed: kind.handled, failed: kind.failed,
      handler: { buckets: [...kind.buckets], sum: kind.sum, count: kind.count },
    });
  }
  return {
    actors, top: top.map(row), kinds: kindRows, backpressured,
    busy: Number.isFinite(elu.utilization) ? elu.utilization : 0, heapUsed: heap.used_heap_size, heapTotal: heap.total_heap_size,
  };
}

function busier(a: Cell, b: Cell): boolean {
  const da = a.mailbox.size;
  const db = b.mailbox.size;
  return da !== db ? da > db : a.handled > b.handled;
}

/** Puts `cell` in its place in `top` (busiest first), keeping at most `limit`. */
function insert(top: Cell[], cell: Cell, limit: number): void {
  let lo = 0;
  let hi = top.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (busier(cell, top[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  top.splice(lo, 0, cell);
  if (top.length > limit) top.pop();
}

function subtree(cell: Cell): number {
  let n = 0;
  const stack = [cell];
  while (stack.length > 0) {
    const c = stack.pop()!;
    n++;
    for (const child of c.childList()) stack.push(child);
  }
  return n;
}

function row(cell: Cell): ObservedActor {
  return {
    path: cell.path, name: cell.name ?? null, type: cell.kind.type, mailbox: cell.mailbox.size, processed: cell.handled,
    failed: cell.failed, restarts: cell.restarts, breaker: cell.breaker?.state ?? null, parent: cell.parent?.path ?? null,
    children: cell.childCount, subtree: subtree(cell) - 1, backpressured: cell.paths !== null && cell.paths.overMark > 0,
  };
}
