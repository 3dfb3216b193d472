/**
 * This node's connection to NATS, on main's event loop (actors never block it): connecting (with
 * the configured credentials), claiming the node id, setting up (streams.ts), and following the
 * connection's status for as long as it lasts.
 *
 * Start: our own loop until the first connection (nats.js retries only a connection it once had);
 * after it, the client reconnects, forever. `start()` waits up to `connectTimeoutMs`, then the
 * node goes on degraded and connects in the background. Credentials the server refuses fail
 * `start()` (ERR_TROUPE_NATS_AUTH); refused later, they are retried (the server's settings may be
 * what gets fixed), and `refused` says so meanwhile.
 *
 * Node id: after connecting, a ping on this node's id (ping.ts): if a running node answers, the
 * id is taken (ERR_TROUPE_NODE_ID_TAKEN) and this one closes its connection and does not join.
 * Else it answers pings itself.
 *
 * Status: `connected` is true while connected and set up. A disconnect and a reconnect are told
 * to `ConnectionEvents`; after a reconnect the set-up is checked again (the server may have come
 * back without its store).
 */
import {
  AuthorizationError, UserAuthenticationExpiredError, connect, credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator,
  type Authenticator, type NatsConnection, type Subscription,
} from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { TroupeError } from '../actors/errors.js';
import type { BridgeConfig, Names } from './config.js';
import type { ExposedName } from './names.js';
import { answerPings, ping } from './ping.js';
import { openNamesBucket, setUpStreams } from './streams.js';

/** What the outbox, the inbox and the backstop see of the connection. */
export interface Link {
  /** Connected and set up: publishing and reading may go on. */
  readonly connected: boolean;
  /** The bridge is closing: nothing new starts. */
  readonly closing: boolean;
  /** The connection (null until the first connect). */
  readonly nc: NatsConnection | null;
  /** JetStream on it (null until it is set up). */
  readonly js: JetStreamClient | null;
  readonly jsm: JetStreamManager | null;
}

/** What the connection tells the rest of the bridge (remote.ts). */
export interface ConnectionEvents {
  /** Connected and set up (`up`), or the connection dropped. */
  connected(up: boolean): void;
  /** The first set-up is done (after `connected(true)`): what waited for it starts. Awaited: its failure is the set-up's. */
  ready(kv: KV): Promise<void>;
  /** Back after a drop (after `connected`; the set-up is checked again meanwhile): what waited may go. */
  reconnected(): void;
}

export class Connection implements Link {
  connected = false;
  closing = false;
  nc: NatsConnection | null = null;
  js: JetStreamClient | null = null;
  jsm: JetStreamManager | null = null;
  /** Set up: streams, consumer and bucket exist. */
  ready = false;
  /** Resolves when the first set-up is done (or never, if NATS never comes). */
  readonly whenReady: Promise<void>;
  /** Why this node did not join: its node id is another running node's (ERR_TROUPE_NODE_ID_TAKEN). */
  idTaken: string | null = null;
  /** Refusals of our credentials since we were last connected (the server is up, and says no). */
  private refusals = 0;
  private kv: KV | null = null;
  /** While start() waits: how the connect loop fails it (refused credentials, a node id taken). */
  private failStart: ((err: TroupeError) => void) | null = null;
  private readyResolve!: () => void;
  private pingSub: Subscription | null = null;
  private connecting: Promise<void> | null = null;

  constructor(private readonly config: BridgeConfig, private readonly names: Names, private readonly log: Logger, private readonly events: ConnectionEvents) {
    this.whenReady = new Promise((r) => { this.readyResolve = r; });
  }

  /** Whether the server is up but refuses this node's credentials (since it was last connected). */
  get refused(): boolean {
    return !this.connected && this.refusals > 0;
  }

  /**
   * Connects and sets up; waits up to connectTimeoutMs, then goes on in the background (degraded).
   * Throws ERR_TROUPE_NATS_AUTH if the server refuses the credentials meanwhile, and
   * ERR_TROUPE_NODE_ID_TAKEN if a running node has this node id: mistakes in the configuration,
   * not outages to wait out.
   */
  async start(): Promise<void> {
    const failed = new Promise<never>((_, reject) => { this.failStart = reject; });
    failed.catch(() => {});
    this.connecting = this.connectAndSetUp().catch((err) => {
      if (!this.closing) this.log.error({ err }, 'NATS bridge: set-up failed');
    });
    const timeout = new Promise<void>((r) => setTimeout(r, this.config.connectTimeoutMs).unref());
    try {
      await Promise.race([this.whenReady, timeout, failed]);
    } finally {
      this.failStart = null;
    }
    if (!this.ready) this.log.warn({ servers: this.config.servers }, 'NATS not reachable yet: running degraded; remote messages wait in the outbox');
  }

  private async connectAndSetUp(): Promise<void> {
    const c = this.config;
    // Our own loop for the first connection (it stops when we close); after it, the client's
    // reconnects, forever.
    for (let attempt = 0; ; attempt++) {
      if (this.closing) return;
      try {
        this.nc = await connect({
          servers: c.servers,
          name: `troupe-${c.node}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          pingInterval: 10_000,
          // nats.js would otherwise build an Error, stack trace and all, for every request up front
          // (a third of the CPU in a profile of at-least-once tells): its stack would only show our loop.
          noAsyncTraces: true,
          inboxPrefix: `_INBOX_${c.node}`,
          // Otherwise two refusals in a row while reconnecting (credentials revoked, say) close
          // the connection for good, and the node would stay degraded after they are restored.
          ignoreAuthErrorAbort: true,
          authenticator: authenticator(c.auth),
          ...(c.tls ? { tls: c.tls } : {}),
        });
        break;
      } catch (err) {
        if (refusedCredentials(err)) {
          // The server is there and said no: during start-up, that is the caller's to fix (the
          // same credentials will not do better). After it (we started degraded), keep trying:
          // the server's settings may be what gets fixed.
          const how = c.auth.creds !== undefined ? 'nats.creds' : c.auth.nkey !== undefined ? 'nats.nkey' : c.auth.token !== undefined ? 'nats.token' : c.auth.user !== undefined ? 'nats.user/pass' : 'no credentials';
          const refusal = new TroupeError('ERR_TROUPE_NATS_AUTH', `NATS at ${c.servers.join(', ')} refused the connection (${(err as Error).message}) with ${how}; check them against the server's authorization settings`, { cause: err });
          if (this.failStart !== null) { this.failStart(refusal); return; }
          this.noteRefusal(refusal.message);
        } else if (attempt === 0) this.log.warn({ err: (err as Error).message }, 'NATS: cannot connect yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))).unref());
      }
    }
    if (this.closing) { await this.nc!.close(); return; }
    if (!await this.claimNodeId(this.nc)) return;
    this.watchStatus(this.nc);
    this.js = jetstream(this.nc, { timeout: this.config.publishTimeoutMs });
    this.jsm = await jetstreamManager(this.nc);
    await this.setUp();
    this.connected = true;
    this.refusals = 0;
    this.ready = true;
    this.events.connected(true);
    this.readyResolve();
    await this.events.ready(this.kv!);
  }

  /**
   * Pings this node's id: if a running node answers, the id is taken, and this one closes its
   * connection without touching anything of that node's (false). Else it answers pings from now on.
   * (Two processes that start within the same moment can both miss each other: the check is for
   * a second process started while the first runs, the mistake it guards against.)
   */
  private async claimNodeId(nc: NatsConnection): Promise<boolean> {
    const node = this.config.node;
    const subject = this.names.ping(node);
    // A ping that cannot be sent (the connection dropped again at once) says no one answered.
    const holder = await ping(nc, subject).catch(() => null);
    if (holder === null) {
      this.pingSub = answerPings(nc, subject, this.config.incarnation);
      return true;
    }
    const err = new TroupeError('ERR_TROUPE_NODE_ID_TAKEN', `node id ${node} is in use: a running node answered on ${subject}; give each process its own node id (option node, or TROUPE_NODE)`,
      { details: { node } });
    this.idTaken = err.message;
    if (this.failStart !== null) this.failStart(err);
    else this.log.error({ node }, `${err.message} (ERR_TROUPE_NODE_ID_TAKEN); this node stays off NATS`);
    await nc.close().catch(() => {});
    return false;
  }

  /**
   * Whether the node of another node's name entry still runs, in the run that wrote it (a ping).
   * Throws when it cannot be asked: the name is then neither taken nor refused, but tried again.
   */
  async holds(holder: ExposedName): Promise<boolean> {
    const answer = await ping(this.nc!, this.names.ping(holder.node));
    return answer !== null && (answer === 0 || holder.incarnation === undefined || answer === holder.incarnation);
  }

  /** Whether `node` answers a ping now (false too if it cannot be asked). */
  async ping(node: string): Promise<boolean> {
    if (this.nc === null || !this.connected) return false;
    return (await ping(this.nc, this.names.ping(node)).catch(() => null)) !== null;
  }

  /** Sets up the streams, consumers and bucket (streams.ts); what exists is kept. */
  async setUp(): Promise<void> {
    await setUpStreams(this.jsm!, this.names, this.config);
    if (this.kv === null) this.kv = await openNamesBucket(this.nc!, this.names);
  }

  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          if (this.connected) this.log.warn('NATS disconnected: remote messages wait in the outbox');
          this.connected = false;
          this.events.connected(false);
        } else if (s.type === 'error' && refusedCredentials(s.error)) {
          this.noteRefusal(s.error.message);
        } else if (s.type === 'reconnect') {
          this.refusals = 0;
          this.log.info('NATS reconnected: flushing the outbox');
          this.connected = this.ready;
          this.events.connected(this.connected);
          // The server may have come back without its store: make sure the streams exist.
          void this.setUp().catch((err) => this.log.warn({ err: (err as Error).message }, 'NATS: set-up after reconnect failed'));
          this.events.reconnected();
        }
      }
    })().catch(() => {});
  }

  /** The server refused our credentials (again): an error once, then at debug level, until we connect. */
  private noteRefusal(why: string): void {
    this.refusals++;
    if (this.refusals === 1) this.log.error({ err: why }, 'NATS refuses our credentials (ERR_TROUPE_NATS_AUTH); retrying');
    else this.log.debug({ err: why, refusals: this.refusals }, 'NATS refused our credentials again');
  }

  // Closing, in three steps around the rest of the bridge's (remote.ts).

  /** Nothing new starts from now: no connect attempt, no publish, no consume. */
  stop(): void {
    this.closing = true;
  }

  /** Stops answering pings, and closes the connection (bounded: 2 s). */
  async close(): Promise<void> {
    this.pingSub?.unsubscribe();
    if (this.nc) await Promise.race([this.nc.close(), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => {});
  }

  /** Resolves when the first connect and set-up has ended, or given up (bounded: 2 s). */
  async settled(): Promise<void> {
    await Promise.race([this.connecting, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}

/**
 * Whether connecting failed because the server refused our credentials (or they expired): not
 * the server's "authentication timeout", which nats.js reports the same way and which only
 * means we were slow to say who we are (a loaded machine, a slow TLS handshake).
 * @internal exported for tests
 */
export function refusedCredentials(err: unknown): boolean {
  if (err instanceof UserAuthenticationExpiredError) return true;
  return err instanceof AuthorizationError && !/authentication timeout/i.test(err.message);
}

function authenticator(a: BridgeConfig['auth']): Authenticator | undefined {
  if (a.creds !== undefined) return credsAuthenticator(new TextEncoder().encode(a.creds));
  if (a.nkey !== undefined) return nkeyAuthenticator(new TextEncoder().encode(a.nkey));
  if (a.token !== undefined) return tokenAuthenticator(a.token);
  if (a.user !== undefined) return usernamePasswordAuthenticator(a.user, a.pass);
  return undefined;
}
