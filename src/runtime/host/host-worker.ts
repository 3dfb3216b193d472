/**
 * The piscina worker file of host workers. Each runs one long-lived `host` task (it resolves when
 * the system shuts down). Pool actors run elsewhere, on threads of their own (pool-worker.ts).
 */
import { threadId } from 'node:worker_threads';
import { Host } from './host.js';
import type { HostStart } from '../protocol.js';
import type { Tracing } from '../../observability/tracing.js';

let host: Host | null = null;

export async function hostTask({ start }: { start: HostStart }): Promise<number> {
  // Tracing: @opentelemetry/api, and the user's module that registers this worker's tracer provider.
  let tracing: Tracing | null = null;
  if (start.tracing !== null) {
    tracing = await (await import('../../observability/tracing.js')).loadTracing();
    if (start.tracing.setup !== null) await import(start.tracing.setup);
  }
  host = new Host(start, tracing);
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
