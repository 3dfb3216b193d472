import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { fixture, quiet } from '../helpers.js';

const invalid = (argument: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(argument) });

describe('spawn options are checked', () => {
  let system: ActorSystem;
  let prober: ActorRef;
  beforeAll(async () => {
    system = await createActorSystem({ name: 'spawn-options', workers: 1, logger: quiet });
    prober = await system.spawn(fixture('options.actor'));
  });
  afterAll(async () => { await system.shutdown(); });

  const probe = (msg: Record<string, unknown>) => prober.ask(msg, { timeoutMs: 10_000 });

  it('system.spawn refuses an unknown key, initTimeoutMs out of range and a mailbox key it does not know', async () => {
    await expect(system.spawn(fixture('leaf.actor'), { nmae: 'x' } as never)).rejects.toMatchObject(invalid('nmae is not an option of spawn'));
    for (const initTimeoutMs of [0, -1, Number.NaN, Infinity, 2 ** 31, '5']) {
      await expect(system.spawn(fixture('leaf.actor'), { initTimeoutMs } as never)).rejects.toMatchObject(invalid('initTimeoutMs must be'));
    }
    await expect(system.spawn(fixture('leaf.actor'), { mailbox: { capacty: 5 } } as never)).rejects.toMatchObject(invalid('mailbox.capacty is not an option'));
    await expect(system.spawn(fixture('leaf.actor'), { resourceLimits: { maxOldGenerationSizeMb: 64 } })).rejects.toMatchObject(invalid('resourceLimits must be'));
    // A timer of Infinity fires after 1 ms: a stop would give up on a running handler at once.
    await expect(system.spawn(fixture('leaf.actor'), { shutdownMs: Infinity })).rejects.toMatchObject(invalid('shutdownMs must be'));
    // Every documented key is accepted.
    const leaf = await system.spawn(fixture('leaf.actor'), {
      name: 'all-keys', args: {}, mailbox: { capacity: 10, overflow: 'reject' }, placement: 'shared', restart: 'temporary',
      supervision: { maxRestarts: 1 }, circuitBreaker: { failureThreshold: 2 }, shutdownMs: 100, expose: false, initTimeoutMs: 1000,
    });
    await system.stop(leaf);
  });

  it('ctx.spawn refuses an unknown key (placement is not a child option) and initTimeoutMs out of range', async () => {
    await expect(probe({ type: 'spawn', options: { placement: 'dedicated' } })).resolves.toMatchObject(invalid('placement is not an option of ctx.spawn'));
    await expect(probe({ type: 'spawn', options: { initTimeoutMs: -1 } })).resolves.toMatchObject(invalid('initTimeoutMs must be'));
    await expect(probe({ type: 'spawn', options: { mailbox: { overflw: 'reject' } } })).resolves.toMatchObject(invalid('mailbox.overflw is not an option'));
    await expect(probe({ type: 'spawn', options: { name: 'ok', initTimeoutMs: 1000, restart: 'temporary', shutdownMs: 100 } })).resolves.toEqual({ ok: true });
  });
});
