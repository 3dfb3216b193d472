/**
 * Exposed names across nodes: the KV bucket `<P>_names` (key: the name; value: JSON ExposedName),
 * one entry per name, followed by a watch so that `lookup` needs no round trip.
 *
 * A node writes a name only at the revision it read, so it never deletes or overwrites a name it
 * does not hold:
 * - Exposing creates the key if it is absent. A key held by this node id (an earlier run of it,
 *   or a write of ours whose answer was lost) is taken back. A key held by another node is taken
 *   over only with `replace`, or when that node no longer answers a ping with the incarnation in
 *   the entry (it died without removing its names); otherwise ERR_TROUPE_NAME_TAKEN.
 * - Refreshes (every NAMES_TTL_MS / 3, and after a reconnect) and deletes (unexpose, close) go
 *   at the revision this node wrote last. One that fails on the revision means another node took
 *   the name: it is lost (`onLost`), and this node does not write or delete it again.
 * - While NATS is unreachable an exposed name is pending, and is registered once the bucket is
 *   there; a conflict then goes to `onLost` too (the spawn resolved long ago).
 * The bucket keeps an entry NAMES_TTL_MS after its last write: a node that dies without removing
 * its names loses them a minute later.
 */
import type { Logger } from 'pino';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { TroupeError } from '../actors/errors.js';

/** A name's entry: where its actor is, and the run of the node that holds it. */
export interface ExposedName {
  node: string;
  incarnation: number;
  thread: number;
  id: number;
  path: string;
  /** When its node last refreshed it (ms). */
  at?: number;
}

/** How long the bucket keeps an entry after its last write. */
export const NAMES_TTL_MS = 60_000;

let lastPath = '';
let lastName: string | null = null;

/** The exposed name a ref's path gives: `/user/<name>` (a top-level actor), else null. */
export function exposedNameOf(path: string): string | null {
  // Remembers the last one: a burst of sends goes to one ref.
  if (path === lastPath) return lastName;
  const m = /^\/user\/([A-Za-z0-9_=-]{1,1024})$/.exec(path);
  lastPath = path;
  lastName = m === null ? null : m[1]!;
  return lastName;
}

interface Own {
  entry: ExposedName;
  replace: boolean;
  /** The revision this node wrote last; 0 while not registered (pending). */
  revision: number;
  /** Every KV write of this name, one after another (a delete must use the refresh's revision). */
  chain: Promise<unknown>;
  /** Unexposed or lost: no more writes but the delete. */
  gone: boolean;
}

export class NameRegistry {
  /** Exposed names of every node, kept current by the watch. */
  private readonly known = new Map<string, ExposedName>();
  private readonly own = new Map<string, Own>();
  private kv: KV | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly decoder = new TextDecoder();

  /**
   * `alive(holder)`: whether the node in another node's entry still runs (and holds it).
   * `onLost(name, holder)`: a name of ours is (or, pending, turned out to be) another node's.
   */
  constructor(
    private readonly node: string,
    private readonly incarnation: number,
    private readonly log: Logger,
    private readonly connected: () => boolean,
    private readonly alive: (holder: ExposedName) => Promise<boolean>,
    private readonly onLost: (name: string, holder: string) => void,
  ) {}

  /** The bucket is there (first set-up): follow it, register the pending names, refresh from now on. */
  async attach(kv: KV): Promise<void> {
    this.kv = kv;
    const watch = await kv.watch({ key: '>' });
    void (async () => {
      for await (const e of watch) {
        if (e.operation !== 'PUT') {
          this.known.delete(e.key);
          continue;
        }
        const entry = this.parse(e.value);
        if (entry === null) continue;
        this.known.set(e.key, entry);
        const o = this.own.get(e.key);
        // A newer write than ours, by another node: it took the name (expose: 'replace').
        if (o !== undefined && o.revision > 0 && e.revision > o.revision && entry.node !== this.node) this.lose(e.key, o, entry.node);
      }
    })().catch(() => {});
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), NAMES_TTL_MS / 3);
    this.timer.unref();
  }

  /**
   * Registers `name` for `entry`. Resolves true once the bucket has it, false if it is pending
   * (NATS unreachable, or a write whose outcome is unknown: retried with the next refresh).
   * Rejects with ERR_TROUPE_NAME_TAKEN when another live node holds it (and not `replace`).
   */
  async expose(name: string, entry: ExposedName, replace: boolean): Promise<boolean> {
    const o: Own = { entry, replace, revision: 0, chain: Promise.resolve(), gone: false };
    this.own.set(name, o);
    if (this.kv === null || !this.connected()) return false;
    try {
      await this.queue(o, () => this.register(name, o));
      return o.revision > 0;
    } catch (err) {
      if ((err as TroupeError).code === 'ERR_TROUPE_NAME_TAKEN') {
        if (this.own.get(name) === o) this.own.delete(name);
        o.gone = true;
        throw err;
      }
      this.log.warn({ err: (err as Error).message, name }, 'NATS: could not register a name yet; retrying');
      return false;
    }
  }

  /** Removes `name`, if this node holds it (at the revision it wrote). */
  unexpose(name: string): void {
    const o = this.own.get(name);
    if (o === undefined) return;
    this.own.delete(name);
    o.gone = true;
    const e = this.known.get(name);
    if (e !== undefined && e.node === this.node && e.incarnation === this.incarnation) this.known.delete(name);
    void this.queue(o, () => this.remove(name, o));
  }

  /** Whether this node holds (or waits to register) `name`. */
  holds(name: string): boolean {
    return this.own.has(name);
  }

  /** A name some node registered, unless it went stale (its node stopped refreshing it). */
  live(name: string): ExposedName | undefined {
    const e = this.known.get(name);
    if (e === undefined) return undefined;
    if (e.node !== this.node && e.at !== undefined && Date.now() - e.at > NAMES_TTL_MS) {
      this.known.delete(name);
      return undefined;
    }
    return e;
  }

  /** Waits (bounded) for a name to appear. */
  async waitFor(name: string, timeoutMs: number): Promise<ExposedName | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.live(name);
      if (e) return e;
      if (this.kv && this.connected()) {
        const got = await this.kv.get(name).catch(() => null);
        const entry = got && got.operation === 'PUT' ? this.parse(got.value) : null;
        if (entry !== null) {
          this.known.set(name, entry);
          return entry;
        }
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Refreshes every name this node holds, and registers the pending ones. */
  async refresh(): Promise<void> {
    if (this.kv === null || !this.connected()) return;
    await Promise.all([...this.own].map(([name, o]) => this.queue(o, () => this.refreshOne(name, o)).catch(() => {})));
  }

  /** Removes this node's names (bounded: 1 s), and stops refreshing. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.kv === null || !this.connected()) return;
    const all = [...this.own].map(([name, o]) => {
      o.gone = true;
      return this.queue(o, () => this.remove(name, o)).catch(() => {});
    });
    this.own.clear();
    await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  // ------------------------------------------------------------------------------------------

  /** Runs `fn` after every earlier write of this name; the chain goes on whatever it does. */
  private queue<T>(o: Own, fn: () => Promise<T>): Promise<T> {
    const run = o.chain.then(fn);
    o.chain = run.catch(() => {});
    return run;
  }

  private async register(name: string, o: Own): Promise<void> {
    const kv = this.kv!;
    // A few rounds: each one that loses a race reads the key again.
    for (let round = 0; round < 5; round++) {
      try {
        o.revision = await kv.create(name, this.value(o.entry));
        return;
      } catch (err) {
        if (!wrongRevision(err)) throw err;
      }
      const cur = await kv.get(name);
      if (cur === null || cur.operation !== 'PUT') continue; // deleted meanwhile: create it
      const held = this.parse(cur.value);
      if (held !== null && held.node !== this.node && !o.replace && await this.alive(held)) {
        throw new TroupeError('ERR_TROUPE_NAME_TAKEN', `the name ${JSON.stringify(name)} is exposed by node ${held.node}; stop it there, pick another name, or spawn with expose: 'replace'`,
          { details: { name, node: held.node } });
      }
      try {
        o.revision = await kv.update(name, this.value(o.entry), cur.revision);
        return;
      } catch (err) {
        if (!wrongRevision(err)) throw err;
      }
    }
    throw new Error(`the name ${JSON.stringify(name)} keeps changing under us`);
  }

  private async refreshOne(name: string, o: Own): Promise<void> {
    if (o.gone) return;
    if (o.revision === 0) {
      try {
        await this.register(name, o);
      } catch (err) {
        const holder = (err as TroupeError).details?.node;
        if (typeof holder === 'string') this.lose(name, o, holder);
      }
      return;
    }
    try {
      o.revision = await this.kv!.update(name, this.value(o.entry), o.revision);
      return;
    } catch (err) {
      if (!wrongRevision(err)) return; // unknown: the next refresh tries again
    }
    // Written since our last write: taken by another node, or expired while we could not refresh.
    const cur = await this.kv!.get(name).catch(() => undefined);
    if (cur === undefined) return;
    const held = cur !== null && cur.operation === 'PUT' ? this.parse(cur.value) : null;
    if (held === null) {
      o.revision = 0;
      await this.refreshOne(name, o);
    } else if (held.node === this.node && held.incarnation === this.incarnation) {
      o.revision = cur!.revision;
    } else {
      this.lose(name, o, held.node);
    }
  }

  private async remove(name: string, o: Own): Promise<void> {
    if (o.revision === 0 || this.kv === null || !this.connected()) return;
    // At our revision: if another node took the name meanwhile, its entry stays.
    await this.kv.delete(name, { previousSeq: o.revision }).catch(() => {});
  }

  private lose(name: string, o: Own, holder: string): void {
    if (o.gone) return;
    o.gone = true;
    if (this.own.get(name) === o) this.own.delete(name);
    this.log.warn({ name, holder }, 'an exposed name of this node is held by another node; this node no longer registers it');
    this.onLost(name, holder);
  }

  private value(entry: ExposedName): string {
    return JSON.stringify({ ...entry, at: Date.now() });
  }

  private parse(value: Uint8Array): ExposedName | null {
    try {
      const e = JSON.parse(this.decoder.decode(value)) as ExposedName;
      return typeof e.node === 'string' && typeof e.thread === 'number' && typeof e.id === 'number' && typeof e.path === 'string' ? e : null;
    } catch {
      return null;
    }
  }
}

/** The server refused a write because the key's last revision is not the one given. */
function wrongRevision(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  }
  return /wrong last sequence/i.test((err as Error)?.message ?? '');
}
