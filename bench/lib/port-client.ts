/**
 * A MessagePort used as a request/response channel whose far side answers requests in the
 * order it received them (one pending queue, FIFO). Used on both sides of the raw
 * postMessage baselines, main thread and worker alike.
 */

import type { MessagePort } from 'node:worker_threads';

interface Pending<Rep> {
  resolve(value: Rep): void;
  reject(err: Error): void;
}

export class PortClient<Req, Rep> {
  private readonly pending: Pending<Rep>[] = [];

  constructor(private readonly port: MessagePort) {
    port.on('message', (value: Rep) => {
      this.pending.shift()?.resolve(value);
    });
  }

  /** Fire and forget. */
  post(msg: Req): void {
    this.port.postMessage(msg);
  }

  /** Posts `msg` and resolves with the next reply not yet claimed by an earlier request. */
  request(msg: Req): Promise<Rep> {
    return new Promise<Rep>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.port.postMessage(msg);
    });
  }

  /** Rejects every request in flight (the far side died). */
  fail(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  close(): void {
    this.port.close();
  }
}
