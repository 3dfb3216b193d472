/**
 * Raw postMessage baseline for worker -> worker: on `run`, sends n incs to a sink worker over a
 * MessagePort between the two workers, then asks the sink for its count; the time is taken in
 * this worker, from the first send to the count's arrival (the sink answers in order, so the
 * count includes every inc sent before the get).
 */

import { workerData } from 'node:worker_threads';
import { PortClient } from '../lib/port-client.js';
import type { CounterReply, CounterRequest, IncMsg, SourceDone, SourceRun, SourceWorkerData } from './wire.js';

const { control, peer } = workerData as SourceWorkerData;
const sink = new PortClient<CounterRequest, CounterReply>(peer);

control.on('message', async (msg: SourceRun) => {
  const { n, batch } = msg;
  const t0 = process.hrtime.bigint();
  if (batch <= 1) {
    for (let i = 0; i < n; i++) sink.post({ type: 'inc', by: 1, id: 7 });
  } else {
    for (let i = 0; i < n; i += batch) {
      const len = Math.min(batch, n - i);
      const arr: IncMsg[] = new Array(len);
      for (let j = 0; j < len; j++) arr[j] = { type: 'inc', by: 1, id: 7 };
      sink.post(arr);
    }
  }
  const count = await sink.request({ type: 'get' });
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  control.postMessage({ type: 'done', elapsedNs, count } satisfies SourceDone);
});
