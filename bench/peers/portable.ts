/**
 * The Savina benchmarks written once for the in-process actor libraries (nact, xstate, comedy),
 * against the few operations they all have: spawn, send, stop. Each library's adapter
 * (bench/peers/<lib>.ts) maps these to its own API, idiomatically; the handlers below are the
 * same logic as troupe's actors in bench/actors/savina/, message for message.
 *
 * Refs are opaque values of the library; a sender that needs an answer puts its ref in the
 * message (as Savina's Scala code does). Every message has a `type` (xstate wants one).
 */

import { FJ_THETA, complement, fjComputation, type SavinaResult } from '../savina/answers.js';
import type { SavinaName, SavinaParams } from '../savina/params.js';
import { PseudoRandom } from '../savina/random.js';

export type Ref = { readonly __brand: 'portable-ref' };

export interface PCtx {
  readonly self: Ref;
  tell(to: Ref, msg: Msg): void;
  /** Starts a child; `then` gets its ref (at once, or later for libraries whose spawn is async). */
  spawn<A>(behavior: Behavior<any, A>, args: A, then: (ref: Ref) => void): void;
  /** Stops this actor after the current message. */
  stop(): void;
}

export interface Behavior<S, A> {
  name: string;
  init(args: A): S;
  receive(state: S, msg: Msg, ctx: PCtx): S;
}

export interface Msg {
  type: string;
  [k: string]: any;
}

export interface ActorLib {
  /** Starts a top-level actor. */
  spawn<A>(behavior: Behavior<any, A>, args: A): Promise<Ref>;
  tell(to: Ref, msg: Msg): void;
  close(): Promise<void>;
  /** Set by runPortable: an actor's handler threw (the run then fails instead of hanging). */
  onFailure?: (err: unknown) => void;
}

type Finish = (r: SavinaResult) => void;

const START: Msg = { type: 'start' };

// Each init names its fields instead of spreading its args: see actors/savina/networks.ts.
const sink: Behavior<{ expect: number; got: number; sum: number; errors: number; finish: Finish }, { expect: number; finish: Finish }> = {
  name: 'sink',
  init: (a) => ({ expect: a.expect, finish: a.finish, got: 0, sum: 0, errors: 0 }),
  receive(s, m, ctx) {
    s.sum += m.v;
    s.errors += m.e ?? 0;
    if (++s.got === s.expect) {
      s.finish({ answer: s.sum, errors: s.errors });
      ctx.stop();
    }
    return s;
  },
};

const PING: Msg = { type: 'ping' };
const STOP: Msg = { type: 'stop' };
const PONG: Msg = { type: 'pong' };

const pong: Behavior<{ pings: number }, null> = {
  name: 'pong',
  init: () => ({ pings: 0 }),
  receive(s, m, ctx) {
    if (m.type === 'send-ping') {
      ctx.tell(m.from, PONG);
      s.pings++;
    } else if (m.type === 'stop') ctx.stop();
    return s;
  },
};

const ping: Behavior<{ left: number; pongs: number; pong: Ref; finish: Finish; sendPing: Msg }, { n: number; pong: Ref; finish: Finish }> = {
  name: 'ping',
  init: (a) => ({ left: a.n, pongs: 0, pong: a.pong, finish: a.finish, sendPing: { type: 'send-ping', from: null } }),
  receive(s, m, ctx) {
    if (m.type === 'start' || m.type === 'ping') {
      s.sendPing.from ??= ctx.self;
      ctx.tell(s.pong, s.sendPing);
      s.left--;
    } else if (m.type === 'pong') {
      s.pongs++;
      if (s.left > 0) ctx.tell(ctx.self, PING);
      else {
        ctx.tell(s.pong, STOP);
        s.finish({ answer: s.pongs });
        ctx.stop();
      }
    }
    return s;
  },
};

const INC: Msg = { type: 'inc' };

const counter: Behavior<{ count: number }, null> = {
  name: 'counter',
  init: () => ({ count: 0 }),
  receive(s, m, ctx) {
    if (m.type === 'inc') s.count++;
    else if (m.type === 'retrieve') {
      ctx.tell(m.from, { type: 'result', count: s.count });
      ctx.stop();
    }
    return s;
  },
};

const producer: Behavior<{ n: number; counter: Ref; finish: Finish }, { n: number; counter: Ref; finish: Finish }> = {
  name: 'producer',
  init: (a) => ({ n: a.n, counter: a.counter, finish: a.finish }),
  receive(s, m, ctx) {
    if (m.type === 'start') {
      const { counter: c, n } = s;
      for (let i = 0; i < n; i++) ctx.tell(c, INC);
      ctx.tell(c, { type: 'retrieve', from: ctx.self });
    } else if (m.type === 'result') {
      s.finish({ answer: m.count });
      ctx.stop();
    }
    return s;
  },
};

const fjWorker: Behavior<{ n: number; sink: Ref; seen: number; errors: number }, { n: number; sink: Ref }> = {
  name: 'fork-join',
  init: (a) => ({ n: a.n, sink: a.sink, seen: 0, errors: 0 }),
  receive(s, _m, ctx) {
    if (!(fjComputation(FJ_THETA) > 0)) s.errors++;
    if (++s.seen === s.n) {
      ctx.tell(s.sink, { type: 'done', v: s.seen, e: s.errors });
      ctx.stop();
    }
    return s;
  },
};

const ringNode: Behavior<{ actors: number; sink: Ref; next: Ref | null; pings: number }, { actors: number; sink: Ref }> = {
  name: 'thread-ring',
  init: (a) => ({ actors: a.actors, sink: a.sink, next: null, pings: 0 }),
  receive(s, m, ctx) {
    if (m.type === 'data') s.next = m.next;
    else if (m.type === 'ping') {
      s.pings++;
      ctx.tell(s.next!, m.left > 0 ? { type: 'ping', left: m.left - 1 } : { type: 'exit', n: s.actors, sum: 0 });
    } else if (m.type === 'exit') {
      const sum = m.sum + s.pings;
      if (m.n > 1) ctx.tell(s.next!, { type: 'exit', n: m.n - 1, sum });
      else ctx.tell(s.sink, { type: 'done', v: sum });
      ctx.stop();
    }
    return s;
  },
};

const EXIT: Msg = { type: 'exit' };

const mall: Behavior<{ left: number; chameneos: number; finish: Finish; waiting: Msg | null; faded: number; sum: number }, { meetings: number; chameneos: number; finish: Finish }> = {
  name: 'mall',
  init: (a) => ({ left: a.meetings, chameneos: a.chameneos, finish: a.finish, waiting: null, faded: 0, sum: 0 }),
  receive(s, m, ctx) {
    if (m.type === 'meet') {
      if (s.left > 0) {
        if (s.waiting === null) s.waiting = m;
        else {
          s.left--;
          ctx.tell(s.waiting.from, m);
          s.waiting = null;
        }
      } else ctx.tell(m.from, EXIT);
    } else if (m.type === 'count') {
      s.sum += m.meetings;
      if (++s.faded === s.chameneos) {
        s.finish({ answer: s.sum });
        ctx.stop();
      }
    }
    return s;
  },
};

const chameneo: Behavior<{ color: number; mall: Ref; meetings: number }, { color: number; mall: Ref }> = {
  name: 'chameneo',
  init: (a) => ({ color: a.color, mall: a.mall, meetings: 0 }),
  receive(s, m, ctx) {
    switch (m.type) {
      case 'start':
        ctx.tell(s.mall, { type: 'meet', color: s.color, from: ctx.self });
        break;
      case 'meet':
        s.color = complement(s.color, m.color);
        s.meetings++;
        ctx.tell(m.from, { type: 'change', color: s.color });
        ctx.tell(s.mall, { type: 'meet', color: s.color, from: ctx.self });
        break;
      case 'change':
        s.color = m.color;
        s.meetings++;
        ctx.tell(s.mall, { type: 'meet', color: s.color, from: ctx.self });
        break;
      case 'exit':
        ctx.tell(s.mall, { type: 'count', meetings: s.meetings });
        ctx.stop();
        break;
    }
    return s;
  },
};

interface BigState { id: number; pings: number; sent: number; expected: number; errors: number; sink: Ref; neighbors: Ref[]; random: PseudoRandom; myPing: Msg; myPong: Msg }

const bigActor: Behavior<BigState, { id: number; pings: number; sink: Ref }> = {
  name: 'big',
  init: (a) => ({
    id: a.id, pings: a.pings, sent: 0, expected: -1, errors: 0, sink: a.sink, neighbors: [],
    random: new PseudoRandom(a.id), myPing: { type: 'ping', from: a.id }, myPong: { type: 'pong', from: a.id },
  }),
  receive(s, m, ctx) {
    switch (m.type) {
      case 'neighbors':
        s.neighbors = m.refs;
        break;
      case 'ping':
        ctx.tell(s.neighbors[m.from]!, s.myPong);
        break;
      case 'pong':
        if (m.from !== s.expected) s.errors++;
        if (s.sent === s.pings) ctx.tell(s.sink, { type: 'big-done', pings: s.sent, errors: s.errors });
        else {
          const target = s.random.nextInt(s.neighbors.length);
          s.expected = target;
          ctx.tell(s.neighbors[target]!, s.myPing);
          s.sent++;
        }
        break;
      case 'exit':
        ctx.stop();
        break;
    }
    return s;
  },
};

const bigSink: Behavior<{ actors: number; finish: Finish; neighbors: Ref[]; got: number; pings: number; errors: number }, { actors: number; finish: Finish }> = {
  name: 'big-sink',
  init: (a) => ({ actors: a.actors, finish: a.finish, neighbors: [], got: 0, pings: 0, errors: 0 }),
  receive(s, m, ctx) {
    if (m.type === 'neighbors') s.neighbors = m.refs;
    else if (m.type === 'big-done') {
      s.pings += m.pings;
      s.errors += m.errors;
      if (++s.got === s.actors) {
        for (const n of s.neighbors) ctx.tell(n, EXIT);
        s.finish({ answer: s.pings, errors: s.errors });
        ctx.stop();
      }
    }
    return s;
  },
};

const fib: Behavior<{ parent: Ref; got: number; sum: number }, { parent: Ref }> = {
  name: 'fib',
  init: (a) => ({ parent: a.parent, got: 0, sum: 0 }),
  receive(s, m, ctx) {
    if (m.type === 'req') {
      if (m.n <= 2) {
        ctx.tell(s.parent, { type: 'done', v: 1 });
        ctx.stop();
        return s;
      }
      const args = { parent: ctx.self };
      const n1 = m.n - 1;
      const n2 = m.n - 2;
      ctx.spawn(fib, args, (c) => ctx.tell(c, { type: 'req', n: n1 }));
      ctx.spawn(fib, args, (c) => ctx.tell(c, { type: 'req', n: n2 }));
      return s;
    }
    s.sum += m.v;
    if (++s.got === 2) {
      ctx.tell(s.parent, { type: 'done', v: s.sum });
      ctx.stop();
    }
    return s;
  },
};

interface SkynetArgs { num: number; size: number; div: number; parent: Ref }

const skynet: Behavior<SkynetArgs & { got: number; sum: number }, SkynetArgs> = {
  name: 'skynet',
  // `sum: -0`: a double from the start, as in troupe's port (actors/savina/skynet.actor.ts says why).
  init: (a) => ({ num: a.num, size: a.size, div: a.div, parent: a.parent, got: 0, sum: -0 }),
  receive(s, m, ctx) {
    if (m.type === 'start') {
      if (s.size === 1) {
        ctx.tell(s.parent, { type: 'done', v: s.num });
        ctx.stop();
        return s;
      }
      const size = s.size / s.div;
      for (let i = 0; i < s.div; i++) {
        ctx.spawn(skynet, { num: s.num + i * size, size, div: s.div, parent: ctx.self }, (c) => ctx.tell(c, START));
      }
      return s;
    }
    s.sum += m.v;
    if (++s.got === s.div) {
      ctx.tell(s.parent, { type: 'done', v: s.sum });
      ctx.stop();
    }
    return s;
  },
};

const idle: Behavior<null, null> = { name: 'idle', init: () => null, receive: (s) => s };
export const IDLE = idle;

type Runner<P> = (lib: ActorLib, p: P, finish: Finish) => Promise<void>;

const FJ_MSG: Msg = { type: 'work' };

export const RUNNERS: { [K in Exclude<SavinaName, 'memory'>]: Runner<SavinaParams[K]> } = {
  async pingpong(lib, p, finish) {
    const po = await lib.spawn(pong, null);
    const pi = await lib.spawn(ping, { n: p.n, pong: po, finish });
    lib.tell(pi, START);
  },
  async counting(lib, p, finish) {
    const c = await lib.spawn(counter, null);
    const pr = await lib.spawn(producer, { n: p.n, counter: c, finish });
    lib.tell(pr, START);
  },
  async fjthrput(lib, p, finish) {
    const s = await lib.spawn(sink, { expect: p.actors, finish });
    const workers = await Promise.all(Array.from({ length: p.actors }, () => lib.spawn(fjWorker, { n: p.n, sink: s })));
    for (let m = 0; m < p.n; m++) for (const w of workers) lib.tell(w, FJ_MSG);
  },
  async fjcreate(lib, p, finish) {
    const s = await lib.spawn(sink, { expect: p.n, finish });
    const args = { n: 1, sink: s };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < p.n; i++) pending.push(lib.spawn(fjWorker, args).then((w) => lib.tell(w, FJ_MSG)));
    await Promise.all(pending);
  },
  async threadring(lib, p, finish) {
    const s = await lib.spawn(sink, { expect: 1, finish });
    const ring = await Promise.all(Array.from({ length: p.actors }, () => lib.spawn(ringNode, { actors: p.actors, sink: s })));
    ring.forEach((r, i) => lib.tell(r, { type: 'data', next: ring[(i + 1) % ring.length]! }));
    lib.tell(ring[0]!, { type: 'ping', left: p.pings });
  },
  async chameneos(lib, p, finish) {
    const m = await lib.spawn(mall, { meetings: p.meetings, chameneos: p.chameneos, finish });
    const all = await Promise.all(Array.from({ length: p.chameneos }, (_, i) => lib.spawn(chameneo, { color: i % 3, mall: m })));
    for (const c of all) lib.tell(c, START);
  },
  async big(lib, p, finish) {
    const s = await lib.spawn(bigSink, { actors: p.actors, finish });
    const bigs = await Promise.all(Array.from({ length: p.actors }, (_, id) => lib.spawn(bigActor, { id, pings: p.pings, sink: s })));
    const neighbors: Msg = { type: 'neighbors', refs: bigs };
    lib.tell(s, neighbors);
    for (const b of bigs) lib.tell(b, neighbors);
    for (const b of bigs) lib.tell(b, { type: 'pong', from: -1 });
  },
  async fib(lib, p, finish) {
    const s = await lib.spawn(sink, { expect: 1, finish });
    const root = await lib.spawn(fib, { parent: s });
    lib.tell(root, { type: 'req', n: p.n });
  },
  async skynet(lib, p, finish) {
    const s = await lib.spawn(sink, { expect: 1, finish });
    const root = await lib.spawn(skynet, { num: 0, size: p.leaves, div: p.div, parent: s });
    lib.tell(root, START);
  },
};

/** Runs one benchmark once on `lib` (actors created inside, as in Savina) and resolves with its result. */
export function runPortable<K extends Exclude<SavinaName, 'memory'>>(lib: ActorLib, name: K, params: SavinaParams[K]): Promise<SavinaResult> {
  return new Promise<SavinaResult>((resolve, reject) => {
    lib.onFailure = reject;
    (RUNNERS[name] as Runner<SavinaParams[K]>)(lib, params, resolve).catch(reject);
  });
}
