/** Describes the machine a run happened on, for the header of RESULTS.md. */

import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { MachineInfo } from './types.js';

function cpuinfoField(text: string, field: string): string | undefined {
  const m = new RegExp(`^${field}\\s*:\\s*(.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model.trim() || 'unknown CPU';
  let virtualized = false;
  try {
    // Hypervisors often hide the marketing name ("AMD EPYC"); family/model pin the generation.
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const family = cpuinfoField(text, 'cpu family');
    const model = cpuinfoField(text, 'model');
    if (family !== undefined && model !== undefined) cpuModel += ` (family ${family}, model ${model})`;
    virtualized = /^flags\s*:.*\bhypervisor\b/m.test(text);
  } catch {
    // Not Linux: the os.cpus() name is all we have.
  }
  return {
    cpuModel,
    cores: os.availableParallelism(),
    virtualized,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    nodeFlags: process.execArgv.filter((a) => a.startsWith('--')),
  };
}

/**
 * Machine-wide busy CPU seconds (all processes) and this process's own, at one instant. Its own
 * counts the bench's child processes that have ended (the Erlang VM, the memory suite's
 * processes, the bridge suite's NATS server): they are the run, not other work on the machine.
 */
export interface CpuSnapshot {
  busyS: number | null;
  ownS: number;
  wallS: number;
}

export function cpuSnapshot(): CpuSnapshot {
  const own = process.cpuUsage();
  let busyS: number | null = null;
  try {
    // First line: "cpu  user nice system idle iowait irq softirq steal ..." in USER_HZ (100 per second on Linux).
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = f;
    busyS = (user + nice + system + irq + softirq) / 100;
  } catch {
    // Not Linux.
  }
  return { busyS, ownS: (own.user + own.system) / 1e6 + endedChildrenS(), wallS: performance.now() / 1e3 };
}

/** CPU seconds of this process's children that have ended and been waited for (Linux; else 0). */
function endedChildrenS(): number {
  try {
    // After the command's name (in parentheses, which may hold spaces): state is field 3, cutime 16, cstime 17.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return ((f[13] ?? 0) + (f[14] ?? 0)) / 100;
  } catch {
    return 0;
  }
}

/** Average cores kept busy by other processes between two snapshots (null where unknown). */
export function otherCpuCores(a: CpuSnapshot, b: CpuSnapshot): number | null {
  if (a.busyS === null || b.busyS === null || b.wallS <= a.wallS) return null;
  const other = b.busyS - a.busyS - (b.ownS - a.ownS);
  return Math.max(0, other) / (b.wallS - a.wallS);
}
