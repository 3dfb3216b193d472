import { describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../../src/supervision/clock.js';
import { Backoff, DEFAULT_BACKOFF } from '../../src/supervision/backoff.js';
import { RestartIntensity } from '../../src/supervision/intensity.js';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerTransition } from '../../src/supervision/breaker.js';
import { classify, tagError } from '../../src/supervision/classify.js';
import { defaultDecider } from '../../src/supervision/directive.js';
import { toRestart } from '../../src/supervision/strategy.js';

describe('restart intensity', () => {
  it('allows 3 restarts within 1 s, refuses the 4th, and allows again once the window has moved', () => {
    const r = new RestartIntensity(3, 1000);
    expect([0, 100, 200].map((t) => r.tryRestart(t))).toEqual([true, true, true]);
    expect(r.tryRestart(300)).toBe(false);
    expect(r.tryRestart(999)).toBe(false);
    expect(r.tryRestart(1000)).toBe(true); // the restart at 0 left the window
  });
});

describe('backoff', () => {
  it('doubles from min to max without jitter, and starts over after a quiet period', () => {
    const b = new Backoff({ ...DEFAULT_BACKOFF, minMs: 100, maxMs: 1000, jitter: 0, resetAfterMs: 5000 }, () => 0.5);
    expect([0, 1, 2, 3, 4, 5].map((t) => b.next(t))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.next(5006)).toBe(100);
  });

  it('spreads each delay within ±jitter of the formula, reproducibly from a seed', () => {
    const delays = (seed: number) => {
      const b = new Backoff({ ...DEFAULT_BACKOFF, minMs: 100, maxMs: 100_000, jitter: 0.2 }, seededRandom(seed));
      return [0, 1, 2, 3].map((t) => b.next(t));
    };
    const d = delays(7);
    expect(d).toEqual(delays(7));
    d.forEach((ms, i) => {
      const base = 100 * 2 ** i;
      expect(ms).toBeGreaterThanOrEqual(base * 0.8);
      expect(ms).toBeLessThanOrEqual(base * 1.2);
    });
  });
});

describe('circuit breaker', () => {
  const make = () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const b = new CircuitBreaker({ ...DEFAULT_BREAKER, failureThreshold: 3, windowMs: 1000, resetTimeoutMs: 500, halfOpenProbes: 1, maxResetTimeoutMs: 1500 },
      clock, (t: BreakerTransition) => log.push(`${t.from}>${t.to}@${clock.now()}/${t.resetTimeoutMs}`));
    return { clock, b, log };
  };

  it('opens at the threshold within the window, not for failures spread wider', () => {
    const { clock, b, log } = make();
    b.failure(); clock.advance(600); b.failure(); clock.advance(600); b.failure(); // the first left the window
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.admit()).toBe(false);
    expect(log).toEqual(['closed>open@1200/500']);
  });

  it('turns half-open after the reset timeout, admits one probe, and a success closes it', () => {
    const { clock, b, log } = make();
    for (let i = 0; i < 3; i++) b.failure();
    clock.advance(499);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half-open');
    expect(b.admit()).toBe(true);
    expect(b.admit()).toBe(false); // one probe only
    b.success();
    expect(b.state).toBe('closed');
    expect(log).toEqual(['closed>open@0/500', 'open>half-open@500/500', 'half-open>closed@500/500']);
  });

  it('reopens on a failed probe with a doubled reset timeout, capped', () => {
    const { clock, b, log } = make();
    for (let i = 0; i < 3; i++) b.failure();
    for (const wait of [500, 1000, 1500, 1500]) {
      clock.advance(wait);
      expect(b.state).toBe('half-open');
      expect(b.admit()).toBe(true);
      b.failure();
      expect(b.state).toBe('open');
    }
    expect(log.at(-1)).toBe('half-open>open@4500/1500');
  });

  it('cannot get stuck half-open: a probe that never reports counts as failed', () => {
    const { clock, b } = make();
    for (let i = 0; i < 3; i++) b.failure();
    clock.advance(500);
    expect(b.admit()).toBe(true); // ... and its message is never answered
    clock.advance(500);
    expect(b.state).toBe('open');
    clock.advance(1000);
    expect(b.state).toBe('half-open');
  });
});

describe('classification and the default decider', () => {
  it('classifies by tag, by troupe and Node codes, and by error class', () => {
    expect(classify(tagError(new Error('x'), { category: 'authentication' }))).toEqual({ category: 'authentication', severity: 'error' });
    expect(classify(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).category).toBe('connection');
    expect(classify(Object.assign(new Error('slow'), { code: 'ERR_TROUPE_ASK_TIMEOUT' })).category).toBe('timeout');
    expect(classify(Object.assign(new Error('oom'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }))).toEqual({ category: 'resource-exhaustion', severity: 'fatal' });
    expect(classify(Object.assign(new Error('bad'), { name: 'ValidationError' })).category).toBe('validation');
    expect(classify(new TypeError('x')).category).toBe('processing');
    expect(classify(tagError(new Error('x'), { severity: 'fatal' }))).toEqual({ category: 'processing', severity: 'fatal' });
    expect(classify('a string').category).toBe('unknown');
  });

  it('resumes past poison, stops on configuration and authentication, escalates exhaustion, restarts the rest', () => {
    const d = (category: Parameters<typeof defaultDecider>[0]['category']) =>
      defaultDecider({ category, severity: 'error', error: new Error('x'), actor: '/user/a', retries: 0 });
    expect(['validation', 'serialization'].map((c) => d(c as never))).toEqual(['resume', 'resume']);
    expect(['configuration', 'authentication'].map((c) => d(c as never))).toEqual(['stop', 'stop']);
    expect(d('resource-exhaustion')).toBe('escalate');
    expect(['connection', 'processing', 'timeout', 'mailbox-overflow', 'unknown'].map((c) => d(c as never))).toEqual(Array(5).fill('restart'));
  });
});

describe('strategies', () => {
  const kids = ['a', 'b', 'c', 'd'];
  it('restart exactly the siblings they should, in start order', () => {
    expect(toRestart('one-for-one', kids, 'b')).toEqual(['b']);
    expect(toRestart('one-for-all', kids, 'b')).toEqual(['a', 'b', 'c', 'd']);
    expect(toRestart('rest-for-one', kids, 'b')).toEqual(['b', 'c', 'd']);
  });
});
