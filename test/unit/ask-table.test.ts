import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AskTable } from '../../src/runtime/ask-table.js';
import { K_REPLY, STATS_SLOTS } from '../../src/runtime/constants.js';

describe('ask options (AskTable.open)', () => {
  let table: AskTable;
  const deadLetters: string[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    deadLetters.length = 0;
    table = new AskTable(new Float64Array(STATS_SLOTS), (reason) => { deadLetters.push(reason); });
  });
  afterEach(() => { vi.useRealTimers(); });

  const invalid = (argument: string) => ({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining(argument) });

  it('rejects signal: {} with ERR_TROUPE_INVALID_ARGUMENT, and leaves no timer or listener that could throw later', async () => {
    const { corr, promise } = table.open('/user/x', { signal: {} as AbortSignal, timeoutMs: 5000 });
    expect(corr).toBe(0);
    await expect(promise).rejects.toMatchObject(invalid('signal must be an AbortSignal'));
    expect(table.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => vi.runAllTimers()).not.toThrow();
  });

  it.each([
    ['timeoutMs', { timeoutMs: 0 }], ['timeoutMs', { timeoutMs: -5 }], ['timeoutMs', { timeoutMs: Number.NaN }],
    ['timeoutMs', { timeoutMs: 2 ** 31 }], ['timeoutMs', { timeoutMs: '100' }], ['timeoutMs', { timeoutMs: -Infinity }],
    ['signal', { signal: null }], ['signal', { signal: { aborted: false, addEventListener() {} } }],
    ['delivery', { delivery: 'sometimes' }], ['transfer', { transfer: 'buf' }],
    ['timeout is not an option of ask', { timeout: 100 }], ['options', 5], ['options', null],
  ])('rejects a bad %s (%o) without opening the ask', async (name, options) => {
    const { corr, promise } = table.open('/user/x', options as never);
    expect(corr).toBe(0);
    await expect(promise).rejects.toMatchObject(invalid(name));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('timeoutMs: Infinity sets no timer, and the reply still settles the ask', async () => {
    const { corr, promise } = table.open('/user/x', { timeoutMs: Infinity });
    expect(corr).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2 ** 31);
    table.settle(corr, K_REPLY, 'at last');
    await expect(promise).resolves.toBe('at last');
    expect(deadLetters).toEqual([]);
  });

  it('still aborts an ask with no timeout, and still times out one with a timeout', async () => {
    const controller = new AbortController();
    const forever = table.open('/user/x', { timeoutMs: Infinity, signal: controller.signal });
    controller.abort();
    await expect(forever.promise).rejects.toMatchObject({ code: 'ERR_TROUPE_ASK_ABORTED' });
    const timed = table.open('/user/x', { timeoutMs: 100, signal: new AbortController().signal, delivery: 'at-most-once', transfer: [] });
    vi.advanceTimersByTime(100);
    await expect(timed.promise).rejects.toMatchObject({ code: 'ERR_TROUPE_ASK_TIMEOUT' });
    expect(table.size).toBe(0);
  });
});
