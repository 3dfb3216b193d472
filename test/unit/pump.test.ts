import { describe, expect, it } from 'vitest';
import { Doorbell, allocateDoorbell } from '../../src/runtime/mesh/doorbell.js';
import { Pump, type PumpWork } from '../../src/runtime/mesh/pump.js';
import { DEFAULT_TUNING } from '../../src/runtime/main/system-options.js';

/** A pump on a worker thread (thread 1) whose reads are scripted: `reads[i]` runs as turn i + 1's read; `idled` once the last has. */
function scripted(reads: ((pump: Pump) => number)[]) {
  const log: string[] = [];
  let turn = 0;
  let idle: () => void = () => {};
  const idled = new Promise<void>((resolve) => { idle = resolve; });
  const work: PumpWork = {
    read: () => {
      const step = reads[turn++];
      if (step === undefined) return 0;
      log.push(`turn ${turn}`);
      const did = step(pump);
      if (turn === reads.length) idle();
      return did;
    },
    work: () => 0,
    hasWork: () => false,
    flush: () => false,
    anyInput: () => false,
    armSpaceRequests: () => false,
    unstick: () => false,
  };
  // spinMs 0: an idle turn parks at once (nothing to poll for in a test).
  const pump: Pump = new Pump(1, { ...DEFAULT_TUNING, spinMs: 0 }, new Doorbell(allocateDoorbell()), work);
  return { pump, log, idled };
}

describe('pump', () => {
  it('runs the turn a busy turn asked for as a microtask, not after a round of the event loop', async () => {
    const { pump, log, idled } = scripted([
      (p) => {
        setImmediate(() => log.push('event loop'));
        // What a record read does: its actor becomes runnable, and the host asks for a turn.
        p.schedule();
        return 1;
      },
      () => 1,
      () => 0,
    ]);
    pump.schedule();
    await idled;
    pump.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['turn 1', 'turn 2', 'turn 3', 'event loop']);
  });

  it('still comes back for a turn asked for during one that found nothing to do', async () => {
    let asked = false;
    const { pump, log, idled } = scripted([
      () => 1,
      (p) => { asked = true; p.schedule(); return 0; },
      () => 0,
    ]);
    pump.schedule();
    await idled;
    pump.stop();
    expect(asked).toBe(true);
    expect(log).toEqual(['turn 1', 'turn 2', 'turn 3']);
  });
});
