/**
 * Savina's PseudoRandom (`edu.rice.habanero.benchmarks.PseudoRandom`), ported exactly so that
 * message patterns (Big's choice of neighbour) match the Java/Scala originals:
 * `value = ((value * 1309) + 13849) & 65535`, default seed 74755,
 * `nextInt(max) = nextInt() % max`, `nextDouble() = 1.0 / (nextLong() + 1)`.
 */

export const SAVINA_SEED = 74755;

export class PseudoRandom {
  private value: number;

  constructor(seed: number = SAVINA_SEED) {
    this.value = seed;
  }

  setSeed(seed: number): void {
    this.value = seed;
  }

  /** The next value, 0 … 65535. (Java's `long`; every value fits a JS number exactly.) */
  nextLong(): number {
    // value * 1309 + 13849 stays below 2^53 for any seed under 6.8e12, so `%` is exact here.
    this.value = (this.value * 1309 + 13849) % 65536;
    return this.value;
  }

  nextInt(max?: number): number {
    const v = this.nextLong();
    return max === undefined ? v : v % max;
  }

  nextDouble(): number {
    return 1.0 / (this.nextLong() + 1);
  }
}
