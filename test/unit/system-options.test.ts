import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { DEFAULT_ALERT_RULES } from '../../src/observability/alerts.js';
import { DEFAULT_TUNING, SYSTEM_OPTION_KEYS, systemConfig } from '../../src/runtime/main/system-options.js';
import type { SystemOptions } from '../../src/runtime/main/system-types.js';

const refusal = (name: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(`${name} must be`) });

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (err) { return err; }
  return 'no error';
}

describe('system options', () => {
  it('fills in every default the header states', () => {
    expect(systemConfig({})).toEqual({
      name: 'troupe', workers: availableParallelism(), logger: undefined, deadLetterCapacity: 10_000, deadLetterBytes: 64 * 1024 * 1024,
      tuning: DEFAULT_TUNING, controlTimeoutMs: 10_000, healthWindowMs: 30_000, maxHandlerMs: 30_000, terminateTimeoutMs: 5000,
      strictMessages: false, nats: undefined, node: undefined, highWaterMark: 1000,
      alerts: { rules: [...DEFAULT_ALERT_RULES], intervalMs: 1000 }, tracing: null,
    });
    expect(DEFAULT_TUNING).toEqual({ ringBytes: 1 << 20, largeBytes: 65_536, spinMs: 1, readBudget: 4096, throughput: 64, sliceMs: 4, parkMs: 1000 });
    expect(systemConfig({ maxHandlerMs: false }).maxHandlerMs).toBe(0);
  });

  // [option, bad values]: each refused, naming the option.
  const bad: [string, (v: unknown) => Record<string, unknown>, unknown[]][] = [
    ['name', (v) => ({ name: v }), ['', 5, null]],
    ['alerts', (v) => ({ alerts: v }), [null, 5, 'x']],
    ['workers', (v) => ({ workers: v }), [0, 65, 1.5, Number.NaN, '2']],
    ['logger', (v) => ({ logger: v }), [true, 'warn', null, 5]],
    ['deadLetterCapacity', (v) => ({ deadLetterCapacity: v }), [Number.NaN, -1, 1.5, Infinity, 2 ** 31, '10']],
    ['deadLetterBytes', (v) => ({ deadLetterBytes: v }), [Number.NaN, -1, 0.5, Infinity, '1']],
    ['controlTimeoutMs', (v) => ({ controlTimeoutMs: v }), [0, 999, -1, Number.NaN, Infinity, 2 ** 31, '1000']],
    ['healthWindowMs', (v) => ({ healthWindowMs: v }), [0, 0.5, -1, Number.NaN, Infinity, 2 ** 31]],
    ['maxHandlerMs', (v) => ({ maxHandlerMs: v }), [1, 0, 99, -5, Number.NaN, Infinity, 2 ** 31, true, '500']],
    ['terminateTimeoutMs', (v) => ({ terminateTimeoutMs: v }), [0, 99, Number.NaN, Infinity, 2 ** 31]],
    ['strictMessages', (v) => ({ strictMessages: v }), ['true', 1, null]],
    ['nats', (v) => ({ nats: v }), [null, 'nats://127.0.0.1:4222', 4222]],
    ['node', (v) => ({ node: v }), ['', 'a b', 'x'.repeat(129), 5]],
    ['tuning', (v) => ({ tuning: v }), [null, 5, 'fast']],
    ['mailbox', (v) => ({ mailbox: v }), [null, 5, 'big']],
    ['mailbox.highWaterMark', (v) => ({ mailbox: { highWaterMark: v } }), [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31, '10', null]],
    ['tuning.ringBytes', (v) => ({ tuning: { ringBytes: v } }), [16, 4095, 2 ** 30 + 1, 5000.5, Number.NaN]],
    ['tuning.largeBytes', (v) => ({ tuning: { largeBytes: v } }), [-1, 1.5, Number.NaN, 2 ** 19]],
    ['tuning.spinMs', (v) => ({ tuning: { spinMs: v } }), [-1, 1001, Number.NaN, Infinity]],
    ['tuning.readBudget', (v) => ({ tuning: { readBudget: v } }), [0, -1, 1.5, Number.NaN, Infinity]],
    ['tuning.throughput', (v) => ({ tuning: { throughput: v } }), [0, -1, 1.5, Number.NaN, Infinity]],
    ['tuning.sliceMs', (v) => ({ tuning: { sliceMs: v } }), [0, -1, 1001, Number.NaN]],
    ['tuning.parkMs', (v) => ({ tuning: { parkMs: v } }), [0, Infinity, Number.NaN, 2 ** 31]],
  ];
  for (const [name, options, values] of bad) {
    it(`refuses a bad ${name} with ERR_TROUPE_INVALID_ARGUMENT naming ${name}`, () => {
      for (const v of values) expect(thrown(() => systemConfig(options(v) as never)), `${name}: ${String(v)}`).toMatchObject(refusal(name));
    });
  }

  it('accepts the edges of every range', () => {
    for (const o of [
      { workers: 1 }, { workers: 64 }, { deadLetterCapacity: 0 }, { deadLetterBytes: 0 }, { deadLetterBytes: Number.MAX_SAFE_INTEGER },
      { controlTimeoutMs: 1000 }, { controlTimeoutMs: 2 ** 31 - 1 }, { healthWindowMs: 1 }, { maxHandlerMs: 100 },
      { maxHandlerMs: 2 ** 31 - 1 }, { maxHandlerMs: false }, { terminateTimeoutMs: 100 }, { strictMessages: true },
      { logger: false }, { logger: { level: 'warn' } }, { nats: { servers: 'nats://127.0.0.1:4222' } }, { node: 'a-b_1' },
      { tuning: { ringBytes: 4096 } }, { tuning: { ringBytes: 2 ** 30 } }, { tuning: { largeBytes: 0 } }, { tuning: { spinMs: 0 } },
      { tuning: { spinMs: 1000 } }, { tuning: { readBudget: 1, throughput: 1 } }, { tuning: { sliceMs: 0.5 } },
      { tuning: { sliceMs: 1000 }, maxHandlerMs: 4000 }, { tuning: { parkMs: 1 } }, { tuning: { parkMs: 2 ** 31 - 1 } },
    ] satisfies SystemOptions[]) {
      expect(() => systemConfig(o), JSON.stringify(o)).not.toThrow();
    }
  });

  it('refuses a misspelt key, naming it, suggesting the right one and listing the known ones', () => {
    const err = thrown(() => systemConfig({ maxHandlerMS: 1000 } as never)) as Error & { code: string; details: unknown };
    expect(err.code).toBe('ERR_TROUPE_INVALID_ARGUMENT');
    expect(err.message).toBe(`maxHandlerMS is not an option of createActorSystem (did you mean maxHandlerMs?); the options are: ${SYSTEM_OPTION_KEYS.join(', ')}`);
    expect(err.details).toMatchObject({ argument: 'maxHandlerMS' });
    expect(thrown(() => systemConfig({ tuning: { ringbytes: 4096 } } as never))).toMatchObject({
      code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining('tuning.ringbytes is not an option of tuning (did you mean tuning.ringBytes?)'),
    });
    expect(thrown(() => systemConfig({ deadLetters: 5 } as never))).toMatchObject({ message: expect.stringContaining('deadLetters is not an option') });
  });

  it('lets largeBytes default to the largest record a small ring holds, and refuses a larger one', () => {
    // A ring of 4 KiB holds records of up to 2 KiB - 20 bytes: a larger one would wait for room for ever.
    expect(systemConfig({ tuning: { ringBytes: 4096 } }).tuning.largeBytes).toBe(2048 - 20);
    expect(systemConfig({ tuning: { ringBytes: 5000 } }).tuning.largeBytes).toBe(4096 - 20); // rounded up to 8 KiB
    expect(systemConfig({ tuning: { ringBytes: 1 << 20 } }).tuning.largeBytes).toBe(65_536);
    expect(systemConfig({ tuning: { ringBytes: 4096, largeBytes: 2028 } }).tuning.largeBytes).toBe(2028);
    expect(thrown(() => systemConfig({ tuning: { ringBytes: 4096, largeBytes: 2029 } }))).toMatchObject(refusal('tuning.largeBytes'));
  });

  it('keeps a slice within a quarter of maxHandlerMs: a busy host beats only between slices', () => {
    expect(thrown(() => systemConfig({ maxHandlerMs: 100, tuning: { sliceMs: 26 } }))).toMatchObject(refusal('tuning.sliceMs'));
    expect(systemConfig({ maxHandlerMs: 100, tuning: { sliceMs: 25 } }).tuning.sliceMs).toBe(25);
    expect(systemConfig({ maxHandlerMs: false, tuning: { sliceMs: 1000 } }).tuning.sliceMs).toBe(1000);
  });
});
