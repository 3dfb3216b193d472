import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

const invalid = (argument: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(argument) });

/** What `fn` throws, or 'no error'. */
function thrown(fn: () => void): unknown {
  try { fn(); } catch (err) { return err; }
  return 'no error';
}

describe('tell and ask options are checked', () => {
  let system: ActorSystem;
  let echo: ActorRef;
  let prober: ActorRef;
  beforeAll(async () => {
    system = await createActorSystem({ name: 'send-options', workers: 2, logger: quiet });
    echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    prober = await system.spawn(fixture('options.actor'), { placement: { worker: 1 } });
  });
  afterAll(async () => { await system.shutdown(); });

  const probe = (msg: Record<string, unknown>) => prober.ask(msg, { timeoutMs: 10_000 });

  it("tell refuses delivery: 'sometimes', a transfer that is not an array and an unknown key, on main and in an actor", async () => {
    const before = (await system.stats()).sent;
    expect(thrown(() => echo.tell('hi', { delivery: 'sometimes' } as never))).toMatchObject(invalid('delivery must be'));
    expect(thrown(() => echo.tell('hi', { transfr: [] } as never))).toMatchObject(invalid('transfr is not an option of tell'));
    expect(thrown(() => echo.tell('hi', 5 as never))).toMatchObject(invalid('options must be'));
    expect((await system.stats()).sent).toBe(before);
    for (const via of ['ctx', 'ref']) {
      await expect(probe({ type: 'tell', to: echo, via, options: { delivery: 'sometimes' } })).resolves.toMatchObject(invalid('delivery must be'));
      await expect(probe({ type: 'tell', to: echo, via, options: { transfer: 5 } })).resolves.toMatchObject(invalid('transfer must be'));
      await expect(probe({ type: 'tell', to: echo, via, options: { priority: 1 } })).resolves.toMatchObject(invalid('priority is not an option of tell'));
      await expect(probe({ type: 'tell', to: echo, via, options: { delivery: 'at-most-once' } })).resolves.toEqual({ ok: true });
    }
    await expect(echo.ask({ type: 'echo', value: 'after' })).resolves.toBe('after');
    await expectConserved(system);
  });

  it('ask with signal: {} rejects with ERR_TROUPE_INVALID_ARGUMENT, on main and in an actor, and no timer throws later', async () => {
    await expect(echo.ask({ type: 'echo', value: 1 }, { signal: {} } as never)).rejects.toMatchObject(invalid('signal must be an AbortSignal'));
    for (const via of ['ctx', 'ref']) {
      // The actor outlives the ask's timeout before it replies: a timer left behind would have killed its worker.
      await expect(probe({ type: 'ask', to: echo, via, options: { signal: {}, timeoutMs: 20 }, thenWaitMs: 60 }))
        .resolves.toMatchObject(invalid('signal must be an AbortSignal'));
    }
    expect(system.events.list('worker-died')).toEqual([]);
  });

  it("ask refuses delivery: 'sometimes', timeoutMs 0 and an unknown key, and timeoutMs: Infinity means no timeout", async () => {
    await expect(echo.ask('x', { delivery: 'sometimes' } as never)).rejects.toMatchObject(invalid('delivery must be'));
    await expect(echo.ask('x', { timeoutMs: 0 })).rejects.toMatchObject(invalid('timeoutMs must be'));
    await expect(echo.ask('x', { timeout: 100 } as never)).rejects.toMatchObject(invalid('timeout is not an option of ask (did you mean timeoutMs?)'));
    await expect(echo.ask({ type: 'late', ms: 50 }, { timeoutMs: Infinity })).resolves.toBe('late');
    for (const via of ['ctx', 'ref']) {
      await expect(probe({ type: 'ask', to: echo, via, options: { delivery: 'sometimes' } })).resolves.toMatchObject(invalid('delivery must be'));
      await expect(probe({ type: 'ask', to: echo, via, options: { timeout: 5 } })).resolves.toMatchObject(invalid('timeout is not an option of ask'));
      await expect(probe({ type: 'ask', to: echo, via, options: { timeoutMs: Infinity } })).resolves.toEqual({ ok: 1 });
    }
    await expectConserved(system);
  });
});
