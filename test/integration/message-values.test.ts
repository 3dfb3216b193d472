// Values that msgpack alone would change or could not read back (a Map with object keys used to
// kill the main process as a reply, and a worker — five times over — as a tell), and records
// that do not decode: dead-lettered `undecodable`, never a dead thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { deadLetters, expectConserved, fixture, quiet } from '../helpers.js';

const K_TELL = 1;

describe('values across threads', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'values', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  it('a Map with object keys crosses as a Map: as a tell to a worker, and back to main as a reply', async () => {
    const recorder = await system.spawn(fixture('recorder.actor'), { placement: { worker: 0 } });
    const sibling = await system.spawn(fixture('counter.actor'), { placement: { worker: 0 }, args: { start: 0 } });
    for (let i = 0; i < 5; i++) sibling.tell({ type: 'inc' });
    const map = new Map<unknown, unknown>([[{ id: 1 }, 'one'], [2, 'two'], ['three', 3]]);
    recorder.tell(map);
    const got = await recorder.ask({ type: 'got' }) as unknown[];
    expect(got).toHaveLength(1);
    expect(got[0]).toBeInstanceOf(Map);
    expect(got[0]).toEqual(map);
    // The worker is the same one, and its other actor kept its state.
    await expect(sibling.ask({ type: 'get' })).resolves.toBe(5);
    expect(system.events.list('worker-died')).toHaveLength(0);
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    await expect(echo.ask({ type: 'echo', value: { map } })).resolves.toEqual({ map });
    await expectConserved(system);
  });

  it('between actors on two workers, refs inside a Map stay live refs', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 }, args: { start: 0 } });
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    const back = await echo.ask({ type: 'echo', value: new Map([['counter', counter]]) }) as Map<string, typeof counter>;
    back.get('counter')!.tell({ type: 'inc' });
    await expect(counter.ask({ type: 'get' })).resolves.toBe(1);
  });

  it('a Buffer, or a Uint8Array of a subclass, over a transferred buffer arrives as a Uint8Array on it', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const ab = new ArrayBuffer(16);
    const buf = Buffer.from(ab);
    buf[0] = 7;
    const back = await echo.ask({ type: 'echo', value: { buf } }, { transfer: [ab] }) as { buf: Uint8Array };
    expect(ab.byteLength).toBe(0); // moved
    expect(back.buf).toBeInstanceOf(Uint8Array);
    expect([...back.buf.subarray(0, 2)]).toEqual([7, 0]);
    class Bytes extends Uint8Array {}
    const ab2 = new ArrayBuffer(8);
    const got = await echo.ask({ type: 'echo', value: new Bytes(ab2, 2, 3) }, { transfer: [ab2] }) as Uint8Array;
    expect(got).toBeInstanceOf(Uint8Array);
    expect(got.length).toBe(3);
    await expectConserved(system);
  });

  it('binary messages (no msgpack) cross main → worker → worker and back as the same class over their own bytes, small or large', async () => {
    const a = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    const b = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const recorder = await system.spawn(fixture('recorder.actor'), { placement: { worker: 1 } });
    const big = new Float64Array(300_000).map((_, i) => i / 3); // 2.4 MB: over the link's port
    const ab = new ArrayBuffer(12);
    new Uint8Array(ab).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const mid = new Float32Array(256).map((_, i) => i / 4); // 1 KiB
    const values: (ArrayBuffer | ArrayBufferView)[] = [ab, new Uint16Array(ab, 2, 4), Buffer.from('hi'), new DataView(ab, 8), new BigInt64Array([-5n]), big, new Uint8Array(0), new Int8Array([-1, 2, -128]), mid];
    // A subclass arrives as its built-in class, also inside the ask message (it was dead-lettered undecodable there).
    class Samples extends Float32Array {}
    values.push(new Samples([1.5, -2.5]));
    // Float16Array where Node has it (24): as any other.
    const Float16 = (globalThis as { Float16Array?: new (a: number[]) => ArrayBufferView }).Float16Array;
    if (Float16 !== undefined) values.push(new Float16([0.5, -3]));
    for (const v of values) {
      // The reply from b to a is the binary message itself (a worker → worker record).
      const back = await a.ask({ type: 'ask-other', other: b, value: v }) as ArrayBuffer | ArrayBufferView;
      const name = Buffer.isBuffer(v) ? 'Uint8Array' : Object.prototype.toString.call(v).slice(8, -1);
      expect(Object.prototype.toString.call(back)).toBe(`[object ${name}]`);
      const bytes = (x: ArrayBuffer | ArrayBufferView) => x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
      expect(Buffer.compare(bytes(back), bytes(v))).toBe(0);
      recorder.tell(v); // main → worker, as a tell
    }
    const got = await recorder.ask({ type: 'got' }) as unknown[];
    expect(got.map((x) => Object.prototype.toString.call(x))).toEqual(['ArrayBuffer', 'Uint16Array', 'Uint8Array', 'DataView', 'BigInt64Array', 'Float64Array', 'Uint8Array', 'Int8Array', 'Float32Array', 'Float32Array', ...Float16 ? ['Float16Array'] : []].map((n) => `[object ${n}]`));
    expect((got[5] as Float64Array)[299_999]).toBe(299_999 / 3);
    expect([...got[7] as Int8Array]).toEqual([-1, 2, -128]);
    expect(got[8]).toEqual(mid);
    await expectConserved(system);
  });

  it('a typed array of up to 4 KiB arrives as a view into a pool, whose buffer a tell cannot transfer (it holds other messages\' bytes)', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const sent = [new Float64Array(128).fill(0.25), new Int32Array(300).fill(-7)];
    const got = await Promise.all(sent.map((v) => echo.ask({ type: 'echo', value: v }))) as [Float64Array, Int32Array];
    // Each in a pool on main, larger than itself (not always the same one: a pool may fill between them).
    for (const v of got) expect(v.buffer.byteLength).toBeGreaterThan(v.byteLength);
    const before = system.deadLetters.count;
    let refused: unknown;
    try {
      echo.tell(got[0], { transfer: [got[0].buffer as ArrayBuffer] });
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    expect(String((refused as Error).message)).toMatch(/pool of received binary messages.*v\.buffer\.slice\(v\.byteOffset/);
    // Nothing moved: both still hold their bytes, and a copy of one transfers.
    expect([got[0].length, got[0][127], got[1][299]]).toEqual([128, 0.25, -7]);
    const copy = got[1].slice();
    expect(await echo.ask({ type: 'echo', value: copy }, { transfer: [copy.buffer] })).toEqual(sent[1]);
    expect(copy.byteLength).toBe(0); // moved
    expect(system.deadLetters.count).toBe(before);
    await expectConserved(system);
  });

  // Regression: a small message is written straight into the ring; a getter of it that sends to
  // the same actor wrote its own record into the space being filled, and a record arrived
  // corrupt (dead-lettered undecodable) or wrong. Now each arrives intact.
  it('a getter of a message that sends to the same actor while the message is written: every message arrives intact', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 }, args: { start: 0 } });
    const before = system.deadLetters.count;
    let inner = 0;
    for (let i = 0; i < 200; i++) {
      counter.tell({ type: 'inc', get by() { counter.tell({ type: 'inc', by: 10 }); inner++; return 1; } });
    }
    const report = await counter.ask({ type: 'report' }) as { n: number; sum: number };
    expect(inner).toBeGreaterThanOrEqual(200);
    expect(report).toMatchObject({ n: 200 + inner, sum: 200 + inner * 10 });
    expect(system.deadLetters.count).toBe(before);
    await expectConserved(system);
  });

  it('a record that does not decode, to an actor on a worker, is dead-lettered undecodable with its size; the worker reads on', async () => {
    const recorder = await system.spawn(fixture('recorder.actor'), { placement: { worker: 0 } });
    const before = system.deadLetters.counts().undecodable ?? 0;
    // Written straight into main's ring toward the worker, as a corrupt sender would (and counted
    // as sent, as the runtime counts what it sends).
    const internals = (system as unknown as { main: { mesh: { sendEncoded(...a: unknown[]): void }; mainStats: Float64Array } }).main;
    internals.mesh.sendEncoded(recorder.thread, recorder.id, 0, 0, K_TELL, new Uint8Array([0x92, 0x01]));
    internals.mainStats[0]!++;
    recorder.tell('after');
    await expect(recorder.ask({ type: 'got' })).resolves.toEqual(['after']);
    await deadLetters(system, 'undecodable', before + 1);
    const d = system.deadLetters.list({ reason: 'undecodable' }).at(-1)!;
    expect(d).toMatchObject({ target: recorder.path, message: { bytes: 2 } });
    expect(d.error).toMatchObject({ code: 'ERR_TROUPE_UNDECODABLE_MESSAGE' });
    expect(system.events.list('worker-died')).toHaveLength(0);
    await expectConserved(system);
  });

  it('a record that does not decode, from a worker to main, is dead-lettered undecodable; main reads on', async () => {
    const garbage = await system.spawn(fixture('garbage.actor'), { placement: { worker: 1 } });
    const before = system.deadLetters.counts().undecodable ?? 0;
    const toMain = { thread: 0, id: 7 };
    await expect(garbage.ask({ to: toMain })).resolves.toBe('sent');
    await deadLetters(system, 'undecodable', before + 1);
    expect(system.deadLetters.list({ reason: 'undecodable' }).at(-1)).toMatchObject({ target: '@0.7', message: { bytes: 2 } });
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    await expect(echo.ask({ type: 'echo', value: 'still here' })).resolves.toBe('still here');
    await expectConserved(system);
  });
});

describe('strictMessages', () => {
  it('applies the cross-thread rules between actors on one worker', async () => {
    const system = await createActorSystem({ name: 'strict', workers: 1, logger: quiet, strictMessages: true });
    try {
      const echo = await system.spawn(fixture('echo.actor'));
      const other = await system.spawn(fixture('echo.actor'));
      const recorder = await system.spawn(fixture('recorder.actor'));
      // A reply to another actor of the same worker holding a function: refused, as across threads.
      await expect(echo.ask({ type: 'ask-raw', other, value: { type: 'reply-function' } }))
        .rejects.toMatchObject({ code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' });
      // A message between two actors of the worker arrives as a copy, Map and Date intact.
      const sender = await system.spawn(fixture('recorder.actor'));
      sender.tell({ type: 'send', to: recorder, msg: { when: new Date(5), m: new Map([[{ k: 1 }, 2]]) } });
      await sender.ask({ type: 'got' }); // it has sent by now
      const got = await recorder.ask({ type: 'got' }) as unknown[];
      expect(got).toEqual([{ when: new Date(5), m: new Map([[{ k: 1 }, 2]]) }]);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
