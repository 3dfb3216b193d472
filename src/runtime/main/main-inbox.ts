/**
 * What reaches main: records from the mesh (replies to its asks, the hosts' notices, mail for
 * actors on other nodes, receipts) and messages on the hosts' events ports (link requests, dead
 * letters, supervision events). Nothing lives on main, so other mail to it is dead.
 */
import type { Logger } from 'pino';
import { toWireError } from '../../actors/errors.js';
import { ActorRef, type RefTransport } from '../../actors/ref.js';
import type { ErrorEvents } from '../../observability/error-events.js';
import type { SupervisionEvents } from '../../supervision/events.js';
import type { AskTable } from '../ask-table.js';
import { F_CREDIT, K_ASK, K_CREDIT, K_RECEIPT, K_REMOTE, K_REPLY, K_REPLY_ERROR, K_SYSTEM, K_TELL, S_DEAD_LETTERED } from '../constants.js';
import { pathKey, type Paths } from '../flow.js';
import { undeliverableError } from '../mesh/mesh-node.js';
import type { NodeBridge } from '../node-port.js';
import type { HostToMain, MainNotice, RemoteSend } from '../protocol.js';
import type { DeadLetters } from './dead-letters.js';
import type { HostHandle, Hosts } from './hosts.js';
import type { Links } from './links.js';
import type { Names } from './names.js';
import type { Recovery } from './recovery.js';

/** What main's inbox sees of main. */
export interface MainInboxOwner {
  readonly log: Logger;
  readonly transport: RefTransport;
  readonly remote: NodeBridge | null;
  readonly mainStats: Float64Array;
  readonly deadLetters: DeadLetters;
  readonly events: SupervisionEvents;
  readonly errors: ErrorEvents;
  readonly asks: AskTable;
  readonly paths: Paths;
  readonly hosts: Hosts;
  readonly names: Names;
  readonly links: Links;
  readonly recovery: Recovery;
  /** Hands `host`'s actor `id` back one credit on its path to the outbox (flow.ts); not to a host that died since. */
  credit(host: HostHandle | undefined, id: number): void;
}

export class MainInbox {
  constructor(private readonly main: MainInboxOwner) {}

  /** A record for main, from thread `from` (mesh-node.ts, Deliver). */
  deliver(from: number, target: number, sender: number, corr: number, kind: number, value: unknown): void {
    const main = this.main;
    if ((kind & F_CREDIT) !== 0) {
      // Mail for other nodes, counted on its sender's path to the outbox (flow.ts): the sender
      // hears when the outbox is done with it.
      const host = main.hosts.get(from);
      this.deliverCounted(from, target, sender, corr, kind ^ F_CREDIT, value, () => main.credit(host, sender));
      return;
    }
    this.deliverCounted(from, target, sender, corr, kind, value, null);
  }

  /** `settled`: called once the message is done with, if its sender asked for credit. */
  private deliverCounted(from: number, target: number, sender: number, corr: number, kind: number, value: unknown, settled: (() => void) | null): void {
    const main = this.main;
    if (kind === K_CREDIT) {
      main.paths.credit(pathKey(from, sender));
      return;
    }
    if (kind === K_RECEIPT) {
      main.remote?.onReceipt(target, sender, value as never);
      return;
    }
    if (kind === K_REMOTE) {
      if (main.remote) main.remote.fromHost(from, sender, corr, value as RemoteSend, settled);
      else {
        main.mainStats[S_DEAD_LETTERED]!++;
        const s = value as RemoteSend;
        main.deadLetters.add({ reason: 'node-unreachable', target: `${s.node}:${s.path}`, sender: `@${from}.${sender}`, message: s.msg, time: Date.now() });
        settled?.();
      }
      return;
    }
    if ((kind === K_TELL || kind === K_ASK) && target !== 0 && main.remote?.toProxy(target, from, sender, corr, value, settled)) return;
    settled?.();
    if (kind === K_REPLY || kind === K_REPLY_ERROR) {
      main.asks.settle(corr, kind, value);
      return;
    }
    if (kind === K_SYSTEM) {
      this.onNotice(value as MainNotice);
      return;
    }
    if (kind === K_TELL || kind === K_ASK) {
      // Nothing lives on main: mail to it (e.g. ctx.reply to a tell from outside) is dead.
      main.mainStats[S_DEAD_LETTERED]!++;
      main.deadLetters.add({ reason: 'no-such-actor', target: `@0.${target}`, sender: `@${from}.${sender}`, message: value, time: Date.now() });
    }
  }

  /**
   * A record for main that cannot be delivered (mesh-node.ts, Undeliverable): counted and
   * dead-lettered; a reply's ask fails at once, and a host's ask (to main's proxies or another
   * node) is rejected.
   */
  undeliverable(from: number, target: number, sender: number, corr: number, kind: number,
    reason: 'worker-died' | 'undecodable', bytes: number, error: Error | null): void {
    const main = this.main;
    if ((kind & F_CREDIT) !== 0) {
      kind ^= F_CREDIT;
      main.credit(main.hosts.get(from), sender);
    }
    if (kind >= K_SYSTEM) {
      main.log.error({ from, target, kind, reason, err: error }, 'a system record could not be delivered; skipped');
      return;
    }
    main.mainStats[S_DEAD_LETTERED]!++;
    const reply = kind === K_REPLY || kind === K_REPLY_ERROR;
    const err = undeliverableError(reason, reply ? 'main' : `@0.${target}`, bytes, error);
    main.deadLetters.add({ reason, target: reply ? `ask #${corr}` : `@0.${target}`, sender: sender === 0 ? null : `@${from}.${sender}`,
      message: { bytes }, error: toWireError(err), time: Date.now() });
    if (reply) main.asks.fail(corr, err);
    else if ((kind === K_ASK || kind === K_REMOTE) && corr !== 0) main.recovery.rejectAsk(from, corr, target, err);
  }

  /** A message on a host's events port. */
  onHostEvent(host: HostHandle, m: HostToMain): void {
    switch (m.t) {
      case 'need-link':
        this.main.links.link(host.thread, m.to);
        return;
      case 'dead-letters':
        for (const entry of m.entries) this.main.deadLetters.add(entry);
        return;
      case 'events':
        for (const e of m.events) this.main.events.add(e);
        return;
      case 'closed':
        host.onClosed();
        return;
      case 'synced':
        host.synced(m.n);
        return;
      case 'depths':
        host.depths.push(new Int32Array(m.chunk));
        return;
    }
  }

  /** A host's notice (a K_SYSTEM record): names, exits, supervision and error events. */
  private onNotice(n: MainNotice): void {
    const main = this.main;
    switch (n.t) {
      case 'exit': {
        const host = main.hosts.get(n.thread);
        const rec = host?.actors.get(n.id);
        if (rec) main.names.unexpose(n.thread, rec);
        host?.actors.delete(n.id);
        return;
      }
      case 'event':
        main.events.add(n.event);
        return;
      case 'error':
        main.errors.add(n.event);
        return;
      case 'name':
        main.names.claim(n.name, () => new ActorRef(n.path, n.thread, n.id, main.transport, undefined, undefined, n.mark));
        return;
      case 'unname':
        main.names.forget(n.name, n.thread, n.id);
        return;
    }
  }
}
