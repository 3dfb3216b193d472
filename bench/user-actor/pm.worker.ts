/**
 * The --actor suite's postMessage baseline, worker side: a source that runs the scenarios with
 * the user's messages, and a sink that only counts them and answers (no handler runs), joined by
 * a MessageChannel. What moving the same messages between two threads costs, without a runtime.
 */

import { workerData } from 'node:worker_threads';
import { PortClient } from '../lib/port-client.js';
import { benchMessages, type BenchExports } from './messages.js';
import { runScenario, type Channel } from './scenarios.js';
import type { PmRole, Scenario } from './wire.js';

const w = workerData as PmRole;

if (w.role === 'sink') {
  const { peer, replyEvery, batched } = w;
  let count = 0;
  peer.on('message', (m: unknown) => {
    count += batched ? (m as unknown[]).length : 1;
    if (count === replyEvery) {
      count = 0;
      peer.postMessage(0);
    }
  });
} else {
  const { control, batch } = w;
  const messages = benchMessages((await import(w.module)) as BenchExports);
  const sink = new PortClient<unknown, unknown>(w.peer);
  const ch: Channel =
    batch <= 1
      ? {
          tellAll(n, message) {
            for (let i = 0; i < n; i++) sink.post(message(i));
          },
          ask: (msg) => sink.request(msg),
        }
      : {
          // Arrays of `batch` messages, and the ask as an array of one: the sink counts elements.
          tellAll(n, message) {
            for (let i = 0; i < n; i += batch) {
              const len = Math.min(batch, n - i);
              const arr: unknown[] = new Array(len);
              for (let j = 0; j < len; j++) arr[j] = message(i + j);
              sink.post(arr);
            }
          },
          ask: (msg) => sink.request([msg]),
        };
  control.on('message', async (s: Scenario) => {
    control.postMessage(await runScenario(s, messages, ch));
  });
}
