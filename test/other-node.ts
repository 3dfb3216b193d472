// The other node of the bridge tests: a child process with its own actor system
// (test/fixtures/remote-node.ts), driven over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixture } from './helpers.js';

export class OtherNode {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  readonly exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: { message: string; code?: string } }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(Object.assign(new Error(m.error!.message), { code: m.error!.code }));
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`node exited (${code})`));
      resolve(code);
    }));
  }

  /**
   * Starts a node process: `fixture` (default 'remote-node', with its actors; 'bare-node' has
   * none), `options` merged into its system's options. Rejects with the system's error (and its
   * code) if it could not start.
   */
  static async start(url: string, node: string, o: { fixture?: string; options?: Record<string, unknown> } = {}): Promise<OtherNode> {
    const script = fileURLToPath(fixture(o.fixture ?? 'remote-node'));
    const env = { ...process.env, NATS_URL: url, NODE_ID: node, SYSTEM_OPTIONS: JSON.stringify(o.options ?? {}) };
    const proc = fork(script, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const other = new OtherNode(proc);
    await new Promise<void>((resolve, reject) => {
      proc.once('message', (m: { ready?: boolean; error?: { message: string; code?: string } }) => {
        if (m.ready === false) reject(Object.assign(new Error(m.error!.message), { code: m.error!.code }));
        else resolve();
      });
      proc.once('exit', (code) => reject(new Error(`node ${node} exited with ${code} before it was ready`)));
    });
    return other;
  }

  call<T = unknown>(cmd: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, ...cmd });
    });
  }

  /** Shuts the node down; kills it if that takes more than 20 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20_000);
    await this.call({ cmd: 'shutdown' }).catch(() => {});
    await this.exited;
    clearTimeout(timer);
  }
}

