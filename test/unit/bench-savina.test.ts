import { describe, expect, it } from 'vitest';
import { PseudoRandom, SAVINA_SEED } from '../../bench/savina/random.js';
import { EXPECTED, WrongAnswer, assertAnswer, checkAnswer, complement, fibonacci, fjComputation } from '../../bench/savina/answers.js';
import { FULL_PARAMS, QUICK_PARAMS } from '../../bench/savina/params.js';
import { savinaSanitize } from '../../bench/lib/stats.js';

describe('Savina PseudoRandom', () => {
  it('starts from seed 74755 and yields Savina\'s first values: (v * 1309 + 13849) & 65535', () => {
    expect(SAVINA_SEED).toBe(74755);
    const r = new PseudoRandom();
    // Worked by hand from PseudoRandom.java: 74755 * 1309 + 13849 = 97 868 144 = 1493 * 65536 + 22896, ...
    expect([r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong()]).toEqual([22896, 34761, 34014, 39231, 52540, 41445]);
  });

  it('agrees with Java long arithmetic (BigInt) for 10 000 steps from seeds 0, 1, 119 and 74755', () => {
    for (const seed of [0, 1, 119, 74755]) {
      const r = new PseudoRandom(seed);
      let v = BigInt(seed);
      for (let i = 0; i < 10_000; i++) {
        v = (v * 1309n + 13849n) & 65535n;
        expect(r.nextLong()).toBe(Number(v));
      }
    }
  });

  it('nextInt(max) is nextInt() % max and nextDouble() is 1 / (nextLong() + 1), as in Savina', () => {
    const a = new PseudoRandom(7);
    const b = new PseudoRandom(7);
    for (let i = 0; i < 100; i++) expect(a.nextInt(120)).toBe(b.nextLong() % 120);
    const c = new PseudoRandom();
    expect(c.nextDouble()).toBe(1 / (22896 + 1));
  });
});

describe('Savina parameters', () => {
  it('are Savina\'s defaults in a full run', () => {
    expect(FULL_PARAMS.pingpong.n).toBe(40_000);
    expect(FULL_PARAMS.counting.n).toBe(1_000_000);
    expect(FULL_PARAMS.fjthrput).toEqual({ actors: 60, n: 10_000 });
    expect(FULL_PARAMS.fjcreate.n).toBe(40_000);
    expect(FULL_PARAMS.threadring).toEqual({ actors: 100, pings: 100_000 });
    expect(FULL_PARAMS.chameneos).toEqual({ chameneos: 100, meetings: 200_000 });
    expect(FULL_PARAMS.big).toEqual({ actors: 120, pings: 20_000 });
    expect(FULL_PARAMS.fib.n).toBe(25);
    expect(FULL_PARAMS.skynet).toEqual({ leaves: 1_000_000, div: 10 });
    expect(FULL_PARAMS.memory.actors).toBe(1_000_000);
  });
});

describe('answer checks', () => {
  it('Skynet\'s answer at 1M leaves is 499999500000 and fib(25) is 75025', () => {
    expect(EXPECTED.skynet.value(FULL_PARAMS.skynet)).toBe(499_999_500_000);
    expect(fibonacci(25)).toBe(75_025);
    expect(fibonacci(1)).toBe(1);
    expect(fibonacci(2)).toBe(1);
  });

  for (const params of [FULL_PARAMS, QUICK_PARAMS]) {
    for (const name of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
      it(`${name} (${params === FULL_PARAMS ? 'full' : 'quick'}) accepts its answer and rejects a wrong one, a missing one and protocol errors`, () => {
        const p = params[name] as never;
        const right = EXPECTED[name].value(p);
        expect(checkAnswer(name, p, { answer: right })).toBeNull();
        expect(checkAnswer(name, p, { answer: right, errors: 0 })).toBeNull();
        expect(checkAnswer(name, p, { answer: right + 1 })).toMatch(/wrong answer/);
        expect(checkAnswer(name, p, { answer: right - 1 })).toMatch(/wrong answer/);
        expect(checkAnswer(name, p, undefined)).toMatch(/no result/);
        expect(checkAnswer(name, p, { answer: right, errors: 3 })).toMatch(/3 protocol errors/);
        expect(() => assertAnswer(name, p, { answer: right + 1 })).toThrow(WrongAnswer);
      });
    }
  }

  it('expects 2 meetings counted per Chameneos meeting and R + 1 ThreadRing hops', () => {
    expect(EXPECTED.chameneos.value({ chameneos: 100, meetings: 200_000 })).toBe(400_000);
    expect(EXPECTED.threadring.value({ actors: 100, pings: 100_000 })).toBe(100_001);
    expect(EXPECTED.fjthrput.value({ actors: 60, n: 10_000 })).toBe(600_000);
    expect(EXPECTED.big.value({ actors: 120, pings: 20_000 })).toBe(2_400_000);
  });

  it('complements chameneos colours as Savina does: same stays, different gives the third', () => {
    expect(complement(0, 0)).toBe(0);
    expect(complement(0, 1)).toBe(2);
    expect(complement(1, 2)).toBe(0);
    expect(complement(2, 0)).toBe(1);
  });

  it('computes sin(37.2)² and refuses a non-positive result', () => {
    expect(fjComputation(37.2)).toBeCloseTo(Math.sin(37.2) ** 2, 15);
    expect(() => fjComputation(0)).toThrow(/not positive/);
  });
});

describe('Savina\'s ±20 % rule', () => {
  it('drops the rounds outside ±20 % of the median and reports how many it kept', () => {
    expect(savinaSanitize([100, 90, 110, 121, 79, 50, 300])).toEqual({ kept: 3, total: 7, median: 100 });
    expect(savinaSanitize([100, 120, 80])).toEqual({ kept: 3, total: 3, median: 100 });
  });
});
