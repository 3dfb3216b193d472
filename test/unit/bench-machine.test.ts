import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSnapshot } from '../../bench/lib/machine.js';

describe('the bench\'s CPU accounting', () => {
  // Regression: the Erlang VM's CPU (and any child process's) was reported as other work on the machine.
  it.runIf(process.platform === 'linux')('counts the CPU of its child processes as its own', () => {
    const a = cpuSnapshot();
    const script = 'let s = 0; for (let i = 0; i < 5e7; i++) s += i; const u = process.cpuUsage(); console.log((u.user + u.system) / 1e6)';
    const childS = Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
    const b = cpuSnapshot();
    expect(childS).toBeGreaterThan(0.1);
    // Clock ticks are 10 ms: what the child used, give or take a few.
    expect(b.ownS - a.ownS).toBeGreaterThan(childS - 0.05);
  });
});
