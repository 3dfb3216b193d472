import { describe, expect, it } from 'vitest';
import { breakerOptions, shutdownMs, supervisorOptions } from '../../src/supervision/options.js';

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (err) { return err; }
  return 'no error';
}

const refusal = (name: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(`${name} must be`) });

describe('supervision options', () => {
  // Node fires a timer of more than 2^31 - 1 ms after 1 ms: shutdownMs: Infinity gave up on a
  // running handler at once, and a breaker "open for ever" half-opened at once.
  it('refuses a delay beyond a timer\'s range: shutdownMs, backoff delays and breaker reset timeouts', () => {
    for (const v of [Infinity, 2 ** 31]) {
      expect(thrown(() => shutdownMs(v))).toMatchObject(refusal('shutdownMs'));
      expect(thrown(() => breakerOptions({ resetTimeoutMs: v, maxResetTimeoutMs: Infinity }))).toMatchObject(refusal('circuitBreaker.resetTimeoutMs'));
      expect(thrown(() => breakerOptions({ maxResetTimeoutMs: v }))).toMatchObject(refusal('circuitBreaker.maxResetTimeoutMs'));
      expect(thrown(() => supervisorOptions({ backoff: { maxMs: v } }))).toMatchObject(refusal('backoff.maxMs'));
      expect(thrown(() => supervisorOptions({ backoff: { minMs: v, maxMs: Infinity } }))).toMatchObject(refusal('backoff.minMs'));
    }
    expect(shutdownMs(2 ** 31 - 1)).toBe(2 ** 31 - 1);
    expect(breakerOptions({ resetTimeoutMs: 1, maxResetTimeoutMs: 2 ** 31 - 1 })).toMatchObject({ maxResetTimeoutMs: 2 ** 31 - 1 });
    expect(supervisorOptions({ backoff: { minMs: 0, maxMs: 0 } }).backoff).toMatchObject({ minMs: 0, maxMs: 0 });
    for (const v of [0, -1, Number.NaN]) expect(thrown(() => shutdownMs(v))).toMatchObject(refusal('shutdownMs'));
  });
});
