/**
 * The raw-thread peers, worker side: pairs of workers doing Savina's PingPong and Counting with
 * no actor runtime — over a MessageChannel (`pm-*`) or over two ringbuf.js SPSC rings of int32
 * (`rb-*`, consumers spin on `pop`, as ringbuf.js is meant to be used). The driving worker of a
 * pair times the run itself and posts the answer to main.
 */

import { workerData, type MessagePort } from 'node:worker_threads';
import type { ThreadDone, ThreadRole, ThreadRun } from './thread-wire.js';

const w = workerData as ThreadRole;
// Only the rb-* roles load ringbuf.js, so that the pm-* roles run where it is not installed
// (there it is null, and they never touch it).
const RingBuffer = (w.role.startsWith('rb-') ? (await import('ringbuf.js')).RingBuffer : null) as typeof import('ringbuf.js').RingBuffer;
const now = () => process.hrtime.bigint();

function onRun(control: MessagePort, run: (n: number) => Promise<number> | number): void {
  control.on('message', async ({ n }: ThreadRun) => {
    const t0 = now();
    const answer = await run(n);
    control.postMessage({ elapsedNs: Number(now() - t0), answer } satisfies ThreadDone);
  });
}

/** Resolves with the next message on `port`. */
function next<T>(port: MessagePort): Promise<T> {
  return new Promise((resolve) => port.once('message', resolve));
}

switch (w.role) {
  case 'pm-ping': {
    const { peer } = w;
    onRun(w.control, async (n) => {
      let pongs = 0;
      for (let i = 0; i < n; i++) {
        const reply = next<{ t: string }>(peer);
        peer.postMessage({ t: 'ping' });
        if ((await reply).t === 'pong') pongs++;
      }
      return pongs;
    });
    break;
  }
  case 'pm-pong': {
    const { peer } = w;
    peer.on('message', () => peer.postMessage({ t: 'pong' }));
    break;
  }
  case 'pm-producer': {
    const { peer } = w;
    const inc = { t: 'inc' };
    onRun(w.control, async (n) => {
      for (let i = 0; i < n; i++) peer.postMessage(inc);
      const count = next<number>(peer);
      peer.postMessage({ t: 'retrieve' });
      return count;
    });
    break;
  }
  case 'pm-counter': {
    const { peer } = w;
    let count = 0;
    peer.on('message', (m: { t: string }) => {
      if (m.t === 'inc') count++;
      else {
        peer.postMessage(count);
        count = 0;
      }
    });
    break;
  }
  case 'rb-ping': {
    const out = new RingBuffer(w.out, Int32Array);
    const back = new RingBuffer(w.back, Int32Array);
    const one = new Int32Array(1);
    const { peer } = w;
    onRun(w.control, (n) => {
      peer.postMessage('go');
      let pongs = 0;
      for (let i = 0; i < n; i++) {
        one[0] = 1;
        while (out.push(one) === 0);
        while (back.pop(one) === 0); // spin: the peer answers within microseconds
        if (one[0] === 2) pongs++;
      }
      one[0] = -1; // stop
      while (out.push(one) === 0);
      return pongs;
    });
    break;
  }
  case 'rb-pong': {
    const out = new RingBuffer(w.out, Int32Array);
    const back = new RingBuffer(w.back, Int32Array);
    const one = new Int32Array(1);
    // Spin only while a run is on (from 'go' to the stop value), so idle peers cost no CPU.
    w.peer.on('message', () => {
      for (;;) {
        if (out.pop(one) === 0) continue;
        if (one[0] === -1) break;
        one[0] = 2;
        while (back.push(one) === 0);
      }
    });
    break;
  }
  case 'rb-producer': {
    const out = new RingBuffer(w.out, Int32Array);
    const { peer } = w;
    const one = new Int32Array(1);
    onRun(w.control, async (n) => {
      const count = next<number>(peer);
      peer.postMessage('go');
      one[0] = 1;
      for (let i = 0; i < n; i++) while (out.push(one) === 0);
      one[0] = -1; // retrieve
      while (out.push(one) === 0);
      return count;
    });
    break;
  }
  case 'rb-counter': {
    const out = new RingBuffer(w.out, Int32Array);
    const { peer } = w;
    const buf = new Int32Array(4096);
    let count = 0;
    // Spin only while a run is on (from 'go' to the retrieve value).
    peer.on('message', () => {
      for (;;) {
        const k = out.pop(buf);
        let stop = false;
        for (let i = 0; i < k; i++) {
          if (buf[i] === -1) stop = true;
          else count += buf[i]!;
        }
        if (stop) break;
      }
      peer.postMessage(count);
      count = 0;
    });
    break;
  }
}
