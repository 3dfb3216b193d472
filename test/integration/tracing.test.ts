// Tracing (createActorSystem({ tracing })), with @opentelemetry/api and the SDK's in-memory and
// BroadcastChannel exporters: a tell or ask made inside a span carries its W3C trace context to
// the actor, across threads and across NATS; the actor's handling is a span under its sender's,
// and what the handler sends goes on under the handler's span. Actors and dead letters see the
// message itself, never the trace context.
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { deadLetters, fixture, quiet } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';
import type { SpanRecord } from '../fixtures/tracing-setup.js';

const haveNats = natsAvailable();
const exporter = new InMemorySpanExporter();
const tracer = trace.getTracer('test');
const setup = fixture('tracing-setup');

/** Spans the workers' providers post (fixtures/tracing-setup.ts), as they come. */
const spans: SpanRecord[] = [];
const waiting = new Set<() => void>();
const channel = new BroadcastChannel('troupe-test-spans');
channel.onmessage = (e) => { spans.push((e as MessageEvent).data as SpanRecord); for (const w of waiting) w(); };

/** The first worker span for which `match` holds, once it has come (10 s at most: a span that never comes fails the test). */
function span(match: (s: SpanRecord) => boolean): Promise<SpanRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(look);
      reject(new Error(`no such span within 10 s; spans: ${JSON.stringify(spans.map((s) => [s.name, s.traceId, s.spanId, s.parentSpanId]))}`));
    }, 10_000);
    const look = () => {
      const s = spans.find(match);
      if (s !== undefined) { clearTimeout(timer); waiting.delete(look); resolve(s); }
    };
    waiting.add(look);
    look();
  });
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
afterAll(() => {
  channel.close();
  // The test files share one process: leave no global provider or context manager behind.
  trace.disable();
  context.disable();
});

describe('tracing across threads', () => {
  let system: ActorSystem;
  let a: ActorRef;
  let b: ActorRef;

  beforeAll(async () => {
    system = await createActorSystem({ name: 'traced', workers: 2, logger: quiet, tracing: { setup } });
    a = await system.spawn(fixture('echo.actor'), { name: 'a', placement: { worker: 0 } });
    b = await system.spawn(fixture('echo.actor'), { name: 'b', placement: { worker: 1 } });
  });
  afterAll(async () => { await system.shutdown(); });

  it("an ask from main in a span is handled in a span under it, and the handler's ask to another worker under that", async () => {
    const { traceId, spanId, answer } = await tracer.startActiveSpan('request', async (root) => {
      const got = await a.ask({ type: 'ask-other', other: b, value: 7 });
      root.end();
      return { ...root.spanContext(), answer: got };
    });
    // The actors saw the message itself.
    expect(answer).toBe(7);
    const first = await span((s) => s.traceId === traceId && s.parentSpanId === spanId);
    expect(first).toMatchObject({ name: 'echo.actor receive', kind: SpanKind.SERVER, status: SpanStatusCode.UNSET });
    expect(first.attributes).toMatchObject({ 'messaging.system': 'troupe', 'messaging.destination.name': '/user/a', 'troupe.ask': true });
    const second = await span((s) => s.traceId === traceId && s.parentSpanId === first.spanId);
    expect(second.attributes['messaging.destination.name']).toBe('/user/b');
    expect(second.thread).not.toBe(first.thread);
  });

  it('a tell is a CONSUMER span; a message sent outside any span carries nothing and makes no span', async () => {
    const before = spans.length;
    expect(await b.ask({ type: 'echo', value: 'plain' })).toBe('plain');
    const { traceId, spanId } = tracer.startActiveSpan('notify', (root) => {
      a.tell({ type: 'tell-other', other: b, value: { type: 'echo', value: 1 } });
      root.end();
      return root.spanContext();
    });
    const handled = await span((s) => s.traceId === traceId && s.parentSpanId === spanId);
    expect(handled.kind).toBe(SpanKind.CONSUMER);
    await span((s) => s.traceId === traceId && s.parentSpanId === handled.spanId);
    // The untraced ask made no span of its own.
    expect(spans.slice(before).every((s) => s.traceId === traceId)).toBe(true);
  });

  it('a handler that throws ends its span with an error; dead letters hold the message itself', async () => {
    const failing = await system.spawn(fixture('failing.actor'));
    const { traceId } = await tracer.startActiveSpan('bad', async (root) => {
      await failing.ask({ type: 'boom', field: 'x' }).catch(() => {});
      root.end();
      return root.spanContext();
    });
    const failed = await span((s) => s.traceId === traceId);
    expect(failed.status).toBe(SpanStatusCode.ERROR);
    const gone = await system.spawn(fixture('echo.actor'));
    await system.stop(gone);
    const dl = deadLetters(system, 'no-such-actor', 1);
    tracer.startActiveSpan('lost', (root) => { gone.tell({ type: 'echo', value: 'lost' }); root.end(); });
    await dl;
    expect(system.deadLetters.list({ reason: 'no-such-actor' }).at(-1)!.message).toEqual({ type: 'echo', value: 'lost' });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('request');
  });
});

describe('tracing off', () => {
  it('leaves messages as they are and makes no span, even when the sender is in one', async () => {
    const system = await createActorSystem({ name: 'untraced', workers: 1, logger: quiet });
    try {
      const echo = await system.spawn(fixture('echo.actor'));
      const { traceId, answer } = await tracer.startActiveSpan('ignored', async (root) => {
        const got = await echo.ask({ type: 'echo', value: { deep: [1, 2] } });
        root.end();
        return { ...root.spanContext(), answer: got };
      });
      expect(answer).toEqual({ deep: [1, 2] });
      expect(spans.some((s) => s.traceId === traceId)).toBe(false);
    } finally {
      await system.shutdown();
    }
  });
});

describe.skipIf(!haveNats)('tracing across NATS', () => {
  let server: NatsServer;
  let nodeA: ActorSystem;
  let nodeB: ActorSystem;

  beforeAll(async () => {
    server = await NatsServer.start();
    const nats = { servers: server.url, retryMs: 50, publishTimeoutMs: 500 };
    nodeA = await createActorSystem({ name: 'ta', node: 't-a', workers: 1, logger: quiet, nats, tracing: true });
    nodeB = await createActorSystem({ name: 'tb', node: 't-b', workers: 1, logger: quiet, nats, tracing: { setup } });
    await nodeB.spawn(fixture('echo.actor'), { name: 't-echo', expose: true });
  });
  afterAll(async () => {
    await nodeA?.shutdown({ timeoutMs: 3000 });
    await nodeB?.shutdown({ timeoutMs: 3000 });
    await server?.stop();
  });

  it('an ask to an actor on another node is handled in a span under the sender', async () => {
    const echo = (await nodeA.resolve('t-echo', { timeoutMs: 10_000 }))!;
    const { traceId, spanId, answer } = await tracer.startActiveSpan('remote', async (root) => {
      const got = await echo.ask({ type: 'echo', value: 'over nats' }, { timeoutMs: 10_000 });
      root.end();
      return { ...root.spanContext(), answer: got };
    });
    expect(answer).toBe('over nats');
    const handled = await span((s) => s.traceId === traceId && s.parentSpanId === spanId);
    expect(handled.attributes['messaging.destination.name']).toBe('/user/t-echo');
  });
});
