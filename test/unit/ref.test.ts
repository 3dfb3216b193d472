import { describe, expect, it } from 'vitest';
import { ActorRef, refTransport, type RefTransport } from '../../src/actors/ref.js';
import { TroupeError } from '../../src/actors/errors.js';

const transport: RefTransport = {
  tell: () => true,
  ask: () => Promise.resolve('answered'),
  ready: () => Promise.resolve(),
};

describe('ActorRef', () => {
  it('is plain data: its transport is not among its keys, in JSON, or in a copy', () => {
    const ref = new ActorRef('/user/a', 1, 7, transport);
    expect(Object.keys(ref)).toEqual(['path', 'thread', 'id', 'node', 'incarnation', 'mark']);
    expect(JSON.parse(JSON.stringify(ref))).toEqual({ path: '/user/a', thread: 1, id: 7 });
    expect(refTransport(ref)).toBe(transport);
    expect(refTransport({ ...ref } as ActorRef)).toBeUndefined();
    expect(structuredClone(ref)).toEqual({ path: '/user/a', thread: 1, id: 7, node: undefined, incarnation: undefined, mark: 0 });
  });

  it('sends through its transport, and a ref troupe did not make refuses with ERR_TROUPE_INVALID_ARGUMENT, not a TypeError', async () => {
    await expect(new ActorRef('/user/a', 1, 7, transport).ask('q')).resolves.toBe('answered');
    for (const forged of [new ActorRef('/user/a', 1, 7, null), Object.create(ActorRef.prototype) as ActorRef]) {
      expect(() => forged.tell('x')).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_INVALID_ARGUMENT' }));
      expect(() => forged.tell('x')).toThrow(TroupeError);
      expect(() => forged.ask('x')).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_INVALID_ARGUMENT' }));
    }
    // A method taken off its ref (no `this`): the same error.
    const { tell } = new ActorRef('/user/a', 1, 7, transport);
    expect(() => tell('x')).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_INVALID_ARGUMENT' }));
  });
});
