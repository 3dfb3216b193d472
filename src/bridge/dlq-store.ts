/**
 * This node's dead letters, kept durably: the DeadLetterStore behind `system.deadLetters.stored /
 * replay / purge`. Every dead letter this node records goes to the DLQ stream `<P>_DLQ` as a
 * record (dlq.ts says what a record holds, and reads them back): the message as its sender
 * encoded it, and what happened in headers. A dead letter that finds the outbox full stays in the
 * local store only (and the log says so); a message too large for the server is kept as a line
 * saying how large it was.
 *
 * Replay sends a record back to its target as a tell from no actor: an address (`@t.i`) to the
 * run of its node that dead-lettered it (a later run takes it as a stale ref), a name
 * (`/user/<name>`) to this node's actor of that name if this node dead-lettered it and has one,
 * else to the actor exposed by that name. Its msg id is the record's sequence, so a second replay within the stream's dedupe
 * window is not stored twice.
 */
import type { DeadLetter, DeadLetterFilter, DeadLetterStore } from '../runtime/main/dead-letters.js';
import type { NodeHost, RemoteTarget } from '../runtime/node-port.js';
import type { BridgeConfig, Names } from './config.js';
import type { Connection } from './connection.js';
import { DeadLetterStream, H, replayTarget, type StoredDeadLetter } from './dlq.js';
import { W_TELL, encodeEnvelope } from './envelope.js';
import type { MsgIds } from './msg-ids.js';
import { exposedNameOf, type NameRegistry } from './names.js';
import { headersOf, type Publisher } from './outbox.js';

export class DlqStore implements DeadLetterStore {
  private reader: DeadLetterStream | null = null;
  private off: (() => void) | null = null;

  /** `header`: this node's payload header (envelope.ts). */
  constructor(
    private readonly config: BridgeConfig,
    private readonly host: Pick<NodeHost, 'log' | 'encode' | 'decode' | 'onDeadLetter' | 'localByName'>,
    private readonly connection: Pick<Connection, 'whenReady' | 'jsm'>,
    private readonly outbox: Publisher,
    private readonly ids: MsgIds,
    private readonly names: Names,
    private readonly header: Uint8Array,
    private readonly exposedNames: Pick<NameRegistry, 'waitFor'>,
  ) {}

  /** Keeps every dead letter of this node from now on, until `close()`. */
  start(): void {
    this.off = this.host.onDeadLetter((d) => this.store(d));
  }

  close(): void {
    this.off?.();
  }

  async list(filter: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    return (await this.stream()).list(filter);
  }

  async purge(filter: DeadLetterFilter): Promise<number> {
    return (await this.stream()).purge(filter);
  }

  async replay(filter: DeadLetterFilter): Promise<{ replayed: number; skipped: number }> {
    return (await this.stream()).replay(filter, (d) => this.replayOne(d));
  }

  /** The stream's reader, once the streams are set up. */
  private async stream(): Promise<DeadLetterStream> {
    await this.connection.whenReady;
    return (this.reader ??= new DeadLetterStream(this.connection.jsm!, this.names.dlqStream, (b) => this.host.decode(b)));
  }

  private store(d: DeadLetter): void {
    const { node, incarnation } = this.config;
    if (!this.outbox.hasRoom) {
      this.host.log.error({ reason: d.reason, target: d.target }, 'DLQ: outbox full; this dead letter is only in the local store');
      return;
    }
    // Copies: the codec's view is reused, and publishing is async.
    const encode = (v: unknown) => new Uint8Array(this.host.encode(v));
    let data: Uint8Array;
    try { data = encode(d.message); } catch { data = encode(`[unencodable ${typeof d.message}]`); }
    // A record the server would refuse (max_payload) keeps its headers and says what the message was.
    if (data.length > this.config.maxPayloadBytes - 8192) data = encode(`[a message of ${data.length} bytes: too large to keep in the DLQ]`);
    const e = d.error as (Error & { code?: string; category?: string; severity?: string }) | undefined;
    const headers = headersOf({
      [H.reason]: d.reason, [H.target]: d.target, [H.sender]: d.sender, [H.node]: node,
      [H.errorMessage]: e?.message, [H.errorCode]: e?.code, [H.category]: d.category ?? e?.category, [H.severity]: d.severity ?? e?.severity,
      [H.retries]: d.retries, [H.firstTime]: d.time, [H.lastTime]: d.time, [H.incarnation]: incarnation,
    });
    this.outbox.publish(this.names.dlq(d.reason, node), data, { msgId: this.ids.next(), headers }, (ok) => {
      if (!ok) this.host.log.error({ reason: d.reason, target: d.target }, 'DLQ: could not store a dead letter');
    });
  }

  /**
   * Sends a stored dead letter back to its target: `@t.i` in the run of its node that
   * dead-lettered it (a later run takes it as a stale ref), or `/user/<name>` by name.
   */
  private async replayOne(d: StoredDeadLetter): Promise<boolean> {
    const { node, incarnation } = this.config;
    if (d.message === undefined) return false;
    let to: RemoteTarget | undefined;
    const target = replayTarget(d);
    if (target !== null && 'node' in target) {
      to = { ...target, path: d.target };
    } else if (target !== null) {
      // The name on the node that dead-lettered it (names may repeat across nodes).
      const local = d.node === node ? this.host.localByName(target.name) : undefined;
      if (local) to = { node, incarnation, thread: local.thread, id: local.id, path: local.path };
      else {
        const e = await this.exposedNames.waitFor(target.name, 1000);
        if (e) to = { node: e.node, incarnation: e.incarnation, thread: e.thread, id: e.id, path: e.path };
      }
    }
    if (to === undefined) return false;
    // The stored payload is the message as its sender encoded it.
    const data = encodeEnvelope(this.header,
      { k: W_TELL, f: null, t: [to.thread, to.id], ti: to.incarnation ?? 0, tn: exposedNameOf(to.path), c: 0 }, d.raw);
    const subject = this.names.toNode(to.node, node);
    // One replay per stored dead letter: its id dedupes a second replay within the window.
    await new Promise<void>((resolve, reject) => this.outbox.publish(subject, data, { msgId: `${node}.replay.${d.seq}` },
      (ok, err) => (ok ? resolve() : reject(err))));
    return true;
  }
}
