/** The piscina peer's task: one Fork-Join computation (`sin(37.2)²`), or an echo (PingPong). */

import { FJ_THETA, fjComputation } from '../savina/answers.js';

export default function task(kind: 'fj' | 'ping'): number {
  return kind === 'fj' ? (fjComputation(FJ_THETA) > 0 ? 1 : 0) : 1;
}
