import { encodeEnvelope, payloadHeader, type Envelope } from '../src/bridge/envelope.js';
import { expect } from 'vitest';
import { createActorSystem, type ActorSystem, type SupervisionEvent } from 'troupe';

export const quietLogger = { level: 'silent' } as const;

/** Runs `fn` with a new system (silent unless `options` says otherwise), and shuts it down after. */
export async function withSystem(options: Parameters<typeof createActorSystem>[0], fn: (system: ActorSystem) => Promise<void>): Promise<void> {
  const system = await createActorSystem({ logger: quietLogger, ...options });
  try {
    await fn(system);
  } finally {
    await system.shutdown();
  }
}

/** URL of a compiled fixture actor module (built by `npm run build` into build/test/fixtures). */
export function fixture(name: string): URL {
  return new URL(`../build/test/fixtures/${name}.js`, import.meta.url);
}

/**
 * Every message sent is processed, dead-lettered or still queued, and none is in flight.
 * Call it where the test knows the system is about quiet (after an ask barrier, or after
 * shutdown). An ask is not quite a barrier: an async handler's message counts as processed when
 * its promise settles, which can come after its reply has reached main (the worker published the
 * reply, then was descheduled before its microtasks ran). So the counts are read until nothing is
 * in flight, for up to 5 s, letting the event loop run between reads; then checked.
 */
export async function expectConserved(system: ActorSystem): Promise<void> {
  const deadline = Date.now() + 5000;
  let s = await system.stats();
  while (s.inFlight !== 0 && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    s = await system.stats();
  }
  expect(s.inFlight, `in flight: ${JSON.stringify(s)}`).toBe(0);
  expect(s.sent).toBe(s.processed + s.deadLettered + s.queued + s.returned);
}

/** Resolves when `n` dead letters matching `reason` have reached the system's store. */
export function deadLetters(system: ActorSystem, reason: string, n: number): Promise<void> {
  return new Promise((resolve) => {
    const have = () => system.deadLetters.counts()[reason] ?? 0;
    if (have() >= n) return resolve();
    const off = system.deadLetters.subscribe(() => {
      if (have() >= n) { off(); resolve(); }
    });
  });
}

/** A shared latch: the test opens it, an actor waits on it. Slot 1 says "the actor is waiting". */
export function latch(): { sab: SharedArrayBuffer; open(): void; waiting(): Promise<void> } {
  const sab = new SharedArrayBuffer(8);
  const a = new Int32Array(sab);
  return {
    sab,
    open() { Atomics.store(a, 0, 1); Atomics.notify(a, 0); },
    async waiting() {
      while (Atomics.load(a, 1) === 0) {
        const r = Atomics.waitAsync(a, 1, 0, 1000);
        if (r.async) await r.value;
      }
    },
  };
}

export const quiet = quietLogger;

/** Resolves with the next supervision event of `type` (that `match` accepts). */
export function nextEvent<T extends SupervisionEvent['type']>(system: ActorSystem, type: T,
  match: (e: Extract<SupervisionEvent, { type: T }>) => boolean = () => true): Promise<Extract<SupervisionEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = system.events.subscribe((e) => {
      if (e.type === type && match(e as Extract<SupervisionEvent, { type: T }>)) { off(); resolve(e as Extract<SupervisionEvent, { type: T }>); }
    });
  });
}

/** Waits until the shared counter (slot 0) reaches `n` (an actor bumps it with Atomics.notify). */
export async function counterAt(sab: SharedArrayBuffer, n: number): Promise<void> {
  const a = new Int32Array(sab);
  for (;;) {
    const v = Atomics.load(a, 0);
    if (v >= n) return;
    const r = Atomics.waitAsync(a, 0, v, 1000);
    if (r.async) await r.value;
  }
}

/** Calls `probe` (an ask, a stats read: it waits on the system, not on a clock) until `ok` says so or the deadline passes; the last value. */
export async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
  }
}

/**
 * A payload for the NATS wire, as node `node` would send it (tests forge and inspect these).
 * `ti`: the target node's incarnation (take it from a remote ref: `ref.incarnation`); without it,
 * the target node takes the message as one for an earlier run of it.
 */
export function wire(node: string, e: Omit<Envelope, 'n' | 'ni' | 'm' | 'ti' | 'tn'> & Partial<Pick<Envelope, 'ti' | 'tn'>>, m: Uint8Array): Uint8Array {
  return encodeEnvelope(payloadHeader(node, 0), { ti: 0, tn: null, ...e }, m);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
