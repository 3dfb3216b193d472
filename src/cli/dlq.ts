/**
 * `troupe dlq list | replay | purge --nats <url>`: the dead-letter stream from the command line,
 * without an actor system. Replay sends each dead letter back to its target as a tell from the
 * node `cli-<pid>`: a target found by name must be exposed (spawned with `expose: true`), since
 * the CLI is another node to it.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Codec } from '../runtime/mesh/codec.js';
import { names } from '../bridge/config.js';
import { DeadLetterStream, replayTarget, type StoredDeadLetter } from '../bridge/dlq.js';
import type { ExposedName } from '../bridge/names.js';
import { W_TELL, encodeEnvelope, payloadHeader } from '../bridge/envelope.js';
import type { DeadLetterFilter } from '../runtime/main/dead-letters.js';
import { DEAD_LETTER_REASONS, isDeadLetterReason } from '../actors/dead-letter-reasons.js';

export const DLQ_HELP = `usage: troupe dlq <list|replay|purge> [options]

  list     print the stored dead letters (newest last)
  replay   send them back to their targets, then remove them from the stream
  purge    delete them

options:
  --nats <url>       NATS server (default: TROUPE_NATS_URL)
  --prefix <p>       subject/stream prefix (default: troupe)
  --reason <r>       only this reason (e.g. actor-failed)
  --target <path>    only this target (e.g. /user/orders)
  --since <when>     only since: an ISO date, epoch ms, or an age such as 30m, 2h, 7d
  --limit <n>        at most n (list default: 100)
  --json             list as JSON lines`;

interface Args { sub: string; url: string; prefix: string; filter: DeadLetterFilter; json: boolean }

export function parseSince(v: string, now = Date.now()): number {
  const age = /^(\d+)(s|m|h|d)$/.exec(v);
  if (age) return now - Number(age[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[age[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`--since: not a date, epoch ms or age (30m, 2h, 7d): ${v}`);
  return t;
}

function parse(argv: string[]): Args {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'replay' && sub !== 'purge') throw new Error(`unknown dlq command "${sub ?? ''}"\n\n${DLQ_HELP}`);
  const a: Args = { sub, url: process.env.TROUPE_NATS_URL ?? '', prefix: 'troupe', filter: {}, json: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--nats': a.url = value(); break;
      case '--prefix': a.prefix = value(); break;
      case '--reason': {
        const reason = value();
        if (!isDeadLetterReason(reason)) throw new Error(`--reason must be one of: ${Object.keys(DEAD_LETTER_REASONS).join(', ')}`);
        a.filter.reason = reason;
        break;
      }
      case '--target': a.filter.target = value(); break;
      case '--since': a.filter.since = parseSince(value()); break;
      case '--limit': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new Error('--limit: a positive integer');
        a.filter.limit = n;
        break;
      }
      case '--json': a.json = true; break;
      default: throw new Error(`unknown option ${flag}\n\n${DLQ_HELP}`);
    }
  }
  if (a.url === '') throw new Error('no NATS server: pass --nats <url> or set TROUPE_NATS_URL');
  return a;
}

function line(d: StoredDeadLetter): string {
  const msg = JSON.stringify(d.message) ?? String(d.message);
  const err = d.error ? ` (${d.error.code ?? d.error.category ?? 'error'}: ${d.error.message})` : '';
  return `#${d.seq} ${new Date(d.lastTime).toISOString()} ${d.reason} ${d.node}:${d.target}${err} ${msg.length > 200 ? `${msg.slice(0, 200)}…` : msg}`;
}

/** Runs a dlq subcommand; resolves with the exit code. Output goes to `out`. */
export async function runDlq(argv: string[], out: (s: string) => void = (s) => console.log(s)): Promise<number> {
  const a = parse(argv);
  const nc = await connect({ servers: a.url.split(','), name: `troupe-cli-${process.pid}` });
  try {
    const jsm = await jetstreamManager(nc);
    const n = names(a.prefix, `cli-${process.pid}`);
    const codec = new Codec(null);
    const stream = new DeadLetterStream(jsm, n.dlqStream, (b) => codec.decode(b, 0, b.length));
    if (a.sub === 'list') {
      const list = await stream.list(a.filter);
      for (const d of list) out(a.json ? JSON.stringify({ ...d, raw: undefined }) : line(d));
      if (!a.json) out(`${list.length} dead letter(s)`);
      return 0;
    }
    if (a.sub === 'purge') {
      out(`purged ${await stream.purge(a.filter)} dead letter(s)`);
      return 0;
    }
    const js = jetstream(nc);
    const kv = await new Kvm(nc).open(n.namesBucket).catch(() => null);
    const self = `cli-${process.pid}`;
    const r = await stream.replay(a.filter, async (d) => {
      const t = replayTarget(d);
      let to: { node: string; incarnation?: number; thread: number; id: number } | null = null;
      let name: string | null = null;
      if (t !== null && 'node' in t) to = t;
      else if (t !== null && kv !== null) {
        const e = await kv.get(t.name).catch(() => null);
        if (e && e.operation === 'PUT') to = JSON.parse(new TextDecoder().decode(e.value)) as ExposedName;
        name = t.name;
      }
      if (to === null || d.message === undefined) return false;
      // The CLI is no node's run: its header's incarnation is 0. The target's run is the one the
      // address or name is of (a later run takes an address as a stale ref, and a name by name).
      const data = encodeEnvelope(payloadHeader(self, 0), { k: W_TELL, f: null, t: [to.thread, to.id], ti: to.incarnation ?? 0, tn: name, c: 0 }, d.raw);
      await js.publish(n.toNode(to.node, self), data, { msgID: `${self}.replay.${d.seq}` });
      return true;
    });
    out(`replayed ${r.replayed}, skipped ${r.skipped} (no target found)`);
    return 0;
  } finally {
    await nc.close();
  }
}
