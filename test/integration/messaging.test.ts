import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, TroupeError, type ActorSystem } from 'troupe';
import { deadLetters, expectConserved, fixture, quiet } from '../helpers.js';

describe('messaging between main and workers', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'msg', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  it('tells and asks an actor on a worker from main', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { name: 'counter', args: { start: 0 }, placement: { worker: 0 } });
    for (let i = 0; i < 10; i++) counter.tell({ type: 'inc', by: 3 });
    await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
    await expect(counter.ask({ type: 'report' })).resolves.toMatchObject({ n: 10, sum: 30 });
    expect(system.lookup('counter')?.equals(counter)).toBe(true);
    await expectConserved(system);
  });

  it('asks from an actor on one worker to an actor on the other, with refs inside messages', async () => {
    const a = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    const b = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const [ta, tb] = await Promise.all([a.ask({ type: 'thread' }), b.ask({ type: 'thread' })]);
    expect(ta).not.toBe(tb);
    await expect(a.ask({ type: 'ask-other', other: b, value: { deep: [1, 'two', { three: 3 }] } }))
      .resolves.toEqual({ deep: [1, 'two', { three: 3 }] });
    await expect(b.ask({ type: 'ask-other', other: a, value: 'back' })).resolves.toBe('back');
    await expectConserved(system);
  });

  it('tells from an actor on one worker to an actor on the other', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 } });
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    for (let seq = 0; seq < 100; seq++) echo.tell({ type: 'tell-other', other: counter, value: { type: 'inc', from: 'echo', seq } });
    // The echo's ask follows its 100 tells on the same worker0→worker1 ring, so it sees them all.
    await expect(echo.ask({ type: 'ask-raw', other: counter, value: { type: 'report' } }))
      .resolves.toMatchObject({ n: 100, outOfOrder: 0 });
    await expectConserved(system);
  });

  it('carries an error thrown in a worker intact to the asker', async () => {
    const f = await system.spawn(fixture('failing.actor'), { placement: { worker: 0 } });
    const before = system.deadLetters.counts()['actor-failed'] ?? 0;
    await expect(f.ask({ type: 'ok', value: 21 })).resolves.toBe(42);
    const err = await f.ask({ type: 'boom', field: 'email' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'ValidationError', message: 'bad email', code: 'E_VALIDATION', field: 'email' });
    expect((err as Error).stack).toContain('failing.actor');
    // A validation error is a poison message: resumed past, and the actor keeps serving.
    await expect(f.ask({ type: 'ok', value: 1 })).resolves.toBe(2);
    // Dead letters come on the worker's events port, the replies through the ring: either may be first.
    await deadLetters(system, 'actor-failed', before + 1);
    const failed = system.deadLetters.list({ reason: 'actor-failed' }).at(-1)!;
    expect(failed.message).toEqual({ type: 'boom', field: 'email' });
    expect(failed.error).toMatchObject({ name: 'ValidationError', message: 'bad email' });
    expect(failed).toMatchObject({ category: 'validation', severity: 'warn', retries: 0 });
    await expectConserved(system);
  });

  it('refuses a message that cannot be encoded at tell, with a clear code, and sends nothing', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 0 } });
    const before = await system.stats();
    expect(() => counter.tell({ type: 'inc', cb: () => 1 })).toThrow(TroupeError);
    expect(() => counter.tell({ type: 'inc', cb: () => 1 })).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
    expect(() => counter.tell({ type: 'inc', s: Symbol('x') })).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
    await expect(counter.ask({ fn: () => 1 })).rejects.toMatchObject({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' });
    // A binary message over a buffer transferred already (detached): refused as postMessage
    // refuses it, not sent empty, and not a bare TypeError.
    const gone = new ArrayBuffer(8);
    const views = [new Uint8Array(gone), new Float32Array(gone), Buffer.from(gone), new DataView(gone)];
    structuredClone(gone, { transfer: [gone] });
    for (const m of [gone, ...views]) {
      expect(() => counter.tell(m)).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' }));
    }
    expect((await system.stats()).sent).toBe(before.sent);
    await expect(counter.ask({ type: 'get' })).resolves.toBe(0);
    await expectConserved(system);
  });

  it('fails an actor whose reply cannot be encoded, and tells the asker why', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    await expect(echo.ask({ type: 'reply-function' })).rejects.toMatchObject({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' });
    await expectConserved(system);
  });

  it('transfers ArrayBuffers intact and in order with ring traffic', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const sizes = [16, 100_000, 3, 70_000, 1];
    let last: unknown;
    for (const [seq, size] of sizes.entries()) {
      const buf = new ArrayBuffer(size);
      new Uint8Array(buf).fill(seq + 1);
      // Alternate: transferred, then a plain ring message in between.
      const reply = echo.ask({ type: 'bytes', buf, seq }, { transfer: [buf] });
      expect(buf.byteLength).toBe(0); // moved, not copied
      echo.tell({ type: 'echo', value: seq });
      last = await reply;
    }
    expect(last).toEqual(sizes.map((len, seq) => ({ seq, len, first: seq + 1 })));
    await expectConserved(system);
  });

  it('sends a payload larger than the ring threshold over the port, in order', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 0 } });
    const big = 'x'.repeat(200_000);
    for (let seq = 0; seq < 20; seq++) counter.tell({ type: 'inc', from: 'big', seq, pad: seq % 3 === 0 ? big : '' });
    await expect(counter.ask({ type: 'report' })).resolves.toMatchObject({ n: 20, outOfOrder: 0 });
    await expectConserved(system);
  });
});

describe('spawn args', () => {
  it('carry live refs (regression: refs in args arrived as plain objects)', async () => {
    const system = await createActorSystem({ name: 'args', workers: 2, logger: quiet });
    try {
      const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 } });
      counter.tell({ type: 'inc' });
      const forward = await system.spawn(fixture('forward.actor'), { placement: { worker: 0 }, args: { to: counter } });
      await expect(forward.ask({ type: 'get' })).resolves.toBe(1);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
