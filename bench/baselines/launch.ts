/**
 * Main-thread side of the raw postMessage baselines: starts the baseline workers (compiled JS,
 * next to this file) with their MessageChannels, and fails pending requests if a worker dies
 * (a Worker with no 'error' listener would take the bench process down with it).
 */

import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { PortClient } from '../lib/port-client.js';
import type {
  CounterReply,
  CounterRequest,
  CounterWorkerData,
  SourceDone,
  SourceRun,
  SourceWorkerData,
} from './wire.js';

export interface Launched<Req, Rep> {
  client: PortClient<Req, Rep>;
  terminate(): Promise<void>;
}

interface Started {
  /** Terminates the worker; its exit is then expected and not reported as a death. */
  stop(): Promise<void>;
}

function start(
  file: string,
  workerData: unknown,
  transferList: MessagePort[],
  onDeath: (err: Error) => void,
): Promise<Started> {
  const worker = new Worker(new URL(file, import.meta.url), { workerData, transferList });
  let stopping = false;
  worker.on('error', (err) => onDeath(err));
  worker.on('exit', (code) => {
    if (!stopping) onDeath(new Error(`${file} exited with code ${code}`));
  });
  const started: Started = {
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
  return new Promise((resolve, reject) => {
    worker.once('online', () => resolve(started));
    worker.once('error', reject);
  });
}

/** One counter.worker, reached from the main thread over a MessageChannel. */
export async function launchCounter(): Promise<Launched<CounterRequest, CounterReply>> {
  const { port1, port2 } = new MessageChannel();
  const client = new PortClient<CounterRequest, CounterReply>(port1);
  const worker = await start('./counter.worker.js', { port: port2 } satisfies CounterWorkerData, [port2], (e) =>
    client.fail(e),
  );
  return {
    client,
    async terminate() {
      client.close();
      await worker.stop();
    },
  };
}

/** A source.worker and a counter.worker joined by their own MessageChannel; the main thread drives the source. */
export async function launchSourceSink(): Promise<Launched<SourceRun, SourceDone>> {
  const control = new MessageChannel();
  const link = new MessageChannel();
  const client = new PortClient<SourceRun, SourceDone>(control.port1);
  const fail = (e: Error) => client.fail(e);
  const sink = await start('./counter.worker.js', { port: link.port2 } satisfies CounterWorkerData, [link.port2], fail);
  const source = await start(
    './source.worker.js',
    { control: control.port2, peer: link.port1 } satisfies SourceWorkerData,
    [control.port2, link.port1],
    fail,
  );
  return {
    client,
    async terminate() {
      client.close();
      await Promise.all([source.stop(), sink.stop()]);
    },
  };
}
