/**
 * Raw postMessage baseline, receiving side: a counter on a MessagePort, doing per message what
 * the troupe counter actor does (`count += msg.by`). Runs inside a worker; loaded as compiled JS.
 */

import { workerData } from 'node:worker_threads';
import type { CounterReply, CounterRequest, CounterWorkerData } from './wire.js';

const { port } = workerData as CounterWorkerData;
let count = 0;

port.on('message', (msg: CounterRequest) => {
  if (Array.isArray(msg)) {
    for (const m of msg) count += m.by;
    return;
  }
  switch (msg.type) {
    case 'inc':
      count += msg.by;
      return;
    case 'ping':
      port.postMessage(msg.seq satisfies CounterReply);
      return;
    case 'get':
      port.postMessage(count satisfies CounterReply);
      return;
  }
});
