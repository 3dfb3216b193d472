import { describe, expect, it } from 'vitest';
import { createActorSystem, type SystemOptions } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

/** What createActorSystem does with `options`: the error it rejects with, or 'started' (then it is shut down). */
async function outcome(options: Record<string, unknown>): Promise<unknown> {
  return createActorSystem({ logger: quiet, workers: 1, ...options } as SystemOptions).then(
    async (s) => { await s.shutdown({ timeoutMs: 1000 }); return 'started'; },
    (err: unknown) => err,
  );
}

const invalid = (argument: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(argument) });

describe('options are checked', () => {
  // Each of these was accepted, and did harm: a watchdog that killed idle workers or was off,
  // a store that kept everything, rings that carried nothing, a start-up that failed with "NaN ms".
  it.each([
    ['maxHandlerMs', { maxHandlerMs: 1 }],
    ['maxHandlerMs', { maxHandlerMs: 0 }],
    ['maxHandlerMs', { maxHandlerMs: Number.NaN }],
    ['maxHandlerMs', { maxHandlerMs: -5 }],
    ['deadLetterCapacity', { deadLetterCapacity: Number.NaN }],
    ['tuning.ringBytes', { tuning: { ringBytes: 16 } }],
    ['tuning.throughput', { tuning: { throughput: 0 } }],
    ['controlTimeoutMs', { controlTimeoutMs: 0 }],
    ['deadLetterBytes', { deadLetterBytes: -1 }],
    ['strictMessages', { strictMessages: 'yes' }],
  ])('createActorSystem refuses %s: %o with ERR_TROUPE_INVALID_ARGUMENT naming it', async (name, options) => {
    expect(await outcome(options)).toMatchObject(invalid(`${name} must be`));
  });

  it('createActorSystem refuses a misspelt option (maxHandlerMS), naming it and listing the known ones', async () => {
    const err = await outcome({ maxHandlerMS: 1000 });
    expect(err).toMatchObject(invalid('maxHandlerMS is not an option of createActorSystem (did you mean maxHandlerMs?)'));
    expect((err as Error).message).toContain('deadLetterBytes, tuning');
    expect(await outcome({ tuning: { ringbytes: 4096 } })).toMatchObject(invalid('tuning.ringbytes is not an option'));
  });

  it('createActorSystem accepts strictMessages, deadLetterBytes and every documented option', async () => {
    expect(await outcome({
      name: 'all', deadLetterCapacity: 0, deadLetterBytes: 0, controlTimeoutMs: 10_000, healthWindowMs: 1, maxHandlerMs: false,
      terminateTimeoutMs: 100, strictMessages: false, node: 'n-1',
      tuning: { ringBytes: 4096, largeBytes: 0, spinMs: 0, readBudget: 1, throughput: 1, sliceMs: 1000, parkMs: 1 },
    })).toBe('started');
  });

  it('a ring of 4 KiB carries a 5 000-byte message: largeBytes defaults to the largest record the ring holds', async () => {
    const system = await createActorSystem({ name: 'small-ring', workers: 1, logger: quiet, tuning: { ringBytes: 4096 } });
    try {
      const echo = await system.spawn(fixture('echo.actor'));
      const big = 'x'.repeat(5000);
      await expect(echo.ask({ type: 'echo', value: big }, { timeoutMs: 10_000 })).resolves.toBe(big);
      await expectConserved(system);
    } finally {
      await system.shutdown({ timeoutMs: 1000 });
    }
  });
});
