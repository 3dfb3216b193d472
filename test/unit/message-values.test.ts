// What crosses threads (the README's table): each kept type arrives as itself, each refused one
// throws ERR_TROUPE_UNENCODABLE_MESSAGE at encode time, and nothing arrives silently changed
// beyond what the table says.
import { describe, expect, it } from 'vitest';
import { Codec } from '../../src/runtime/mesh/codec.js';

const codec = new Codec(null);
/** Across a thread boundary, as the mesh does it (through shared memory). */
function across(value: unknown): unknown {
  const bytes = codec.encode(value);
  const ring = new Uint8Array(new SharedArrayBuffer(bytes.length + 8));
  ring.set(bytes, 8);
  return codec.decodeShared(ring, 8, bytes.length);
}

describe('values that cross threads as themselves', () => {
  const kept: [string, unknown][] = [
    ['a Map with string keys', new Map([['a', 1], ['b', 2]])],
    ['a Map with number keys', new Map([[1, 'one'], [2, 'two']])],
    ['a Map with object keys', new Map<unknown, unknown>([[{ id: 1 }, 'a'], [[1, 2], 'b']])],
    ['a Map inside an array inside an object', { list: [new Map([[1, new Map([[2, 3]])]])] }],
    ['a Map inside a Set', new Set([new Map([['k', 'v']])])],
    ['a Set', new Set([1, 'a', { b: 2 }])],
    ['a Date', new Date(1_700_000_000_123)],
    ['a RegExp', /ab+c/gi],
    ['a BigInt', 12345678901234567890n],
    ['typed arrays', [new Uint8Array([1, 2]), new Float64Array([1.5]), new BigInt64Array([3n])]],
    ['an ArrayBuffer', new Uint8Array([1, 2, 3]).buffer],
    ['undefined inside an object', { a: undefined, b: 1 }],
    ['NaN and Infinity', [NaN, Infinity, -Infinity]],
    ['an object of 70,000 keys', Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i]))],
  ];
  it.each(kept)('%s', (_, value) => {
    expect(across(value)).toEqual(value);
  });

  it('a Map arrives as a Map, whatever its keys', () => {
    const got = across({ m: new Map<unknown, unknown>([['s', 1], [2, 'n'], [{ k: 1 }, 'o']]) }) as { m: Map<unknown, unknown> };
    expect(got.m).toBeInstanceOf(Map);
    expect([...got.m.keys()]).toEqual(['s', 2, { k: 1 }]);
  });

  it('an own property named __proto__ arrives as that property, and no prototype changes', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const got = across({ inner: value }) as { inner: Record<string, unknown> };
    expect(Object.keys(got.inner)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(got.inner, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(got.inner)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an error keeps its class, message, stack, code, cause and own fields; an AggregateError its errors', () => {
    const cause = new RangeError('inner');
    const e = Object.assign(new TypeError('outer', { cause }), { code: 'E_X', field: 'email' });
    const got = across({ e }) as { e: TypeError & { code: string; field: string } };
    expect(got.e).toBeInstanceOf(TypeError);
    expect(got.e).toMatchObject({ message: 'outer', code: 'E_X', field: 'email' });
    expect(got.e.stack).toBe(e.stack);
    expect(got.e.cause).toBeInstanceOf(RangeError);
    const agg = new AggregateError([new Error('a'), new Error('b')], 'both');
    const back = across(agg) as AggregateError;
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.message).toBe('both');
    expect(back.errors.map((x: Error) => x.message)).toEqual(['a', 'b']);
  });
});

describe('an error with own fields that cannot cross', () => {
  it('crosses without those fields (a function, a cycle), as a library error would need', () => {
    const request: Record<string, unknown> = { url: '/x' };
    request.self = request;
    const e = Object.assign(new Error('request failed'), { status: 502, config: { retry: () => 1 }, request });
    const got = across({ e }) as { e: Error & Record<string, unknown> };
    expect(got.e).toMatchObject({ message: 'request failed', status: 502 });
    expect(got.e.config).toBeUndefined();
    expect(got.e.request).toBeUndefined();
  });

  it('an error whose cause is itself crosses, its cause chain cut short', () => {
    const e = new Error('loop') as Error & { cause?: unknown };
    e.cause = e;
    const got = across(e) as Error;
    expect(got.message).toBe('loop');
    let depth = 0;
    for (let c: unknown = got; c instanceof Error && depth < 100; c = c.cause) depth++;
    expect(depth).toBeLessThan(20);
  });
});

describe('values changed as structured clone changes them', () => {
  it('a class instance arrives as a plain object of its own fields', () => {
    class Point { constructor(public x: number, public y: number) {} norm() { return Math.hypot(this.x, this.y); } }
    const got = across(new Point(3, 4));
    expect(got).toEqual({ x: 3, y: 4 });
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });
});

describe('values refused at encode time, with what to do instead', () => {
  const refused: [string, () => unknown, RegExp][] = [
    ['a Promise', () => ({ p: Promise.resolve(1) }), /Promise.*await it/],
    ['a WeakMap', () => [new WeakMap()], /WeakMap/],
    ['a WeakSet', () => new WeakSet(), /WeakSet/],
    ['a boxed string', () => ({ s: new String('x') }), /boxed String/],
    ['a function', () => ({ f: () => 1 }), /function/],
    ['a symbol', () => [Symbol('s')], /symbol/],
    ['a cycle', () => { const o: Record<string, unknown> = { a: { b: 1 } }; (o.a as Record<string, unknown>).back = o; return o; }, /cycle: msg\.a\.back/],
    ['a cycle through a Map', () => { const m = new Map<string, unknown>(); m.set('me', { m }); return { m }; }, /cycle/],
  ];
  it.each(refused)('%s', (_, make, why) => {
    let err: unknown;
    try { codec.encode(make()); } catch (e) { err = e; }
    expect(err).toMatchObject({ name: 'TroupeError', code: 'ERR_TROUPE_UNENCODABLE_MESSAGE' });
    expect((err as Error).message).toMatch(why);
    // The encoder is still good for the next message.
    expect(across({ after: new Map([[1, 2]]) })).toEqual({ after: new Map([[1, 2]]) });
  });

  it('bytes that do not decode throw ERR_TROUPE_UNDECODABLE_MESSAGE', () => {
    expect(() => codec.decode(new Uint8Array([0x92, 0x01]), 0, 2)).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_UNDECODABLE_MESSAGE' }));
  });
});
