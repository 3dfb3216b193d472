/**
 * Names on main: every live named actor (top-level ones from their spawns, children from the
 * hosts' `name`/`unname` notices), reserved while a spawn runs; and the top-level actors exposed
 * to other nodes (the bridge keeps their names in the cluster's registry).
 */
import { ActorRef } from '../../actors/ref.js';
import type { NodeBridge } from '../node-port.js';
import type { HostHandle, SpawnRecord } from './hosts.js';

export class Names {
  /** By name: its ref, or null while its spawn runs. */
  private readonly byName = new Map<string, ActorRef | null>();
  /** Top-level actors other nodes may reach (`thread.id`). */
  private readonly exposed = new Set<string>();

  constructor(private readonly remote: NodeBridge | null, private readonly controlTimeoutMs: number) {}

  /** The live local actor with this name. */
  get(name: string): ActorRef | undefined {
    return this.byName.get(name) ?? undefined;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Holds `name` while its spawn runs. */
  reserve(name: string): void {
    this.byName.set(name, null);
  }

  /** Lets go of a reservation whose spawn failed. */
  unreserve(name: string): void {
    if (this.byName.get(name) === null) this.byName.delete(name);
  }

  set(name: string, ref: ActorRef): void {
    this.byName.set(name, ref);
  }

  /** An actor took `name` (a host's notice): it holds it unless a live actor does (it wins over a spawn reserving it). */
  claim(name: string, ref: () => ActorRef): void {
    const cur = this.byName.get(name);
    if (cur === undefined || cur === null) this.byName.set(name, ref());
  }

  /** Drops a name if (and only if) that actor still holds it. */
  forget(name: string, thread: number, id: number): void {
    const cur = this.byName.get(name);
    if (cur && cur.thread === thread && cur.id === id) this.byName.delete(name);
  }

  /** Drops the names of actors on `thread`, but those of `keep` (ids that restart there). */
  dropThread(thread: number, keep: ReadonlySet<number> = new Set()): void {
    for (const [name, ref] of this.byName) {
      if (ref && ref.thread === thread && !keep.has(ref.id)) this.byName.delete(name);
    }
  }

  isExposed(thread: number, id: number): boolean {
    return this.exposed.has(`${thread}.${id}`);
  }

  /**
   * Makes a new actor reachable from other nodes. If its name is another node's
   * (ERR_TROUPE_NAME_TAKEN), the actor is stopped again and the error thrown: the spawn fails.
   */
  async expose(host: HostHandle, id: number, name: string, ref: ActorRef, replace: boolean): Promise<void> {
    this.exposed.add(`${host.thread}.${id}`);
    try {
      await this.remote?.expose(name, ref, replace);
    } catch (err) {
      this.exposed.delete(`${host.thread}.${id}`);
      const rec = host.actors.get(id);
      if (rec) rec.stopping = true;
      const released = await host.control.call('stop', [id], this.controlTimeoutMs).catch(() => []);
      host.actors.delete(id);
      for (const r of released) this.forget(r.name, host.thread, r.id);
      throw err;
    }
  }

  /** Other nodes reach a top-level actor no more. */
  unexpose(thread: number, rec: SpawnRecord): void {
    if (!rec.expose) return;
    this.exposed.delete(`${thread}.${rec.id}`);
    this.remote?.unexpose(rec.name!);
  }
}
