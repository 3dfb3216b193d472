/**
 * The piscina worker file of host workers. Each runs one long-lived `host` task (it resolves when
 * the system shuts down). Pool actors run elsewhere, on threads of their own (pool-worker.ts).
 */
import { threadId } from 'node:worker_threads';
import { Host } from './host.js';
import type { HostStart } from '../protocol.js';

let host: Host | null = null;

export async function hostTask({ start }: { start: HostStart }): Promise<number> {
  host = new Host(start);
  // A pending Atomics.waitAsync does not keep a thread alive; this handle does, until close.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await host.done;
  } finally {
    clearInterval(keepAlive);
    host = null;
  }
  return threadId;
}
