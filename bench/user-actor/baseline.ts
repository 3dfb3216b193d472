/**
 * The --actor suite's postMessage baseline, main side: a source and a sink worker (pm.worker.ts)
 * joined by their own MessageChannel; main hands the source one scenario round at a time. A
 * worker that dies fails the round in flight (without an 'error' listener it would take the
 * bench process down).
 */

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { UserActor } from './module.js';
import type { PmRole, RoundResult, Scenario } from './wire.js';

const WORKER = new URL('./pm.worker.js', import.meta.url);

/** A running source and sink pair. */
export interface Baseline {
  round(s: Scenario): Promise<RoundResult>;
  close(): Promise<void>;
}

/**
 * A source posting the user's messages, `batch` per postMessage (1: one each), to a sink that
 * answers after every `replyEvery` messages.
 */
export async function launchBaseline(actor: UserActor, batch: number, replyEvery: number): Promise<Baseline> {
  const control = new MessageChannel();
  const link = new MessageChannel();
  let death: Error | undefined;
  let pending: ((err: Error) => void) | undefined;
  const start = (data: PmRole, transferList: MessagePort[]) => {
    const w = new Worker(WORKER, { workerData: data, transferList });
    w.on('error', (err) => {
      death ??= err;
      pending?.(err);
    });
    return w;
  };
  const workers = [
    start({ role: 'sink', replyEvery, batched: batch > 1, peer: link.port2 }, [link.port2]),
    start({ role: 'source', module: actor.url.href, batch, control: control.port2, peer: link.port1 }, [control.port2, link.port1]),
  ];
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('online', resolve);
    w.once('error', reject);
  })));
  return {
    round(s) {
      if (death !== undefined) return Promise.reject(death);
      return new Promise<RoundResult>((resolve, reject) => {
        pending = reject;
        control.port1.once('message', (r: RoundResult) => {
          pending = undefined;
          resolve(r);
        });
        control.port1.postMessage(s);
      });
    },
    async close() {
      control.port1.close();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
