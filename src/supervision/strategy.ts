/**
 * Restart strategies (OTP): which children restart when one fails.
 * - one-for-one: only the failed child;
 * - one-for-all: every child;
 * - rest-for-one: the failed child and the children started after it.
 * Children are given in start order; the result keeps that order (they restart in it).
 */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

export const STRATEGIES: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one'];

export function toRestart<C>(strategy: Strategy, children: readonly C[], failed: C): C[] {
  switch (strategy) {
    case 'one-for-one':
      return [failed];
    case 'one-for-all':
      return [...children];
    case 'rest-for-one': {
      const i = children.indexOf(failed);
      return i < 0 ? [failed] : children.slice(i);
    }
  }
}
