/**
 * This node's bridge: the NodeBridge main talks to (runtime/node-port.ts), which index.ts
 * creates for a system given NATS. It makes the parts below, wires them together, and closes
 * them in order; each part owns one thing, and sees the others through narrow interfaces.
 *
 * - connection.ts: the connection to NATS (connect, credentials, node id, status, reconnect);
 *   streams.ts: what it sets up on the server.
 * - outbox.ts: everything published, in order and bounded (retries, frames, confirmation);
 *   msg-ids.ts: the ids a stream dedupes by.
 * - inbox.ts: this node's stream and consumer, and its core NATS subject: what comes, checked.
 * - sender.ts: a message for another node, onto the wire (remote send, and replies to asks
 *   from other nodes); asks.ts: this node's asks on their way back; proxies.ts: senders of other
 *   nodes as refs on main.
 * - receiver.ts: a message from the wire, to its target here (dedupe, receipts, redelivery);
 *   runs.ts and backlog.ts: mail for an earlier run of this node.
 * - names.ts: exposed names across nodes; peers.ts and ping.ts: whether nodes sent to are alive.
 * - dlq-store.ts: dead letters into the DLQ stream, and replays out of it (dlq.ts reads it);
 *   backstop.ts: dead letters of nodes that died holding them; error-stream.ts: error events.
 *
 * Counting, per node: sent = processed + deadLettered + queued + returned (sender.ts and
 * receiver.ts say how each path counts).
 */
import type { ActorRef } from '../actors/ref.js';
import type { WireError } from '../actors/errors.js';
import type { NodeBridge, NodeHost, RemoteTarget } from '../runtime/node-port.js';
import type { RemoteSend } from '../runtime/protocol.js';
import { Asks } from './asks.js';
import { Backstop } from './backstop.js';
import { names, type BridgeConfig, type Names } from './config.js';
import { Connection } from './connection.js';
import { DlqStore } from './dlq-store.js';
import { payloadHeader } from './envelope.js';
import { ErrorStream } from './error-stream.js';
import { Inbox } from './inbox.js';
import { MsgIds } from './msg-ids.js';
import { NameRegistry, type ExposedName } from './names.js';
import { Outbox } from './outbox.js';
import { Peers } from './peers.js';
import { Proxies } from './proxies.js';
import { Receiver } from './receiver.js';
import { EarlierRuns } from './runs.js';
import { Sender } from './sender.js';

import type { Alert } from '../observability/types.js';

export type { RemoteTarget } from '../runtime/node-port.js';

export class Remote implements NodeBridge {
  readonly node: string;
  /** This run of the node (config.ts). */
  readonly incarnation: number;
  /** Names of this node's streams and subjects (config.ts). */
  private readonly names: Names;
  /** This node's payload header (envelope.ts). */
  private readonly header: Uint8Array;
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly ids: MsgIds;
  private readonly inbox: Inbox;
  private readonly backstop: Backstop;
  /** Exposed names of every node, and this node's in the KV bucket. */
  private readonly exposedNames: NameRegistry;
  /** Where mail for an earlier run of this node goes (by name), and mail held for names to come. */
  private readonly runs: EarlierRuns;
  private readonly peers: Peers;
  private readonly proxies: Proxies;
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  /** This node's dead letters in the DLQ stream, and replays out of it. */
  private readonly dlq: DlqStore;

  constructor(private readonly config: BridgeConfig, private readonly sys: NodeHost) {
    this.node = config.node;
    this.incarnation = config.incarnation;
    this.names = names(config.prefix, config.node);
    this.header = payloadHeader(config.node, config.incarnation);
    const log = sys.log;
    this.connection = new Connection(config, this.names, log, {
      connected: (up) => {
        if (up) this.runs.started();
        sys.onConnected(up);
      },
      ready: async (kv) => {
        this.outbox.flush();
        this.inbox.start();
        this.backstop.start();
        await this.exposedNames.attach(kv);
      },
      reconnected: () => {
        this.outbox.flush();
        void this.exposedNames.refresh();
      },
    });
    this.exposedNames = new NameRegistry(config.node, config.incarnation, log, () => this.connection.connected,
      (holder) => this.connection.holds(holder), (name, holder) => {
        this.runs.unexposed(name);
        sys.onNameLost(name, holder);
      });
    this.outbox = new Outbox(this.connection, config, this.header.length, log);
    this.ids = new MsgIds(config.node);
    this.inbox = new Inbox(this.connection, this.names, config, log, () => this.connection.setUp(), (m) => this.receiver.onMessage(m));
    this.backstop = new Backstop(this.connection, this.names, log);
    this.runs = new EarlierRuns(config.node, config.backlogGraceMs, config.retryMs, (deliveries) => this.receiver.redispatch(deliveries));
    this.peers = new Peers(sys.healthWindowMs, (node) => this.connection.ping(node));
    this.proxies = new Proxies(sys);
    const asks = new Asks(sys, config.incarnation);
    this.sender = new Sender(config, sys, this.outbox, this.ids, this.names, this.header, asks, this.peers);
    this.receiver = new Receiver(config, sys, this.runs, this.peers, this.proxies, asks, this.sender);
    this.dlq = new DlqStore(config, sys, this.connection, this.outbox, this.ids, this.names, this.header, this.exposedNames);
  }

  async start(): Promise<void> {
    this.dlq.start();
    this.sys.useStores(this.dlq, new ErrorStream(this.connection, this.outbox, this.names, this.sys.log));
    await this.connection.start();
  }

  // ------------------------------------------------------------------------------------------
  // Sending (sender.ts)

  /** A message for an actor on another node (throws, or dead-letters, as NodeBridge says). */
  send(to: RemoteTarget, msg: unknown, fromThread: number, fromId: number, corr: number,
    timeoutMs: number | undefined, atMostOnce: boolean, fromHost: boolean, settled: (() => void) | null): void {
    this.sender.send(to, msg, fromThread, fromId, corr, timeoutMs, atMostOnce, fromHost, settled);
  }

  /** A message a host sent toward another node (K_REMOTE). */
  fromHost(fromThread: number, fromId: number, corr: number, s: RemoteSend, settled: (() => void) | null): void {
    this.sender.send(s, s.msg, fromThread, fromId, corr, s.timeoutMs, s.atMostOnce === true, true, settled);
  }

  /** Mail to a proxy on main (`@0.<id>`): it goes on to the remote actor the proxy stands for. */
  toProxy(proxy: number, fromThread: number, fromId: number, corr: number, msg: unknown, settled: (() => void) | null): boolean {
    const ref = this.proxies.get(proxy);
    if (ref === undefined) return false;
    this.sender.send({ node: ref.node!, incarnation: ref.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, msg, fromThread, fromId, corr, undefined, false, true, settled);
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Receiving (receiver.ts)

  onReceipt(receipt: number, outcome: number, error: WireError | null): void {
    this.receiver.onReceipt(receipt, outcome, error);
  }

  threadDied(thread: number): void {
    this.receiver.threadDied(thread);
  }

  culpritDied(receipt: number): void {
    this.receiver.culpritDied(receipt);
  }

  /**
   * Takes no more messages from the wire (shutdown). Held mail goes back to the stream for the
   * next start (at-most-once mail, which has no stream, is dead-lettered `not-exposed`).
   */
  stopReceiving(): void {
    this.inbox.stop();
    this.receiver.stop();
  }

  // ------------------------------------------------------------------------------------------
  // Names (names.ts)

  lookup(name: string): ActorRef | undefined {
    const e = this.exposedNames.live(name);
    return e === undefined || e.node === this.node ? undefined : this.refOf(e);
  }

  async resolve(name: string, timeoutMs: number): Promise<ActorRef | undefined> {
    const e = await this.exposedNames.waitFor(name, timeoutMs);
    return e === undefined || e.node === this.node ? undefined : this.refOf(e);
  }

  private refOf(e: ExposedName): ActorRef {
    return this.sys.ref(e.path, e.thread, e.id, e.node, e.incarnation || undefined);
  }

  /**
   * Registers a local actor's name across nodes (names.ts), then hands it the mail held for it.
   * Rejects with ERR_TROUPE_NAME_TAKEN when another running node has the name (unless
   * `replace`). While NATS is unreachable it resolves at once: the name is registered on connect.
   */
  async expose(name: string, ref: ActorRef, replace: boolean): Promise<void> {
    const registered = await this.exposedNames.expose(name,
      { node: this.node, incarnation: this.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, replace);
    if (!registered) this.sys.log.info({ name }, 'exposed name registered once NATS is reachable');
    this.runs.exposed(name, { thread: ref.thread, id: ref.id });
  }

  unexpose(name: string): void {
    this.runs.unexposed(name);
    this.exposedNames.unexpose(name);
  }

  // ------------------------------------------------------------------------------------------
  // Health

  get connected(): boolean {
    return this.connection.connected;
  }

  /** Whether the server is up but refuses this node's credentials (since it was last connected). */
  get refused(): boolean {
    return this.connection.refused;
  }

  get outboxSize(): number {
    return this.outbox.size;
  }

  /**
   * The bridge's reasons for health to say degraded, beyond NATS being unreachable: another
   * running node has this node's id; the outbox over half full; nodes sent to within the health
   * window but not heard from for 30 s (or the health window, if shorter): no message from them
   * and no answer to a ping (peers.ts).
   */
  healthReasons(): string[] {
    const reasons: string[] = [];
    if (this.connection.idTaken !== null) reasons.push(`${this.connection.idTaken} (ERR_TROUPE_NODE_ID_TAKEN)`);
    const used = this.outbox.used;
    if (used > this.config.outboxCapacity / 2) reasons.push(`the outbox to other nodes is over half full (${used} of ${this.config.outboxCapacity})`);
    for (const { node, ms } of this.peers.unseen()) reasons.push(`node ${node} not heard from for ${Math.round(ms / 1000)} s (sent to within the health window)`);
    return reasons;
  }

  /** Publishes an alert's firing or resolution on `<prefix>.alerts.<severity>` (core NATS, JSON; best effort). */
  publishAlert(alert: Alert): void {
    const nc = this.connection.nc;
    if (nc === null || nc.isClosed()) return;
    nc.publish(this.names.alerts(alert.severity), JSON.stringify({ ...alert, node: this.node }));
  }

  /**
   * Flushes the outbox (bounded: `timeoutMs`, 1 s at most while NATS is unreachable), removes this
   * node's names (those it holds), and closes the connection.
   */
  async close(timeoutMs: number): Promise<void> {
    this.receiver.close();
    this.peers.close();
    this.dlq.close();
    await this.outbox.drained(this.connection.connected ? timeoutMs : Math.min(timeoutMs, 1000));
    this.connection.stop();
    this.inbox.stop();
    this.outbox.stop();
    await this.exposedNames.close();
    // Again: a consume or a subscription that began while the names were removed.
    this.inbox.stop();
    this.backstop.stop();
    this.outbox.failWaiting();
    await this.connection.close();
    // After the connection's last PONG, which may still have confirmed some.
    this.outbox.failUnconfirmed();
    await this.connection.settled();
  }
}
