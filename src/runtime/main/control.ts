/**
 * main's side of the control plane: comlink over a MessagePort, wrapped with what comlink lacks —
 * a deadline on every call, and rejection of every pending call when the worker dies (a comlink
 * call in flight to a dead worker never settles). Errors come back as data (ControlResult) so
 * their codes survive.
 */
import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { TroupeError, fromWireError } from '../../actors/errors.js';
import type { ControlResult } from '../protocol.js';
import type { HostControl } from '../protocol.js';

type Remote = { [K in keyof HostControl]: (...a: Parameters<HostControl[K]>) => Promise<ControlResult<Awaited<ReturnType<HostControl[K]>>>> }
  & { close(): Promise<void> };

export class ControlClient {
  private readonly remote: Comlink.Remote<Remote>;
  private readonly pending = new Set<(err: Error) => void>();
  private dead: Error | null = null;

  constructor(private readonly port: MessagePort, private readonly label: string) {
    this.remote = Comlink.wrap<Remote>(nodeEndpoint(port));
  }

  /** Calls `method` on the host; rejects after `timeoutMs`, or at once if the host dies. */
  call<K extends keyof HostControl>(method: K, args: Parameters<HostControl[K]>, timeoutMs: number): Promise<Awaited<ReturnType<HostControl[K]>>> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => { clearTimeout(timer); this.pending.delete(fail); reject(err); };
      const timer = setTimeout(() => fail(new TroupeError('ERR_TROUPE_CONTROL_TIMEOUT',
        `${this.label}: ${String(method)} got no answer within ${timeoutMs} ms`, { details: { method, timeoutMs } })), timeoutMs);
      this.pending.add(fail);
      const fn = (this.remote as unknown as Record<string, (...a: unknown[]) => Promise<ControlResult<unknown>>>)[method]!;
      fn(...args).then((r) => {
        if (!this.pending.delete(fail)) return;
        clearTimeout(timer);
        if (r.ok) resolve(r.value as never);
        else reject(fromWireError(r.error));
      }, (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** Asks the host to close (its task then resolves); does not wait. */
  close(): void {
    if (!this.dead) void (this.remote as unknown as { close(): Promise<void> }).close().catch(() => {});
  }

  /** The worker died: every pending and future call rejects with `err`. */
  kill(err: Error): void {
    this.dead = err;
    for (const fail of [...this.pending]) fail(err);
    this.port.close();
  }

  /** Releases the port (after close). */
  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.remote[Comlink.releaseProxy]();
    this.port.close();
  }
}
