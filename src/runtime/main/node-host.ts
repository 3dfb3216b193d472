/**
 * main's side of the seam with the NATS bridge (node-port.ts): all the bridge sees of the
 * runtime on this node.
 */
import type { Logger } from 'pino';
import { ActorRef, type RefTransport } from '../../actors/ref.js';
import type { ErrorEvents } from '../../observability/error-events.js';
import type { SupervisionEvents } from '../../supervision/events.js';
import type { AskTable } from '../ask-table.js';
import type { Ledger } from '../ledger.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { NodeBridge, NodeHost } from '../node-port.js';
import type { DeadLetters } from './dead-letters.js';
import type { Hosts } from './hosts.js';
import type { Names } from './names.js';

/** What the node host is made of. */
export interface NodeHostOwner {
  readonly log: Logger;
  readonly transport: RefTransport;
  readonly healthWindowMs: number;
  readonly ledger: Ledger;
  readonly mesh: MeshNode;
  readonly asks: AskTable;
  readonly deadLetters: DeadLetters;
  readonly errors: ErrorEvents;
  readonly events: SupervisionEvents;
  readonly hosts: Hosts;
  readonly names: Names;
  /** The bridge (null until it is made, and without NATS). */
  readonly remote: NodeBridge | null;
}

export function nodeHost(main: NodeHostOwner): NodeHost {
  const { mesh, asks, deadLetters, ledger, log } = main;
  const codec = mesh.codec;
  let natsUp = false;
  return {
    log,
    healthWindowMs: main.healthWindowMs,
    ledger,
    encode: (value) => codec.encode(value),
    decode: (bytes) => codec.decode(bytes, 0, bytes.length),
    deadLetter: (entry) => { ledger.deadLettered(); deadLetters.add(entry); },
    onDeadLetter: (fn) => deadLetters.subscribe(fn),
    post: (thread, target, sender, corr, kind, bytes) => mesh.sendEncoded(thread, target, sender, corr, kind, bytes),
    openAsk: (target, timeoutMs) => asks.open(target, { timeoutMs }),
    settleAsk: (corr, kind, value) => asks.settle(corr, kind, value),
    ref: (path, thread, id, node, incarnation) => new ActorRef(path, thread, id, main.transport, node, incarnation),
    isExposed: (thread, id) => main.names.isExposed(thread, id),
    hostExists: (thread) => !!main.hosts.get(thread),
    localByName: (name) => main.names.get(name),
    onNameLost: (name, holder) => {
      log.warn({ name, holder }, `exposed name ${JSON.stringify(name)} is held by node ${holder}: other nodes do not reach this node's actor by it`);
      main.events.add({ type: 'name-lost', name, holder, time: Date.now() });
    },
    onConnected: (connected) => {
      if (natsUp === connected) return;
      natsUp = connected;
      main.events.add({ type: 'nats', connected, outbox: main.remote?.outboxSize ?? 0, time: Date.now() });
    },
    useStores: (store, errorStore) => {
      deadLetters.store = store;
      main.errors.store = errorStore;
    },
  };
}
