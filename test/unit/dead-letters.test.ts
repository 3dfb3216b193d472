import { describe, expect, it } from 'vitest';
import { DeadLetters, MAX_WHOLE_MESSAGE_BYTES, type DeadLetter } from '../../src/runtime/main/dead-letters.js';
import { PREVIEW_CHARS, SIZE_WALK_LIMIT, estimateBytes, previewOf } from '../../src/runtime/main/message-size.js';
import type { DeadLetterReason } from '../../src/actors/dead-letter-reasons.js';

const MB = 1024 * 1024;
let time = 0;
const letter = (message: unknown, reason: DeadLetterReason = 'no-such-actor') => ({ reason, target: '/user/t', sender: null, message, time: ++time });

describe('the dead-letter store', () => {
  it('keeps a 1 KiB preview of a message above 64 KiB, and gives subscribers the whole message', () => {
    const store = new DeadLetters(10_000, 64 * MB);
    const seen: DeadLetter[] = [];
    store.subscribe((d) => seen.push(d));
    const big = { order: 7, blob: 'x'.repeat(MB) };
    store.add(letter(big));
    expect(seen[0]!.message).toBe(big); // whole, as the DLQ stream stores it
    expect(seen[0]!.trimmed).toBeUndefined();
    const kept = store.list()[0]!;
    expect(kept.trimmed).toBe(true);
    const preview = kept.message as { preview: string; bytes: number };
    expect(preview.bytes).toBeGreaterThan(MB);
    expect(preview.preview.length).toBeLessThanOrEqual(PREVIEW_CHARS);
    expect(preview.preview).toMatch(/^\{ order: 7, blob: 'xxx/);
    expect(preview.preview.endsWith('…')).toBe(true);
    expect(store.trimmed).toBe(1);
    expect(store.bytes).toBeLessThan(4096);
    // A message of 64 KiB or less is kept whole.
    const small = { text: 'y'.repeat(1000) };
    store.add(letter(small));
    expect(store.list()[1]!.message).toBe(small);
    expect(store.trimmed).toBe(1);
  });

  it('stays within deadLetterBytes: the oldest whole messages become previews first, then the oldest entries go; counts stay exact', () => {
    const store = new DeadLetters(10_000, MB);
    for (let i = 0; i < 100; i++) store.add(letter({ i, text: 'z'.repeat(60_000) }));
    expect(store.bytes).toBeLessThanOrEqual(MB);
    const kept = store.list();
    expect(kept).toHaveLength(100); // all listed: the old ones as previews
    expect(kept[0]!.trimmed).toBe(true);
    expect((kept[0]!.message as { preview: string }).preview).toMatch(/^\{ i: 0, text: 'zzz/);
    expect(kept[99]!.trimmed).toBeUndefined(); // the newest whole
    expect((kept[99]!.message as { i: number }).i).toBe(99);
    expect(store.trimmed).toBeGreaterThan(80);
    // A bound too small even for previews: the oldest entries go.
    const tiny = new DeadLetters(10_000, 4096);
    for (let i = 0; i < 50; i++) tiny.add(letter({ i, text: 'z'.repeat(100_000) }, i % 2 ? 'mailbox-full' : 'timeout'));
    expect(tiny.bytes).toBeLessThanOrEqual(4096);
    expect(tiny.list().length).toBeGreaterThan(0);
    expect(tiny.list().length).toBeLessThan(50);
    expect(tiny.list().at(-1)!.time).toBe(time);
    expect(tiny.count).toBe(50);
    expect(tiny.counts()).toEqual({ 'mailbox-full': 25, timeout: 25 });
  });

  it('keeps the newest `capacity` entries, counting the rest, whatever their size', () => {
    const store = new DeadLetters(3, 64 * MB);
    for (let i = 0; i < 5000; i++) store.add(letter(i));
    expect(store.list().map((d) => d.message)).toEqual([4997, 4998, 4999]);
    expect(store.count).toBe(5000);
    expect(store.list({ limit: 2 }).map((d) => d.message)).toEqual([4998, 4999]);
    const none = new DeadLetters(0, 64 * MB);
    none.add(letter('x'));
    expect(none.list()).toEqual([]);
    expect(none.count).toBe(1);
    expect(none.bytes).toBe(0);
  });

  it('sizes cycles, functions, proxies and throwing getters without throwing', () => {
    const cyclic: Record<string, unknown> = { a: 'x'.repeat(100) };
    cyclic.self = cyclic;
    let getterRan = false;
    const getter = { get boom(): never { getterRan = true; throw new Error('boom'); }, big: 'y'.repeat(200_000) };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const trap = new Proxy({}, { ownKeys() { throw new Error('trap'); }, get() { throw new Error('trap'); } });
    for (const v of [cyclic, getter, revoked.proxy, trap, () => 1, Symbol('s'), 10n, new Map([[1, cyclic]]), new Set([cyclic]), new Date(), undefined, null]) {
      expect(() => estimateBytes(v)).not.toThrow();
      expect(() => previewOf(v)).not.toThrow();
    }
    expect(estimateBytes(cyclic)).toBeLessThan(1024);
    expect(estimateBytes(getter)).toBeGreaterThan(200_000);
    expect(getterRan).toBe(false);
    expect(estimateBytes(new Uint8Array(MB))).toBeGreaterThanOrEqual(MB);
    expect(estimateBytes(new ArrayBuffer(MB))).toBeGreaterThanOrEqual(MB);
    const store = new DeadLetters(10, 64 * MB);
    for (const v of [cyclic, getter, revoked.proxy, trap]) store.add(letter(v));
    expect(store.count).toBe(4);
    expect(store.list()[1]!.trimmed).toBe(true);
  });

  it('does bounded work on a huge or deep message, and says it is large', () => {
    const wide = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = { next: deep };
    for (const v of [wide, deep, new Map(wide.map((o) => [o.i, o]))]) {
      const t0 = performance.now();
      const bytes = estimateBytes(v);
      expect(performance.now() - t0).toBeLessThan(1000);
      // Past the values it looks at, it gives a lower bound, above the 64 KiB kept whole.
      expect(bytes).toBeGreaterThan(MAX_WHOLE_MESSAGE_BYTES);
      expect(bytes).toBeGreaterThanOrEqual(SIZE_WALK_LIMIT * 8);
      expect(previewOf(v).length).toBeLessThanOrEqual(PREVIEW_CHARS);
    }
  });
});
