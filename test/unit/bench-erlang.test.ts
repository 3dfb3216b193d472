// The Erlang/OTP peer of the Savina suite (bench/peers/savina.erl): every benchmark, with --quick's
// parameters, gives the answer the suite checks. Skipped (with a line) where erl is not installed.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ERLANG_PEER } from '../../bench/peers/erlang.js';
import { EXPECTED, type CheckedName } from '../../bench/savina/answers.js';
import { QUICK_PARAMS } from '../../bench/savina/params.js';

const haveErl = spawnSync('erl', ['-noshell', '-eval', 'halt().'], { timeout: 30_000 }).status === 0;
if (!haveErl) console.warn('\n*** SKIPPING the Erlang peer tests: erl is not installed (apt-get install erlang) ***\n');

describe.skipIf(!haveErl)('the Erlang/OTP Savina peer', () => {
  it('runs every benchmark and gives the checked answer', async () => {
    expect(ERLANG_PEER.version).toMatch(/^OTP \d+/);
    for (const name of Object.keys(EXPECTED) as CheckedName[]) {
      const params = name === 'skynet' ? { leaves: 10_000, div: 10 } : QUICK_PARAMS[name];
      const { variant, close } = await ERLANG_PEER.prepare(name, params as never);
      try {
        // round() checks the answer (it throws WrongAnswer otherwise).
        const { ms } = await variant.round();
        expect(ms, name).toBeGreaterThan(0);
      } finally {
        await close();
      }
    }
  });
});

describe('the Erlang/OTP peer without erl', () => {
  it('is listed, and says how to add it when erl is missing', () => {
    if (haveErl) expect(ERLANG_PEER.skip).toEqual({});
    else expect(Object.values(ERLANG_PEER.skip)[0]).toMatch(/apt-get install erlang/);
  });
});
