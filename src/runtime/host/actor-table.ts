/**
 * The actors of one host: by id (what a record's target names), and the top-level ones by their
 * child key (a child's siblings are its parent's `children`). Ids are never reused, also across
 * a replacement host: the next id is kept in shared memory (S_NEXT_ID), so an old ref never
 * names a new actor.
 */
import { S_ACTORS, S_NEXT_ID } from '../constants.js';
import type { Cell, ChildKey } from './cell.js';
import type { MailboxDepths } from '../mailbox-depths.js';
import { ActorKinds } from './observe.js';

/** The key main registers a named actor under: its name at the top level, its path below. */
export function registryKey(cell: Cell): string {
  return cell.parent ? cell.path : cell.name!;
}

export class ActorTable {
  private readonly cells = new Map<number, Cell>();
  /** Counts per actor type (observe.ts). */
  readonly kinds = new ActorKinds();
  /** Top-level actors, in start order, by child key. */
  readonly roots = new Map<ChildKey, Cell>();
  private nextId: number;

  constructor(private readonly stats: Float64Array, private readonly depths: MailboxDepths) {
    // A replacement host goes on from its predecessor's ids (0 is the thread's ask table).
    this.nextId = Math.max(1, stats[S_NEXT_ID]!);
  }

  get(id: number): Cell | undefined {
    return this.cells.get(id);
  }

  has(id: number): boolean {
    return this.cells.has(id);
  }

  get size(): number {
    return this.cells.size;
  }

  values(): IterableIterator<Cell> {
    return this.cells.values();
  }

  /** An id for a new actor, or `id` (an actor re-created after its worker died). */
  allocate(id?: number): number {
    const n = id ?? this.nextId++;
    if (n >= this.nextId) this.nextId = n + 1;
    this.stats[S_NEXT_ID] = this.nextId;
    return n;
  }

  /** Where a child of `parent` (null: a top-level actor) is kept by its child key. */
  siblingsOf(parent: Cell | null): Map<ChildKey, Cell> {
    return parent ? parent.childMap() : this.roots;
  }

  /** The actor is started: it takes mail. */
  add(cell: Cell): void {
    this.cells.set(cell.id, cell);
    cell.depthSlot = this.depths.take(cell.id, cell.mailbox);
    this.stats[S_ACTORS]!++;
  }

  /** The actor stopped: its id names no one from now on, and its name among its siblings is free. */
  remove(cell: Cell): void {
    this.cells.delete(cell.id);
    if (cell.depthSlot >= 0) { this.depths.release(cell.depthSlot, cell.mailbox); cell.depthSlot = -1; }
    this.siblingsOf(cell.parent).delete(cell.childKey);
    this.stats[S_ACTORS]!--;
  }

  /** Whether a handler (or a `terminated` hook) is running, suspended in an await. */
  anyBusy(): boolean {
    for (const cell of this.cells.values()) if (cell.busy) return true;
    return false;
  }
}
