/**
 * How the driver builds and starts each benchmark's actors, on its own worker and (when given
 * spawner helpers on the other workers) spread over all of them: actor i goes to worker
 * i mod W. The actor that ends the run (sink, Ping, mall, ...) is always on the driver's worker,
 * where the latch is. Runs inside the driver's `receive`, so creating the actors is timed, as
 * in Savina (where each iteration builds its actor system).
 *
 * Every actor's init, troupe's here and the peers' (peers/portable.ts) alike, names its state's
 * fields instead of spreading its args (`{ ...a, seen: 0 }`): on Node 20 that spread took about
 * 1.8 µs an object, against 60 ns for the literal (Node 22 and 24: about 100 ns), which is more
 * than troupe's own cost of making an actor. The benchmark measures the runtimes, not that.
 */

import type { ActorContext, ActorRef } from 'troupe';
import type { BigParams, ChameneosParams, CountingParams, FibParams, FjCreateParams, FjThroughputParams, PingPongParams, SavinaName, SkynetParams, ThreadRingParams } from '../../savina/params.js';
import type { SpawnMany } from './messages.js';

const url = (name: string) => new URL(`./${name}.actor.js`, import.meta.url);
const ASK = { timeoutMs: 120_000 };
const START = { t: 'start' } as const;

/** Spawns one actor per entry of `args`, actor i on worker i mod W; refs in the order of `args`. */
export async function spawnSpread(ctx: ActorContext, module: URL, args: unknown[], helpers: ActorRef[], capacity?: number): Promise<ActorRef[]> {
  const w = helpers.length + 1;
  const groups: unknown[][] = Array.from({ length: w }, () => []);
  args.forEach((a, i) => groups[i % w]!.push(a));
  const mailbox = capacity === undefined ? undefined : { capacity };
  const placed = await Promise.all([
    Promise.all(groups[0]!.map((a) => ctx.spawn(module, { args: a, mailbox }))),
    ...helpers.map((h, k) => ctx.ask<ActorRef[]>(h, { t: 'spawn', url: module.href, args: groups[k + 1]!, capacity } satisfies SpawnMany, ASK)),
  ]);
  return args.map((_, i) => placed[i % w]![Math.floor(i / w)]!);
}

/** Spawns the one actor, on worker `k` (0: the driver's). */
async function spawnOn(ctx: ActorContext, k: number, module: URL, args: unknown, helpers: ActorRef[], capacity?: number): Promise<ActorRef> {
  if (k === 0 || helpers.length === 0) return ctx.spawn(module, { args, mailbox: capacity === undefined ? undefined : { capacity } });
  const [ref] = await ctx.ask<ActorRef[]>(helpers[(k - 1) % helpers.length]!, { t: 'spawn', url: module.href, args: [args], capacity } satisfies SpawnMany, ASK);
  return ref!;
}

/** The sink takes one message per reporting actor, possibly all at once (40 000 in Fork-Join creation): room for all. */
const sink = (ctx: ActorContext, latch: number, expect: number) =>
  ctx.spawn(url('sink'), { args: { latch, expect }, mailbox: { capacity: Math.max(expect + 16, 10_000) } });

type Starter<P> = (ctx: ActorContext, p: P, latch: number, helpers: ActorRef[]) => Promise<void>;

const pingpong: Starter<PingPongParams> = async (ctx, p, latch, helpers) => {
  const pong = await spawnOn(ctx, 1, url('pingpong'), { role: 'pong' }, helpers);
  const ping = await ctx.spawn(url('pingpong'), { args: { role: 'ping', n: p.n, pong, latch } });
  ctx.tell(ping, START);
};

const counting: Starter<CountingParams> = async (ctx, p, latch, helpers) => {
  const counter = await spawnOn(ctx, 1, url('counting'), { role: 'counter' }, helpers, p.n + 16);
  const producer = await ctx.spawn(url('counting'), { args: { role: 'producer', n: p.n, counter, latch } });
  ctx.tell(producer, START);
};

const FJ_MSG = { t: 'work' } as const;

const fjthrput: Starter<FjThroughputParams> = async (ctx, p, latch, helpers) => {
  const s = await sink(ctx, latch, p.actors);
  const workers = await spawnSpread(ctx, url('fork-join'), Array.from({ length: p.actors }, () => ({ n: p.n, sink: s })), helpers, p.n + 16);
  for (let m = 0; m < p.n; m++) for (const w of workers) ctx.tell(w, FJ_MSG);
};

const fjcreate: Starter<FjCreateParams> = async (ctx, p, latch, helpers) => {
  const s = await sink(ctx, latch, p.n);
  const args = { n: 1, sink: s };
  if (helpers.length === 0) {
    // As in Savina: create each actor and send it its message at once.
    const module = url('fork-join');
    for (let i = 0; i < p.n; i++) void ctx.spawn(module, { args }).then((w) => ctx.tell(w, FJ_MSG));
    return;
  }
  const workers = await spawnSpread(ctx, url('fork-join'), Array.from({ length: p.n }, () => args), helpers);
  for (const w of workers) ctx.tell(w, FJ_MSG);
};

const threadring: Starter<ThreadRingParams> = async (ctx, p, latch, helpers) => {
  const s = await sink(ctx, latch, 1);
  const ring = await spawnSpread(ctx, url('thread-ring'), Array.from({ length: p.actors }, () => ({ actors: p.actors, sink: s })), helpers);
  ring.forEach((r, i) => ctx.tell(r, { t: 'data', next: ring[(i + 1) % ring.length]! }));
  ctx.tell(ring[0]!, { t: 'ping', left: p.pings });
};

const chameneos: Starter<ChameneosParams> = async (ctx, p, latch, helpers) => {
  const mall = await ctx.spawn(url('chameneos'), { args: { role: 'mall', meetings: p.meetings, chameneos: p.chameneos, latch } });
  const all = await spawnSpread(ctx, url('chameneos'), Array.from({ length: p.chameneos }, (_, i) => ({ role: 'chameneo', color: i % 3, mall })), helpers);
  for (const c of all) ctx.tell(c, START);
};

const big: Starter<BigParams> = async (ctx, p, latch, helpers) => {
  const s = await ctx.spawn(url('big'), { args: { role: 'sink', actors: p.actors, latch } });
  const bigs = await spawnSpread(ctx, url('big'), Array.from({ length: p.actors }, (_, id) => ({ role: 'big', id, pings: p.pings, sink: s })), helpers);
  const neighbors = { t: 'neighbors', refs: bigs } as const;
  ctx.tell(s, neighbors);
  for (const b of bigs) ctx.tell(b, neighbors);
  for (const b of bigs) ctx.tell(b, { t: 'pong', from: -1 });
};

const fib: Starter<FibParams> = async (ctx, p, latch, helpers) => {
  if (helpers.length === 0 || p.n <= 2) {
    const root = await ctx.spawn(url('fib'), { args: { parent: await sink(ctx, latch, 1) } });
    ctx.tell(root, { t: 'req', n: p.n });
    return;
  }
  // Spread: the root's two calls, fib(N-1) here and fib(N-2) on the next worker.
  const s = await sink(ctx, latch, 2);
  const [a, b] = await spawnSpread(ctx, url('fib'), [{ parent: s }, { parent: s }], helpers);
  ctx.tell(a!, { t: 'req', n: p.n - 1 });
  ctx.tell(b!, { t: 'req', n: p.n - 2 });
};

const skynet: Starter<SkynetParams> = async (ctx, p, latch, helpers) => {
  if (helpers.length === 0) {
    const root = await ctx.spawn(url('skynet'), { args: { num: 0, size: p.leaves, div: p.div, parent: await sink(ctx, latch, 1) } });
    ctx.tell(root, START);
    return;
  }
  // Spread: the root's `div` subtrees, subtree i on worker i mod W.
  const s = await sink(ctx, latch, p.div);
  const size = p.leaves / p.div;
  const tops = await spawnSpread(ctx, url('skynet'), Array.from({ length: p.div }, (_, i) => ({ num: i * size, size, div: p.div, parent: s })), helpers);
  for (const t of tops) ctx.tell(t, START);
};

export const STARTERS: { [K in Exclude<SavinaName, 'memory'>]: Starter<any> } = {
  pingpong, counting, fjthrput, fjcreate, threadring, chameneos, big, fib, skynet,
};

export const IDLE_ACTOR = url('idle');
