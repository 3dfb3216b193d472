import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, TroupeError, fromWireError, toWireError } from '../../src/index.js';

describe('errors', () => {
  it('documents exactly the codes the code defines (docs/errors.md)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(ERR_TROUPE_[A-Z_]+)`/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('rebuilds a TroupeError from its wire form with code, details and cause', () => {
    const err = new TroupeError('ERR_TROUPE_MAILBOX_FULL', 'full', { details: { capacity: 5 }, cause: new RangeError('inner') });
    const back = fromWireError(structuredClone(toWireError(err)));
    expect(back).toBeInstanceOf(TroupeError);
    expect(back).toMatchObject({ code: 'ERR_TROUPE_MAILBOX_FULL', message: 'full', details: { capacity: 5 } });
    expect(back.cause).toMatchObject({ name: 'RangeError', message: 'inner' });
  });

  it("keeps a user error's name, code and own fields, and survives odd throws", () => {
    const e = Object.assign(new Error('nope'), { name: 'PaymentDeclined', code: 'E_DECLINED', amount: 12 });
    expect(fromWireError(toWireError(e))).toMatchObject({ name: 'PaymentDeclined', message: 'nope', code: 'E_DECLINED', amount: 12 });
    expect(fromWireError(toWireError('a string'))).toMatchObject({ message: 'a string' });
    const cyclic: Error & { cause?: unknown } = new Error('loop');
    cyclic.cause = cyclic;
    expect(() => toWireError(cyclic)).not.toThrow();
  });
});
