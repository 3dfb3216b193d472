import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { deadLetters, expectConserved, fixture, quiet } from '../helpers.js';

describe('ask', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'ask', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  it('times out with ERR_TROUPE_ASK_TIMEOUT, and the late reply is dead-lettered, not delivered', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    const late = deadLetters(system, 'late-reply', 1);
    await expect(echo.ask({ type: 'late', ms: 200 }, { timeoutMs: 20 }))
      .rejects.toMatchObject({ name: 'AskTimeoutError', code: 'ERR_TROUPE_ASK_TIMEOUT' });
    await late;
    expect(system.deadLetters.list({ reason: 'late-reply' })[0]!.message).toBe('late');
    // The actor is fine and answers the next ask.
    await expect(echo.ask({ type: 'echo', value: 1 })).resolves.toBe(1);
    await expectConserved(system);
  });

  it('is cancelled by an AbortSignal, at once, with ERR_TROUPE_ASK_ABORTED', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const controller = new AbortController();
    const late = deadLetters(system, 'late-reply', 2);
    const pending = echo.ask({ type: 'late', ms: 100 }, { timeoutMs: 10_000, signal: controller.signal });
    controller.abort(new Error('user went away'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TROUPE_ASK_ABORTED' });
    expect((err as Error).cause).toMatchObject({ message: 'user went away' });
    // An already-aborted signal rejects before anything is sent.
    const before = (await system.stats()).sent;
    await expect(echo.ask({ type: 'echo', value: 1 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_TROUPE_ASK_ABORTED' });
    expect((await system.stats()).sent).toBe(before);
    await late;
    await expectConserved(system);
  });

  it('rejects bad options with ERR_TROUPE_INVALID_ARGUMENT', async () => {
    const echo = await system.spawn(fixture('echo.actor'));
    await expect(echo.ask({ type: 'echo', value: 1 }, { timeoutMs: -5 })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    await expect(echo.ask({ type: 'echo', value: 1 }, { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
  });
});
