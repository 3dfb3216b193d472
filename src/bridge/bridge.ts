/**
 * The JetStream bridge: this node's connection to NATS, on main's event loop (actors never block
 * it). It carries messages to and from other nodes, keeps the exposed names in a KV bucket, and
 * writes dead letters and error events to their streams. The system decides what a message
 * means (system.ts); the bridge moves bytes and reports what came.
 *
 * Start: after connecting, a ping on this node's id (ping.ts): if a running node answers, the id
 * is taken (ERR_TROUPE_NODE_ID_TAKEN) and this one does not join. Else it answers pings itself.
 *
 * Sending: everything goes through a bounded outbox, in order (outbox.ts). A JetStream publish
 * carries a `Nats-Msg-Id` (`<node>.<boot>.<seq>`), so a retry after an ambiguous timeout is
 * deduplicated by the stream.
 *
 * Receiving: this node's stream and its core NATS subject (inbox.ts), set up with the other
 * streams (streams.ts); the dead-letter backstop (backstop.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  AuthorizationError, UserAuthenticationExpiredError, connect, credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator,
  type Authenticator, type MsgHdrs, type NatsConnection, type Subscription,
} from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { TroupeError } from '../actors/errors.js';
import { Backstop } from './backstop.js';
import { names, type BridgeConfig } from './config.js';
import type { Link } from './connection.js';
import { payloadHeader } from './envelope.js';
import { Inbox } from './inbox.js';
import type { Incoming } from './incoming.js';
import { NameRegistry, type ExposedName } from './names.js';
import { headersOf, Outbox, type PublishOptions } from './outbox.js';
import { answerPings, ping } from './ping.js';
import { openNamesBucket, setUpStreams } from './streams.js';

export { W_ASK, W_REPLY, W_REPLY_ERROR, W_TELL, type Envelope } from './envelope.js';
export type { ExposedName } from './names.js';

export interface BridgeHandlers {
  onMessage(m: Incoming): void;
  onConnected(connected: boolean): void;
  /** An exposed name of this node is held by another node (names.ts). */
  onNameLost(name: string, holder: string): void;
}

export class Bridge implements Link {
  readonly names: ReturnType<typeof names>;
  readonly node: string;
  /** This run of the node (config.ts). */
  readonly incarnation: number;
  /** This node's payload header (envelope.ts). */
  readonly header: Uint8Array;
  /** Exposed names of every node, and this node's in the KV bucket. */
  readonly exposedNames: NameRegistry;
  connected = false;
  /** Set up: streams, consumer and bucket exist. */
  ready = false;
  /** Refusals of our credentials since we were last connected (the server is up, and says no). */
  refusals = 0;
  /** Why this node did not join: its node id is another running node's (ERR_TROUPE_NODE_ID_TAKEN). */
  idTaken: string | null = null;
  /** While start() waits: how the connect loop fails it (refused credentials, a node id taken). */
  private failStart: ((err: TroupeError) => void) | null = null;
  nc: NatsConnection | null = null;
  js: JetStreamClient | null = null;
  jsm: JetStreamManager | null = null;
  private kv: KV | null = null;
  readonly outbox: Outbox;
  private readonly boot = randomBytes(4).toString('hex');
  private readonly toNode = new Map<string, { token: string; seq: number }>();
  private seq = 0;
  closing = false;
  private readonly inbox: Inbox;
  private readonly backstop: Backstop;
  private pingSub: Subscription | null = null;
  private connecting: Promise<void> | null = null;
  /** Resolves when the first setup is done (or never, if NATS never comes). */
  readonly whenReady: Promise<void>;
  private readyResolve!: () => void;

  constructor(readonly config: BridgeConfig, private readonly log: Logger, private readonly encodeValue: (value: unknown) => Uint8Array, private readonly handlers: BridgeHandlers) {
    this.node = config.node;
    this.incarnation = config.incarnation;
    this.names = names(config.prefix, config.node);
    this.header = payloadHeader(config.node, config.incarnation);
    this.exposedNames = new NameRegistry(config.node, config.incarnation, log, () => this.connected,
      (holder) => this.holds(holder), (name, holder) => handlers.onNameLost(name, holder));
    this.outbox = new Outbox(this, config, this.header.length, log);
    this.inbox = new Inbox(this, this.names, config, log, () => this.setUpStreams(), (m) => handlers.onMessage(m));
    this.backstop = new Backstop(this, this.names, log);
    this.whenReady = new Promise((r) => { this.readyResolve = r; });
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
    await this.setUpStreams();
    this.connected = true;
    this.refusals = 0;
    this.ready = true;
    this.handlers.onConnected(true);
    this.readyResolve();
    this.outbox.flush();
    this.inbox.start();
    this.backstop.start();
    await this.exposedNames.attach(this.kv!);
  }

  /**
   * Pings this node's id: if a running node answers, the id is taken, and this one closes its
   * connection without touching anything of that node's (false). Else it answers pings from now on.
   * (Two processes that start within the same moment can both miss each other: the check is for
   * a second process started while the first runs, the mistake it guards against.)
   */
  private async claimNodeId(nc: NatsConnection): Promise<boolean> {
    const subject = this.names.ping(this.node);
    // A ping that cannot be sent (the connection dropped again at once) says no one answered.
    const holder = await ping(nc, subject).catch(() => null);
    if (holder === null) {
      this.pingSub = answerPings(nc, subject, this.incarnation);
      return true;
    }
    const err = new TroupeError('ERR_TROUPE_NODE_ID_TAKEN', `node id ${this.node} is in use: a running node answered on ${subject}; give each process its own node id (option node, or TROUPE_NODE)`,
      { details: { node: this.node } });
    this.idTaken = err.message;
    if (this.failStart !== null) this.failStart(err);
    else this.log.error({ node: this.node }, `${err.message} (ERR_TROUPE_NODE_ID_TAKEN); this node stays off NATS`);
    await nc.close().catch(() => {});
    return false;
  }

  /**
   * Whether the node of another node's name entry still runs, in the run that wrote it (a ping).
   * Throws when it cannot be asked: the name is then neither taken nor refused, but tried again.
   */
  private async holds(holder: ExposedName): Promise<boolean> {
    const answer = await ping(this.nc!, this.names.ping(holder.node));
    return answer !== null && (answer === 0 || holder.incarnation === undefined || answer === holder.incarnation);
  }

  /** Whether `node` answers a ping now (false too if it cannot be asked). */
  async ping(node: string): Promise<boolean> {
    if (this.nc === null || !this.connected) return false;
    return (await ping(this.nc, this.names.ping(node)).catch(() => null)) !== null;
  }

  /** Sets up the streams, consumers and bucket (streams.ts). */
  private async setUpStreams(): Promise<void> {
    await setUpStreams(this.jsm!, this.names, this.config);
    if (this.kv === null) this.kv = await openNamesBucket(this.nc!, this.names);
  }

  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          if (this.connected) this.log.warn('NATS disconnected: remote messages wait in the outbox');
          this.connected = false;
          this.handlers.onConnected(false);
        } else if (s.type === 'error' && refusedCredentials(s.error)) {
          this.noteRefusal(s.error.message);
        } else if (s.type === 'reconnect') {
          this.refusals = 0;
          this.log.info('NATS reconnected: flushing the outbox');
          this.connected = this.ready;
          this.handlers.onConnected(this.connected);
          // The server may have come back without its store: make sure the streams exist.
          void this.setUpStreams().catch((err) => this.log.warn({ err: (err as Error).message }, 'NATS: set-up after reconnect failed'));
          this.outbox.flush();
          void this.exposedNames.refresh();
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

  // ------------------------------------------------------------------------------------------
  // Receiving

  /** Takes no more messages from this node's stream (shutdown: what is not taken stays for the next start). */
  stopReceiving(): void {
    this.inbox.stop();
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /** Bytes for the wire: the codec's view, copied (publishing is async). */
  encode(value: unknown): Uint8Array {
    return new Uint8Array(this.encodeValue(value));
  }

  /**
   * A msg id: `<node>.<token>.<seq>`. Toward another node (`to`), the token is a random one of
   * that destination's: a node sees only the ids meant for it, so it cannot guess (and squat in a
   * stream's dedupe window) the ids of messages meant for others.
   */
  nextMsgId(to?: string): string {
    if (to === undefined) return `${this.node}.${this.boot}.${++this.seq}`;
    let d = this.toNode.get(to);
    if (d === undefined) this.toNode.set(to, (d = { token: randomBytes(8).toString('hex'), seq: 0 }));
    return `${this.node}.${d.token}.${++d.seq}`;
  }

  /** Room in the outbox for one more? */
  get hasRoom(): boolean {
    return this.outbox.hasRoom;
  }

  /** Messages not yet done: waiting, being published, or (core NATS) waiting for the server to confirm them. */
  get outboxSize(): number {
    return this.outbox.size;
  }

  /** Messages that take room: waiting to leave, or published to a stream and waiting for its ack. */
  get outboxUsed(): number {
    return this.outbox.used;
  }

  /** Queues a publish (outbox.ts). */
  publish(subject: string, data: Uint8Array, o: PublishOptions, done: (ok: boolean, err?: Error) => void): void {
    this.outbox.publish(subject, data, o, done);
  }

  headers(entries: Record<string, string | number | undefined | null>): MsgHdrs {
    return headersOf(entries);
  }

  get manager(): JetStreamManager | null {
    return this.jsm;
  }


  // ------------------------------------------------------------------------------------------

  /** Flushes the outbox (bounded), removes this node's names (those it holds), and closes the connection. */
  async close(timeoutMs: number): Promise<void> {
    await this.outbox.drained(this.connected ? timeoutMs : Math.min(timeoutMs, 1000));
    this.closing = true;
    this.stopReceiving();
    this.outbox.stop();
    await this.exposedNames.close();
    this.inbox.stop();
    this.backstop.stop();
    this.pingSub?.unsubscribe();
    this.outbox.failWaiting();
    if (this.nc) await Promise.race([this.nc.close(), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => {});
    this.outbox.failUnconfirmed();
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
