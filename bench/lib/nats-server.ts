// A real nats-server on a free loopback port with a temp store dir, stopped by PID: for one test
// file (test/nats-server.ts adds the CI rule) or one bench suite (bench/bridge/suite.ts). It lives
// under bench/ because the bench ships in the package and needs it there.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** The nats-server binary: a Debian path, else the first on PATH; null when there is none. */
export function natsServerBinary(): string | null {
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface ServerOptions {
  /** The server's max_payload (bytes); its default is 1 MiB. */
  maxPayload?: number;
  /** More server configuration, in its config-file syntax (an `authorization { ... }` block, say). */
  config?: string;
}

export class NatsServer {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number, readonly storeDir: string, private readonly bin: string, private readonly options: ServerOptions) {}

  static async start(options: ServerOptions = {}): Promise<NatsServer> {
    const server = await NatsServer.create(options);
    await server.run();
    return server;
  }

  /** A server with its port and store chosen, not running yet (`run()` starts it). */
  static async create(options: ServerOptions = {}): Promise<NatsServer> {
    const bin = natsServerBinary();
    if (bin === null) throw new Error('nats-server is not installed: apt-get install nats-server');
    return new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'troupe-nats-')), bin, { ...options });
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  /** Starts (or restarts) the server on the same port and store. */
  async run(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    const conf = this.writeConfig();
    // With a config file, JetStream and its store are set there (see writeConfig).
    args.push(...(conf !== null ? ['-c', conf] : ['-js', '-sd', this.storeDir]));
    const proc = spawn(this.bin, args, { stdio: 'ignore' });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    // Bounded: 200 tries, 25 ms apart (5 s).
    for (let i = 0; i < 200; i++) {
      if (await accepts(this.port)) return;
      if (proc.exitCode !== null) throw new Error(`nats-server exited with code ${proc.exitCode}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`nats-server did not accept connections on ${this.port} within 5 s`);
  }

  /** Writes the config file (in the store dir) if there is anything to configure; returns its path. */
  private writeConfig(): string | null {
    if (this.options.maxPayload === undefined && this.options.config === undefined) return null;
    // Only a config file sets max_payload (no command-line flag).
    const conf = join(this.storeDir, 'server.conf');
    const maxPayload = this.options.maxPayload !== undefined ? `max_payload: ${this.options.maxPayload}\n` : '';
    // JetStream in the file, not on the command line: a reload (SIGHUP) applies the file, and
    // one without it turns JetStream off (and the server refuses store_dir in both places).
    const jetstream = `jetstream { store_dir: ${JSON.stringify(this.storeDir)} }\n`;
    writeFileSync(conf, maxPayload + jetstream + (this.options.config ?? ''));
    return conf;
  }

  /**
   * Replaces the `config` option and, if the server runs, has it reload its config (SIGHUP). It
   * must have started with one. Clients that the new authorization refuses are disconnected.
   */
  reload(config: string): void {
    if (this.options.config === undefined && this.options.maxPayload === undefined) throw new Error('reload() needs a server started with a config');
    this.options.config = config;
    this.writeConfig();
    if (this.proc !== null && this.proc.exitCode === null) this.signal('SIGHUP');
  }

  /** Sends `signal` to the server's PID. */
  signal(signal: NodeJS.Signals): void {
    if (this.proc?.pid) process.kill(this.proc.pid, signal);
  }

  /** kill -9, and waits for the process to be gone. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Stops the server (SIGTERM by PID, then SIGKILL after 5 s) and removes its store. */
  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.signal('SIGCONT');
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
