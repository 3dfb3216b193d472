/**
 * The supervision decisions main makes, as pure functions on an injected clock: which top-level
 * actors restart after their worker died (root-restarts.ts), which hosts are runaways
 * (runaways.ts), and health from the facts gathered (health.ts).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/supervision/clock.js';
import { RestartIntensity } from '../../src/supervision/intensity.js';
import { rootRestarts, type RootChild } from '../../src/supervision/root-restarts.js';
import { runaways } from '../../src/supervision/runaways.js';
import { judgeHealth, type HealthFacts } from '../../src/supervision/health.js';

type Child = RootChild & { name: string };
const child = (name: string, restart: Child['restart'], maxRestarts = 3, withinMs = 5000, stopping = false): Child =>
  ({ name, restart, intensity: new RestartIntensity(maxRestarts, withinMs), stopping });
const names = (cs: Child[]) => cs.map((c) => c.name);

describe('root restarts after a worker death', () => {
  it('restarts permanent and transient actors, not temporary ones nor those being stopped', () => {
    const clock = new ManualClock();
    const cs = [child('p', 'permanent'), child('t', 'transient'), child('tmp', 'temporary'), child('s', 'permanent', 3, 5000, true)];
    const d = rootRestarts(cs, undefined, clock.now());
    expect(names(d.restart)).toEqual(['p', 't']);
    expect(names(d.temporary)).toEqual(['tmp']);
    expect(d.escalate).toEqual([]);
  });

  it('charges only the blamed actor: its siblings restart however often the worker dies', () => {
    const clock = new ManualClock();
    const culprit = child('culprit', 'permanent', 2, 5000);
    const bystander = child('bystander', 'permanent', 2, 5000);
    for (let k = 0; k < 2; k++) {
      expect(names(rootRestarts([culprit, bystander], culprit, clock.now()).restart)).toEqual(['culprit', 'bystander']);
      clock.advance(100);
    }
    const third = rootRestarts([culprit, bystander], culprit, clock.now());
    expect(names(third.escalate)).toEqual(['culprit']);
    expect(names(third.restart)).toEqual(['bystander']);
    expect(bystander.intensity.recent).toBe(0);
  });

  it('with nothing to blame, charges every actor; the window forgets old deaths', () => {
    const clock = new ManualClock();
    const a = child('a', 'permanent', 1, 1000);
    const b = child('b', 'transient', 1, 1000);
    expect(names(rootRestarts([a, b], undefined, clock.now()).restart)).toEqual(['a', 'b']);
    clock.advance(999);
    expect(names(rootRestarts([a, b], undefined, clock.now()).escalate)).toEqual(['a', 'b']);
    clock.advance(1);
    expect(names(rootRestarts([a, b], undefined, clock.now()).restart)).toEqual(['a', 'b']);
  });
});

describe('runaway hosts', () => {
  it('finds hosts whose heartbeat is older than maxHandlerMs, and no others', () => {
    const clock = new ManualClock();
    clock.advance(10_000);
    const now = clock.now();
    const hosts = [
      { id: 1, beat: now - 50, watched: true },
      { id: 2, beat: now - 150, watched: true },
      { id: 3, beat: now - 100, watched: true }, // exactly at the limit: not yet
      { id: 4, beat: now - 500, watched: false }, // already being terminated
      { id: 5, beat: 0, watched: true }, // has not beaten yet
    ];
    expect(runaways(hosts, now, 100)).toEqual([{ host: hosts[1], blockedMs: 150 }]);
  });
});

describe('health from facts', () => {
  const calm: HealthFacts = {
    state: 'running', liveWorkers: 2, deadWorkers: 0, stuckWorkers: 0, escalated: false, restarted: false, failed: false,
    replaced: 0, openBreakers: 0, windowDeadLetters: 0, windowHandled: 0, wedgedLinks: [], critical: [], degraded: [],
  };

  it('is healthy with nothing to say, and stopped once shut down whatever else holds', () => {
    expect(judgeHealth(calm)).toEqual({ status: 'healthy', reasons: [] });
    expect(judgeHealth({ ...calm, state: 'stopping', deadWorkers: 3 })).toEqual({ status: 'stopped', reasons: ['the system is shutting down'] });
    expect(judgeHealth({ ...calm, state: 'stopped' }).status).toBe('stopped');
  });

  it('is critical with no live worker, a dead or stuck one, a wedged link or an escalation, and says each', () => {
    for (const f of [{ liveWorkers: 0 }, { deadWorkers: 1 }, { stuckWorkers: 1 }, { wedgedLinks: ['a wedged link'] }, { escalated: true }, { critical: ['a pool'] }]) {
      const h = judgeHealth({ ...calm, ...f });
      expect(h.status).toBe('critical');
      expect(h.reasons).toHaveLength(1);
    }
  });

  it('is degraded by a recent restart, failure, replaced worker or open breaker', () => {
    for (const f of [{ restarted: true }, { failed: true }, { replaced: 1 }, { openBreakers: 2 }, { degraded: ['NATS unreachable'] }]) {
      expect(judgeHealth({ ...calm, ...f }).status).toBe('degraded');
    }
    // A restart says so; the failure that caused it is not said twice.
    expect(judgeHealth({ ...calm, restarted: true, failed: true }).reasons).toEqual(['an actor restarted recently']);
  });

  it('is degraded by dead letters only past 1 % of what was handled in the window, and at least 100', () => {
    expect(judgeHealth({ ...calm, windowDeadLetters: 99, windowHandled: 99 }).status).toBe('healthy');
    expect(judgeHealth({ ...calm, windowDeadLetters: 100, windowHandled: 10_000 }).status).toBe('healthy');
    expect(judgeHealth({ ...calm, windowDeadLetters: 101, windowHandled: 10_000 }).status).toBe('degraded');
    expect(judgeHealth({ ...calm, windowDeadLetters: 100, windowHandled: 100 }).reasons[0]).toMatch(/^100 of 100 message/);
  });
});
