/**
 * Senders on other nodes, as actors here see them. A message from an actor of another node comes
 * with a ref to a small proxy on main (`@0.<id>`) as its sender; a tell or ask to that ref goes
 * back over the wire to the actor the proxy stands for (remote.ts: `toProxy`). One proxy per
 * sending actor of each run of each node, at most MAX_PROXIES: past it the oldest is forgotten,
 * and mail to it is dead-lettered `no-such-actor` by main.
 */
import type { ActorRef } from '../actors/ref.js';
import type { NodeHost } from '../runtime/node-port.js';

const MAX_PROXIES = 100_000;

export class Proxies {
  private readonly refs = new Map<number, ActorRef>();
  private readonly ids = new Map<string, number>();
  private next = 1;

  constructor(private readonly host: Pick<NodeHost, 'ref'>) {}

  /** The proxy for actor `f` (thread, id, path) of node `node`'s run `incarnation` (0: not known). */
  idFor(node: string, incarnation: number, f: [number, number, string]): number {
    const key = `${node}|${incarnation}|${f[0]}|${f[1]}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(key, id);
      this.refs.set(id, this.host.ref(f[2], f[0], f[1], node, incarnation === 0 ? undefined : incarnation));
      if (this.refs.size > MAX_PROXIES) {
        const [oldest] = this.refs.keys();
        const old = this.refs.get(oldest!)!;
        this.refs.delete(oldest!);
        this.ids.delete(`${old.node}|${old.incarnation ?? 0}|${old.thread}|${old.id}`);
      }
    }
    return id;
  }

  /** The actor proxy `id` stands for (undefined: no such proxy, or forgotten). */
  get(id: number): ActorRef | undefined {
    return this.refs.get(id);
  }
}
