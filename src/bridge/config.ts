/**
 * NATS configuration: `createActorSystem({ nats: { servers, ... } })`, or TROUPE_NATS_URL in the
 * environment. Without either, the system stays local and nothing tries to connect.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { nkeys } from '@nats-io/transport-node';
import { TroupeError, invalidArgument } from '../actors/errors.js';
import { TOKEN, isNodeId, nodeId, sanitizeToken } from '../runtime/node-id.js';

export { MAX_NODE_ID, isNodeId, sanitizeToken } from '../runtime/node-id.js';

export interface NatsOptions {
  /** One URL or several, e.g. 'nats://127.0.0.1:4222' (`nats://` or `tls://`; `host:port` alone means `nats://`). */
  servers: string | string[];
  user?: string;
  pass?: string;
  token?: string;
  /** An nkey user seed (the 'SU...' string). */
  nkey?: string;
  /** A .creds file: its path or its contents. */
  creds?: string;
  /** TLS options as @nats-io/transport-node takes them (`{ caFile, certFile, keyFile }`), or true. */
  tls?: Record<string, unknown> | true;
  /** Prefix of every subject, stream and bucket troupe makes. Default 'troupe'. */
  prefix?: string;
  /** Deliveries of a message from another node before it is dead-lettered: at least 2 (one, then a retry). Default 5. */
  maxDeliver?: number;
  /** How long a delivered message may go unacknowledged before JetStream redelivers it. Default 30 000 ms. */
  ackWaitMs?: number;
  /** Redelivery delay after a failed attempt: `retryMs * 2^(attempt-1)`, capped at 30 s. Default 1 000 ms. */
  retryMs?: number;
  /** Remote messages kept while NATS is unreachable; beyond it they are dead-lettered `outbox-full`. While connected the outbox refuses nothing (flow control slows its senders). Default 10 000. */
  outboxCapacity?: number;
  /** Largest message payload accepted from the wire (bytes), from 1 KiB to 64 MiB. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** How long start-up waits for a first connection before it goes on, degraded. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** How long a JetStream publish waits for its ack before it is retried (same msg id). Default 5 000 ms. */
  publishTimeoutMs?: number;
  /**
   * After this node starts reading its stream: how long mail for an exposed name that is not
   * exposed here yet waits for it (mail sent to this node's previous run, while it restarts),
   * before it is dead-lettered `not-exposed`. 0: not at all. Default 30 000 ms.
   */
  backlogGraceMs?: number;
}

export interface BridgeConfig {
  servers: string[];
  auth: { user?: string; pass?: string; token?: string; nkey?: string; creds?: string };
  tls: Record<string, unknown> | undefined;
  prefix: string;
  node: string;
  maxDeliver: number;
  ackWaitMs: number;
  retryMs: number;
  outboxCapacity: number;
  maxPayloadBytes: number;
  connectTimeoutMs: number;
  publishTimeoutMs: number;
  backlogGraceMs: number;
  /**
   * This run of the node: random, 1 to 2^32 - 1, new each time a system starts. Its refs, name
   * entries and answers to pings carry it, so mail meant for a previous run is told apart
   * (runs.ts, names.ts, ping.ts).
   */
  incarnation: number;
}

/** The longest timer Node keeps (a longer one fires at once). */
const MAX_MS = 2 ** 31 - 1;

const KEYS = new Set(['servers', 'user', 'pass', 'token', 'nkey', 'creds', 'tls', 'prefix', 'maxDeliver', 'ackWaitMs', 'retryMs',
  'outboxCapacity', 'maxPayloadBytes', 'connectTimeoutMs', 'publishTimeoutMs', 'backlogGraceMs']);

function integer(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalidArgument(`nats.${name}`, `an integer from ${min} to ${max}`, v);
  return v;
}

function optionalString(name: string, v: unknown): string | undefined {
  if (v !== undefined && (typeof v !== 'string' || v === '')) throw invalidArgument(`nats.${name}`, 'a non-empty string', v);
  return v as string | undefined;
}

/** A server URL nats.js can dial: `nats://` or `tls://` with a host (and a port), or `host[:port]`. */
function isServerUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `nats://${s}`);
  } catch {
    return false;
  }
  return (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '' && u.pathname === '' && u.search === '' && u.hash === '';
}

/**
 * Resolves the bridge's configuration, or null when the system is to stay local. Every option is
 * checked here, so a mistake fails createActorSystem with ERR_TROUPE_INVALID_ARGUMENT naming it
 * (and not later, as a server that never answers).
 */
export function bridgeConfig(nats: NatsOptions | undefined, node: string | undefined, env: NodeJS.ProcessEnv = process.env): BridgeConfig | null {
  let o = nats;
  let from = 'nats.servers';
  if (o === undefined) {
    const url = env.TROUPE_NATS_URL;
    if (url === undefined || url === '') return null;
    o = { servers: url.split(',').map((s) => s.trim()).filter(Boolean) };
    from = 'TROUPE_NATS_URL';
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw invalidArgument('nats', 'an object: { servers, ... }', o);
  const unknown = Object.keys(o).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) {
    throw new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `unknown option(s) ${unknown.map((k) => `nats.${k}`).join(', ')}; known: ${[...KEYS].join(', ')}`,
      { details: { name: 'nats', unknown } });
  }
  const servers = typeof o.servers === 'string' ? [o.servers] : o.servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || !isServerUrl(s.trim()))) {
    throw invalidArgument(from, "a URL or a list of URLs, e.g. 'nats://127.0.0.1:4222'", o.servers);
  }
  const prefix = o.prefix ?? 'troupe';
  if (typeof prefix !== 'string' || !TOKEN.test(prefix)) throw invalidArgument('nats.prefix', 'letters, digits, "-" and "_" only', prefix);
  const maxDeliver = integer('maxDeliver', o.maxDeliver, 5, 2, 1_000_000);
  const user = optionalString('user', o.user);
  if (o.pass !== undefined && typeof o.pass !== 'string') throw invalidArgument('nats.pass', 'a string', '[not a string]');
  const pass = o.pass;
  const token = optionalString('token', o.token);
  const nkey = optionalString('nkey', o.nkey);
  if (nkey !== undefined) {
    // Checked here: nats.js would only fail while connecting, and that looks like an outage.
    let ok = nkey.startsWith('SU');
    try { if (ok) nkeys.fromSeed(new TextEncoder().encode(nkey)); } catch { ok = false; }
    if (!ok) throw invalidArgument('nats.nkey', "an nkey user seed ('SU...')", '[a string that is not one]');
  }
  let creds = o.creds;
  if (creds !== undefined) {
    if (typeof creds !== 'string' || creds === '') throw invalidArgument('nats.creds', 'a .creds file path or its contents', creds);
    if (!creds.includes('BEGIN NATS USER JWT')) {
      try { creds = readFileSync(creds, 'utf8'); } catch (err) {
        throw new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `nats.creds: cannot read ${creds}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  if ((user === undefined) !== (pass === undefined)) throw invalidArgument('nats.user/pass', 'both or neither', { user });
  if (o.tls !== undefined && o.tls !== true && (o.tls === null || typeof o.tls !== 'object' || Array.isArray(o.tls))) {
    throw invalidArgument('nats.tls', 'true or an object of TLS options ({ caFile, certFile, keyFile })', o.tls);
  }
  return {
    servers: servers.map((s) => s.trim()),
    auth: { user, pass, token, nkey, creds },
    tls: o.tls === true ? {} : o.tls,
    prefix,
    node: nodeId(node, env),
    maxDeliver,
    ackWaitMs: integer('ackWaitMs', o.ackWaitMs, 30_000, 1, MAX_MS),
    retryMs: integer('retryMs', o.retryMs, 1000, 1, MAX_MS),
    outboxCapacity: integer('outboxCapacity', o.outboxCapacity, 10_000, 1, 10_000_000),
    // JetStream's own ceiling for a message is 64 MiB.
    maxPayloadBytes: integer('maxPayloadBytes', o.maxPayloadBytes, 1 << 20, 1024, 64 << 20),
    connectTimeoutMs: integer('connectTimeoutMs', o.connectTimeoutMs, 5000, 1, MAX_MS),
    publishTimeoutMs: integer('publishTimeoutMs', o.publishTimeoutMs, 5000, 1, MAX_MS),
    backlogGraceMs: integer('backlogGraceMs', o.backlogGraceMs, 30_000, 0, MAX_MS),
    incarnation: randomBytes(4).readUInt32BE(0) || 1,
  };
}

/** Names of everything the bridge makes, from the prefix. */
export function names(prefix: string, node: string) {
  const P = prefix;
  return {
    /** This node's inbound stream and the subjects other nodes publish to (`.<sender>` last). */
    nodeStream: `${P}_NODE_${node}`,
    nodeSubjects: `${P}.node.${node}.>`,
    toNode: (target: string, from: string) => `${P}.node.${target}.${from}`,
    /** At-most-once messages: core NATS, no stream. */
    direct: (target: string, from: string) => `${P}.direct.${target}.${from}`,
    directSubjects: `${P}.direct.${node}.*`,
    /** Named with the prefix: the max-deliveries advisories of every node's consumer are captured by that name. */
    consumer: `${P}_bridge`,
    /** Where those advisories are kept (JetStream publishes them on core NATS only), and who reads them. */
    advisoryStream: `${P}_ADVISORIES`,
    advisorySubjects: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*.${P}_bridge`,
    backstop: `${P}_dlq_backstop`,
    nodeOfStream: (stream: string) => stream.startsWith(`${P}_NODE_`) ? stream.slice(`${P}_NODE_`.length) : stream,
    dlqStream: `${P}_DLQ`,
    dlqSubjects: `${P}.dlq.>`,
    dlq: (reason: string, from: string) => `${P}.dlq.${sanitizeToken(reason)}.${from}`,
    errorsStream: `${P}_ERRORS`,
    errorsSubjects: `${P}.errors.>`,
    errors: (severity: string, category: string) => `${P}.errors.${sanitizeToken(severity)}.${sanitizeToken(category)}`,
    /** Alerts (core NATS, JSON): `<prefix>.alerts.<severity>`. */
    alerts: (severity: string) => `${P}.alerts.${sanitizeToken(severity)}`,
    namesBucket: `${P}_names`,
    /** Each node's ping responder (core NATS): it answers with the node's incarnation (ping.ts). */
    ping: (target: string) => `${P}.ping.${target}`,
  };
}

/** Names of everything the bridge makes (`names`). */
export type Names = ReturnType<typeof names>;
