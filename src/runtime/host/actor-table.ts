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

/** Ids per page of the table. */
const PAGE_BITS = 8;
const PAGE = 1 << PAGE_BITS;
/** A page whose ids are all handed out, left with fewer actors than this, moves them to the sparse Map (a page costs 2 KiB whoever is on it). */
const SPARSE_BELOW = PAGE >>> 3;

interface Page {
  readonly cells: (Cell | undefined)[];
  live: number;
}

/**
 * The cells by id. Ids are handed out in order, so they are kept in pages of PAGE slots: a page
 * fills as its actors start and is dropped once they have (nearly all) stopped; the few left on
 * an old page, and actors re-created with an old id, are kept in a Map. A Map of every actor cost
 * Skynet (a million actors, each started and stopped) 15 % of its worker's time in set and delete.
 */
class Cells {
  private readonly pages = new Map<number, Page>();
  private readonly sparse = new Map<number, Cell>();
  /** The page looked at last (actors started together are looked up together). */
  private lastNo = -1;
  private lastPage: Page | undefined = undefined;
  /** The page made last: the one filling now (pages are made in order, for new ids only). */
  private newest = -1;
  size = 0;

  get(id: number): Cell | undefined {
    if (id >>> 0 !== id) return undefined; // not an id (they are 32-bit)
    const page = this.page(id >>> PAGE_BITS);
    return page !== undefined ? page.cells[id & (PAGE - 1)] : this.sparse.size === 0 ? undefined : this.sparse.get(id);
  }

  /** Adds `cell`; `frontier`: the page of the ids being handed out now (one of its own, when its page is not there yet). */
  add(cell: Cell, frontier: number): void {
    const id = cell.id;
    const no = id >>> PAGE_BITS;
    let page = this.page(no);
    if (page === undefined && no >= frontier) {
      // The page before it is full now: if few of its actors are left, they go to the sparse Map.
      const before = this.pages.get(this.newest);
      if (before !== undefined && before.live < SPARSE_BELOW) this.drop(this.newest, before);
      page = { cells: new Array<Cell | undefined>(PAGE), live: 0 };
      this.pages.set(no, page);
      this.newest = this.lastNo = no;
      this.lastPage = page;
    }
    if (page === undefined) {
      if (!this.sparse.has(id)) this.size++;
      this.sparse.set(id, cell);
      return;
    }
    const slot = id & (PAGE - 1);
    if (page.cells[slot] === undefined) { page.live++; this.size++; }
    page.cells[slot] = cell;
  }

  /** Removes `cell` (if it is the one under its id); `frontier` as for add. */
  remove(cell: Cell, frontier: number): void {
    const id = cell.id;
    const no = id >>> PAGE_BITS;
    const page = this.page(no);
    if (page === undefined) {
      if (this.sparse.get(id) === cell) { this.sparse.delete(id); this.size--; }
      return;
    }
    const slot = id & (PAGE - 1);
    if (page.cells[slot] !== cell) return;
    page.cells[slot] = undefined;
    this.size--;
    if (--page.live < SPARSE_BELOW && no < frontier && no !== this.newest) this.drop(no, page);
  }

  *values(): IterableIterator<Cell> {
    for (const page of this.pages.values()) for (const c of page.cells) if (c !== undefined) yield c;
    yield* this.sparse.values();
  }

  /** Moves a page's actors to the sparse Map, and forgets the page. */
  private drop(no: number, page: Page): void {
    for (const c of page.cells) if (c !== undefined) this.sparse.set(c.id, c);
    this.pages.delete(no);
    if (this.lastNo === no) { this.lastNo = -1; this.lastPage = undefined; }
  }

  private page(no: number): Page | undefined {
    if (no === this.lastNo) return this.lastPage;
    const page = this.pages.get(no);
    if (page !== undefined) { this.lastNo = no; this.lastPage = page; }
    return page;
  }
}

export class ActorTable {
  private readonly cells = new Cells();
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
    return this.cells.get(id) !== undefined;
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

  /** Whether a child of `parent` (null: a top-level actor) has the child key `key`. */
  siblingTaken(parent: Cell | null, key: ChildKey): boolean {
    return parent ? parent.child(key) !== undefined : this.roots.has(key);
  }

  /** Keeps `cell` among its siblings by its child key (its name is taken from now on). */
  addSibling(cell: Cell): void {
    if (cell.parent) cell.parent.addChild(cell); else this.roots.set(cell.childKey, cell);
  }

  /** Its child key among its siblings is free again. */
  removeSibling(cell: Cell): void {
    if (cell.parent) cell.parent.removeChild(cell); else if (this.roots.get(cell.childKey) === cell) this.roots.delete(cell.childKey);
  }

  /** The actor is started: it takes mail. */
  add(cell: Cell): void {
    this.cells.add(cell, this.frontier());
    cell.depthSlot = this.depths.take(cell.id, cell.mailbox);
    this.stats[S_ACTORS]!++;
  }

  /** The actor stopped: its id names no one from now on, and its name among its siblings is free. */
  remove(cell: Cell): void {
    this.cells.remove(cell, this.frontier());
    if (cell.depthSlot >= 0) { this.depths.release(cell.depthSlot, cell.mailbox); cell.depthSlot = -1; }
    this.removeSibling(cell);
    this.stats[S_ACTORS]!--;
  }

  /** The page of the ids being handed out now (Cells). */
  private frontier(): number {
    return (this.nextId - 1) >>> PAGE_BITS;
  }

  /** Whether a handler (or a `terminated` hook) is running, suspended in an await. */
  anyBusy(): boolean {
    for (const cell of this.cells.values()) if (cell.busy) return true;
    return false;
  }
}
