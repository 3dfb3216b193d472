/**
 * The one seam between main and the NATS bridge. The runtime never imports the bridge: a system
 * given NATS loads it (`import('../bridge/index.js')`) and talks to it through `NodeBridge`; the
 * bridge sees of the runtime only `NodeHost`, which main implements. Types only.
 */
import type { Logger } from 'pino';
import type { Alert } from '../observability/types.js';
import type { ActorRef } from '../actors/ref.js';
import type { WireError } from '../actors/errors.js';
import type { ErrorEventStore } from '../observability/error-events.js';
import type { DeadLetter, DeadLetterStore } from './main/dead-letters.js';
import type { Ledger } from './ledger.js';
import type { DeadLetterWire, RemoteSend } from './protocol.js';

/** An actor on another node (or on an earlier run of this one), as a message addresses it. */
export interface RemoteTarget { node: string; incarnation?: number | undefined; thread: number; id: number; path: string }

/** What the bridge may do on this node: main's side of the seam. */
export interface NodeHost {
  readonly log: Logger;
  /** How far back health looks (a node sent to within it must have been heard from lately). */
  readonly healthWindowMs: number;
  /** Main's counts: a message from another node is sent here; one leaving is queued, then ends. */
  readonly ledger: Ledger;
  /** A message as the mesh encodes it (refs leave stamped with this node). A view: copy it to keep it. */
  encode(value: unknown): Uint8Array;
  /** A message from bytes (refs come back live on this node); throws ERR_TROUPE_UNDECODABLE_MESSAGE. */
  decode(bytes: Uint8Array): unknown;
  /** Records a dead letter, and counts it. */
  deadLetter(entry: DeadLetterWire): void;
  /** Calls `fn` with every dead letter of this node, whole; returns the unsubscribe function. */
  onDeadLetter(fn: (d: DeadLetter) => void): () => void;
  /** Hands encoded bytes to thread `thread` as a record (an actor's mail, or a reply for its ask table). */
  post(thread: number, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array): void;
  /** Opens an ask on main's table (the bridge relays an ask from another node through it). */
  openAsk(target: string, timeoutMs: number): { corr: number; promise: Promise<unknown> };
  /** Settles an ask of main's table with a reply (K_REPLY) or an error (K_REPLY_ERROR, a WireError). */
  settleAsk(corr: number, kind: number, value: unknown): void;
  /** A ref bound to this system, to an actor of another node (or of an earlier run of this one). */
  ref(path: string, thread: number, id: number, node: string, incarnation: number | undefined): ActorRef;
  /** Whether the actor (thread, id) may be reached from other nodes. */
  isExposed(thread: number, id: number): boolean;
  hostExists(thread: number): boolean;
  /** A local actor by top-level name, for replays. */
  localByName(name: string): ActorRef | undefined;
  /** NATS came up (set up) or went away. */
  onConnected(connected: boolean): void;
  /** An exposed name of this node turned out to be another node's (`holder`). */
  onNameLost(name: string, holder: string): void;
  /** With NATS, dead letters and error events are also kept durably: in these. */
  useStores(deadLetters: DeadLetterStore, errors: ErrorEventStore): void;
}

/** What main may ask of the bridge: the bridge's side of the seam (loaded only with NATS). */
export interface NodeBridge {
  readonly node: string;
  readonly incarnation: number;
  readonly connected: boolean;
  /** The server is up but refuses this node's credentials. */
  readonly refused: boolean;
  /** Messages waiting to leave (or for their stream's ack). */
  readonly outboxSize: number;
  /** Connects (up to connectTimeoutMs; after it, in the background). Throws for refused credentials or a taken node id. */
  start(): Promise<void>;
  /**
   * Sends `msg` to an actor on another node. From main (`fromHost` false) a message that cannot
   * be sent at all throws; from a host it is dead-lettered. A full outbox (only while NATS is
   * unreachable) dead-letters either way. `settled` (flow control's credit, flow.ts) is called
   * once the outbox is done with the message: published, or dead-lettered; not when it throws.
   */
  send(to: RemoteTarget, msg: unknown, fromThread: number, fromId: number, corr: number,
    timeoutMs: number | undefined, atMostOnce: boolean, fromHost: boolean, settled: (() => void) | null): void;
  /** A host's message for another node (a K_REMOTE record); `settled` as for `send`. */
  fromHost(fromThread: number, fromId: number, corr: number, s: RemoteSend, settled: (() => void) | null): void;
  /** Mail for a proxy on main (`@0.<id>`, a sender on another node): false if there is no such proxy. `settled` as for `send`, when true. */
  toProxy(proxy: number, fromThread: number, fromId: number, corr: number, msg: unknown, settled: (() => void) | null): boolean;
  /** How a tell from another node ended on a host (a K_RECEIPT record). */
  onReceipt(receipt: number, outcome: number, error: WireError | null): void;
  /** An exposed actor of another node, by name (undefined if not known here). */
  lookup(name: string): ActorRef | undefined;
  resolve(name: string, timeoutMs: number): Promise<ActorRef | undefined>;
  /** Registers an exposed name (ERR_TROUPE_NAME_TAKEN when another node has it, unless `replace`). */
  expose(name: string, ref: ActorRef, replace: boolean): Promise<void>;
  unexpose(name: string): void;
  /** Worker `thread` died: the tells handed to it in its heap bring no receipt. */
  threadDied(thread: number): void;
  /** The tell with this receipt was running when its worker died: done with it (no redelivery to do it again). */
  culpritDied(receipt: number): void;
  /** Takes no more messages from the wire (shutdown). */
  stopReceiving(): void;
  /** Flushes the outbox (bounded), removes this node's names, and closes the connection. */
  close(timeoutMs: number): Promise<void>;
  /** Why health is degraded because of NATS (empty: no reason). */
  healthReasons(): string[];
  /** Publishes an alert's firing or resolution on `<prefix>.alerts.<severity>` (best effort). */
  publishAlert(alert: Alert): void;
}
