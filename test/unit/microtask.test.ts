import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/runtime/microtask.js', import.meta.url).href;

describe('microtask', () => {
  // Regression: a microtask made with a promise's then turned a throw into an unhandled rejection,
  // which a worker's 'unhandledRejection' handler (a library's) swallowed: the pump would stop without a word.
  it('raises what a guarded callback throws as an uncaught exception, past an unhandledRejection handler', () => {
    const script = `
      const { microtask, guarded } = await import(${JSON.stringify(dist)});
      process.on('unhandledRejection', () => console.log('swallowed'));
      process.on('uncaughtException', (err) => { console.log('uncaught ' + err.message); });
      const order = [];
      microtask(() => order.push(1));
      microtask(guarded(() => { throw new Error('boom'); }));
      queueMicrotask(() => order.push(2));
      microtask(() => order.push(3));
      setTimeout(() => console.log(order.join(',')), 10);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim().split('\n');
    expect(out).toEqual(['uncaught boom', '1,2,3']);
  });
});
