import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem, type SupervisionEvent, type SupervisorSpec } from 'troupe';
import { deadLetters, expectConserved, fixture, latch, quiet } from '../helpers.js';

/** Backoff of 1 ms, no jitter, no message retries: counts come out exact. */
const fast: SupervisorSpec = { maxRestarts: 3, withinMs: 60_000, maxRetries: 0, backoff: { minMs: 1, maxMs: 1, jitter: 0 } };

function sharedLog(): { sab: SharedArrayBuffer; entries(): number[] } {
  const sab = new SharedArrayBuffer(4 * 64);
  const a = new Int32Array(sab);
  return { sab, entries: () => [...a.slice(1, 1 + Atomics.load(a, 0))] };
}

/** Resolves with the first event matching `pred` (including ones already seen). */
function nextEvent(system: ActorSystem, pred: (e: SupervisionEvent) => boolean): Promise<SupervisionEvent> {
  const seen = system.events.list().find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = system.events.subscribe((e) => { if (pred(e)) { off(); resolve(e); } });
  });
}

describe('supervision', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'sup', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  async function tree(supervision: SupervisorSpec, children: { name: string; restart?: string; circuitBreaker?: object }[]) {
    const log = sharedLog();
    const sup = await system.spawn(fixture('supervisor.actor'), { args: { supervision, children, log: log.sab } });
    const kids = await sup.ask<Record<string, ActorRef>>({ type: 'children' });
    return { sup, kids, log };
  }

  it('restarts a child failing 4 times within the window exactly 3 times, then escalates once', async () => {
    const { sup, kids } = await tree(fast, [{ name: 'a' }]);
    const a = kids.a!;
    const escalated = nextEvent(system, (e) => e.type === 'escalate' && e.actor === a.path);
    for (let i = 0; i < 4; i++) a.tell({ type: 'fail' });
    await escalated;
    // The supervisor itself failed with ERR_TROUPE_ESCALATED and (top level, default policy) restarted.
    await nextEvent(system, (e) => e.type === 'failure' && e.actor === sup.path && e.error.code === 'ERR_TROUPE_ESCALATED');
    expect(system.events.list('restart').filter((e) => e.type === 'restart' && e.actor === a.path)).toHaveLength(3);
    expect(system.events.list('escalate').filter((e) => e.type === 'escalate' && e.actor === a.path)).toHaveLength(1);
    await system.stop(sup);
  });

  it('counts the restarts of all of a parent\'s children in one window (OTP: the intensity is the supervisor\'s)', async () => {
    const { sup, kids } = await tree(fast, [{ name: 'a' }, { name: 'b' }]);
    const paths = [kids.a!.path, kids.b!.path];
    const escalated = nextEvent(system, (e) => e.type === 'escalate' && paths.includes(e.actor));
    for (const k of [kids.a!, kids.b!, kids.a!, kids.b!]) k.tell({ type: 'fail' });
    await escalated;
    await nextEvent(system, (e) => e.type === 'failure' && e.actor === sup.path && e.error.code === 'ERR_TROUPE_ESCALATED');
    expect(system.events.list('restart').filter((e) => e.type === 'restart' && paths.includes(e.actor))).toHaveLength(3);
    expect(system.events.list('escalate').filter((e) => e.type === 'escalate' && paths.includes(e.actor))).toHaveLength(1);
    await system.stop(sup);
  });

  for (const [strategy, expected] of [
    ['one-for-one', [1, 2, 3, 2]],
    ['one-for-all', [1, 2, 3, 1, 2, 3]],
    ['rest-for-one', [1, 2, 3, 2, 3]],
  ] as const) {
    it(`${strategy} restarts exactly the siblings it should, in start order`, async () => {
      const { sup, kids, log } = await tree({ ...fast, strategy }, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
      kids.b!.tell({ type: 'fail' });
      // Asks wait in the mailboxes while a restart is pending: when all answer, all restarts are done.
      await Promise.all(Object.values(kids).map((k) => k.ask({ type: 'ok' })));
      expect(log.entries()).toEqual(expected);
      await system.stop(sup);
    });
  }

  it('treats permanent, transient and temporary children as OTP does, on normal and abnormal exit', async () => {
    const { sup, kids, log } = await tree(fast, [
      { name: 'p', restart: 'permanent' }, { name: 't', restart: 'transient' }, { name: 'x', restart: 'temporary' },
      { name: 'p2', restart: 'permanent' }, { name: 't2', restart: 'transient' }, { name: 'x2', restart: 'temporary' },
    ]);
    for (const n of ['p', 't', 'x']) kids[n]!.tell({ type: 'stop-self' }); // normal exit
    for (const n of ['p2', 't2', 'x2']) kids[n]!.tell({ type: 'fail' }); // abnormal exit
    const alive = async (n: string) => kids[n]!.ask({ type: 'ok' }, { timeoutMs: 2000 }).then(() => true, () => false);
    const result = Object.fromEntries(await Promise.all(['p', 't', 'x', 'p2', 't2', 'x2'].map(async (n) => [n, await alive(n)])));
    expect(result).toEqual({ p: true, t: false, x: false, p2: true, t2: true, x2: false });
    // Restarted ones ran init twice: p (1) and p2 (4), t2 (5).
    expect(log.entries().slice(6).sort()).toEqual([1, 4, 5]);
    await system.stop(sup);
  });

  it('keeps every message sent during the backoff and handles them after the restart', async () => {
    const { sup, kids } = await tree({ ...fast, backoff: { minMs: 50, maxMs: 50, jitter: 0 } }, [{ name: 'w' }]);
    const w = kids.w!;
    w.tell({ type: 'fail' });
    await nextEvent(system, (e) => e.type === 'restart' && e.actor === w.path);
    for (let i = 0; i < 100; i++) w.tell({ type: 'inc' });
    await expect(w.ask({ type: 'count' })).resolves.toBe(100);
    await system.stop(sup);
    await expectConserved(system);
  });

  it('does not spin while a restart waits out its backoff (regression: the host busy-looped)', async () => {
    const { sup, kids } = await tree({ ...fast, backoff: { minMs: 300, maxMs: 300, jitter: 0 } }, [{ name: 'idle' }]);
    const w = kids.idle!;
    w.tell({ type: 'fail' });
    await nextEvent(system, (e) => e.type === 'restart' && e.actor === w.path);
    const before = (await system.stats()).turns;
    for (let i = 0; i < 10; i++) w.tell({ type: 'inc' }); // mail that must wait for the restart
    await expect(w.ask({ type: 'count' })).resolves.toBe(10);
    // Spinning gave the waiting actor a turn again and again (hundreds of thousands in 300 ms);
    // waiting gives it a handful.
    expect((await system.stats()).turns - before).toBeLessThan(1000);
    await system.stop(sup);
  });

  it('resumes past a poison message: dead-lettered once with its error, the state and other messages untouched', async () => {
    const { sup, kids, log } = await tree(fast, [{ name: 'v' }]);
    const v = kids.v!;
    const before = system.deadLetters.counts()['actor-failed'] ?? 0;
    v.tell({ type: 'inc' });
    v.tell({ type: 'fail', category: 'validation' });
    v.tell({ type: 'inc' });
    await expect(v.ask({ type: 'count' })).resolves.toBe(2);
    await deadLetters(system, 'actor-failed', before + 1);
    const dl = system.deadLetters.list({ reason: 'actor-failed', target: v.path });
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ message: { type: 'fail', category: 'validation' }, category: 'validation', severity: 'warn', retries: 0 });
    expect(dl[0]!.error?.message).toBe('failing as validation');
    expect(log.entries()).toEqual([1]); // never restarted
    await system.stop(sup);
    await expectConserved(system);
  });

  it('retries the failed message up to maxRetries with restarts, then dead-letters it with the retry count', async () => {
    const { sup, kids } = await tree({ ...fast, maxRetries: 2, maxRestarts: 10 }, [{ name: 'r' }]);
    const r = kids.r!;
    const before = system.deadLetters.counts()['actor-failed'] ?? 0;
    // Succeeds on its 3rd try: two retries suffice.
    const ok = new SharedArrayBuffer(4);
    await expect(r.ask({ type: 'fail-times', times: 2, attempts: ok })).resolves.toBe(3);
    // Needs 5 tries: after 1 + 2 retries it is dead-lettered, and the ask rejects with its error.
    const never = new SharedArrayBuffer(4);
    await expect(r.ask({ type: 'fail-times', times: 5, attempts: never })).rejects.toMatchObject({ message: 'attempt 3 failed' });
    expect(new Int32Array(never)[0]).toBe(3);
    await deadLetters(system, 'actor-failed', before + 1); // dead letters come on another channel than replies
    expect(system.deadLetters.list({ reason: 'actor-failed', target: r.path }).at(-1)).toMatchObject({ retries: 2, category: 'processing' });
    await system.stop(sup);
    await expectConserved(system);
  });
});

describe('watch', () => {
  it('tells a watcher once per stop, across workers, whatever the reason, and at once for an actor already gone', async () => {
    const system = await createActorSystem({ name: 'watch', workers: 2, logger: quiet });
    try {
      const count = new SharedArrayBuffer(4);
      const watcher = await system.spawn(fixture('watcher.actor'), { name: 'watcher', args: { count }, placement: { worker: 0 } });
      const remote = await system.spawn(fixture('worker.actor'), { name: 'remote', placement: { worker: 1 } });
      const local = await system.spawn(fixture('worker.actor'), { name: 'local', placement: { worker: 0 } });
      const gone = await system.spawn(fixture('worker.actor'), { name: 'gone', placement: { worker: 1 } });
      await system.stop(gone);
      for (const ref of [remote, remote, local, gone]) await watcher.ask({ type: 'watch', ref }); // remote twice: one notice
      await system.stop(remote); // stopped from outside, on the other worker
      local.tell({ type: 'fail', category: 'configuration' }); // stopped by its supervisor
      const c = new Int32Array(count);
      while (Atomics.load(c, 0) < 3) {
        const r = Atomics.waitAsync(c, 0, Atomics.load(c, 0), 1000);
        if (r.async) await r.value;
      }
      const seen = await watcher.ask<string[]>({ type: 'seen' });
      expect([...seen].sort()).toEqual(['/user/gone', '/user/local', '/user/remote']);
    } finally {
      await system.shutdown();
    }
  });
});

describe('stopping', () => {
  it('waits shutdownMs for a running handler, then stops without it; its message is dead-lettered', async () => {
    const system = await createActorSystem({ name: 'stopwait', workers: 1, logger: quiet });
    try {
      const w = await system.spawn(fixture('worker.actor'), { shutdownMs: 50 });
      const started = latch();
      const hung = w.ask({ type: 'hang', started: started.sab }, { timeoutMs: 10_000 });
      // Awaited after the stop, but handled from now on: the ask's rejection and the stop's answer
      // come back on different channels, and the rejection may come first.
      const rejected = expect(hung).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_STOPPED' });
      await started.waiting(); // the stop must find the handler running (it travels on another channel)
      const timedOut = deadLetters(system, 'stop-timeout', 1);
      await system.stop(w);
      await rejected;
      await timedOut;
      expect(system.deadLetters.list({ reason: 'stop-timeout' })[0]!.message).toMatchObject({ type: 'hang' });
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});

describe('circuit breaker', () => {
  it('opens at the threshold, fails asks fast while open, and a half-open probe closes or reopens it', async () => {
    const system = await createActorSystem({ name: 'breaker', workers: 1, logger: quiet, healthWindowMs: 1 });
    try {
      const b = await system.spawn(fixture('worker.actor'), {
        circuitBreaker: { failureThreshold: 3, windowMs: 60_000, resetTimeoutMs: 50, halfOpenProbes: 1 },
      });
      const moved = (to: string, n = 1) => new Promise<void>((resolve) => {
        const have = () => system.events.list('breaker').filter((e) => e.type === 'breaker' && e.to === to).length >= n;
        if (have()) return resolve();
        const off = system.events.subscribe(() => { if (have()) { off(); resolve(); } });
      });
      // Validation errors are resumed: the actor lives on, only the breaker counts them.
      for (let i = 0; i < 3; i++) await b.ask({ type: 'fail', category: 'validation' }).catch(() => {});
      await moved('open');
      expect(system.health()).toMatchObject({ status: 'degraded', openBreakers: 1 });
      await expect(b.ask({ type: 'ok' })).rejects.toMatchObject({ name: 'CircuitOpenError', code: 'ERR_TROUPE_CIRCUIT_OPEN' });
      const dl = deadLetters(system, 'circuit-open', 2);
      b.tell({ type: 'inc' });
      await dl;
      // Half-open: the probe fails, so it opens again (with a doubled reset timeout) ...
      await moved('half-open');
      await b.ask({ type: 'fail', category: 'validation' }).catch(() => {});
      await moved('open', 2);
      const reopened = system.events.list('breaker').filter((e) => e.type === 'breaker' && e.to === 'open');
      expect(reopened.map((e) => (e as { resetTimeoutMs: number }).resetTimeoutMs)).toEqual([50, 100]);
      // ... and the next probe succeeds and closes it.
      await moved('half-open', 2);
      await expect(b.ask({ type: 'ok', value: 'probe' })).resolves.toBe('probe');
      await moved('closed');
      await expect(b.ask({ type: 'count' })).resolves.toBe(0); // the tell during 'open' was dead-lettered
      expect(system.health()).toMatchObject({ status: 'healthy', openBreakers: 0 });
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});

describe('health', () => {
  it('is critical when a failure escalates past the top, and names why', async () => {
    const system = await createActorSystem({ name: 'health', workers: 1, logger: quiet });
    try {
      expect(system.health()).toMatchObject({ status: 'healthy', reasons: [] });
      const top = await system.spawn(fixture('worker.actor'), { supervision: fast });
      top.tell({ type: 'fail', category: 'resource-exhaustion' }); // the default decider escalates
      await nextEvent(system, (e) => e.type === 'escalate' && e.actor === top.path);
      await expect(top.ask({ type: 'ok' })).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_NOT_FOUND' });
      const h = system.health();
      expect(h.status).toBe('critical');
      expect(h.reasons).toContain('a failure escalated to the top of the tree');
      expect(h).toMatchObject({ failed: 1, actors: 0 });
    } finally {
      await system.shutdown();
    }
  });
});
