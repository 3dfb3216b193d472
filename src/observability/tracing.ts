/**
 * Tracing (`createActorSystem({ tracing: true })`), through `@opentelemetry/api`, an optional
 * peer dependency loaded only when tracing is on. A `tell` or `ask` made while a span is active
 * carries its W3C trace context (traceparent, tracestate) with the message (observability/traced.ts),
 * across threads and across NATS; the receiving actor handles it inside a span of its own under
 * that one (`<type> receive`, kind CONSUMER for a tell, SERVER for an ask), and what the handler
 * sends carries the handler's span on. Each thread uses its own global tracer provider: main
 * the user's, and each worker the one its `tracing.setup` module registers (run in every host
 * worker before any actor starts); without one a worker still passes the context on, recording
 * no span of its own.
 */
import type * as Api from '@opentelemetry/api';
import type { ActorContext, DefinedActor } from '../actors/define.js';
import { TroupeError } from '../actors/errors.js';
import { Traced, setTracing } from './traced.js';

type Otel = typeof Api;

type Receive = DefinedActor['receive'];

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export class Tracing {
  private readonly tracer: Api.Tracer;
  /** The context of the message each actor (by its troupe Context) is handling, for what it sends. */
  private readonly handling = new WeakMap<object, Api.Context>();
  /** Actor definitions with their receive wrapped, by definition and type. */
  private readonly actors = new WeakMap<object, Map<string, unknown>>();

  constructor(private readonly api: Otel) {
    this.tracer = api.trace.getTracer('troupe');
  }

  /**
   * `msg` with the trace context of `ctx` (the sending handler's troupe Context), else of the
   * active span; `msg` itself when there is none.
   */
  wrap(msg: unknown, ctx: object | null): unknown {
    if (msg instanceof Traced) return msg;
    const api = this.api;
    const c = (ctx !== null ? this.handling.get(ctx) : undefined) ?? api.context.active();
    const sc = api.trace.getSpanContext(c);
    if (sc === undefined || !api.isSpanContextValid(sc)) return msg;
    const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
    return new Traced(`00-${sc.traceId}-${sc.spanId}-${flags}`, sc.traceState?.serialize() || undefined, msg);
  }

  /** `def` with its receive wrapped (below), made once per definition and type. */
  actor(def: DefinedActor, type: string): DefinedActor {
    let byType = this.actors.get(def);
    if (byType === undefined) this.actors.set(def, byType = new Map());
    let traced = byType.get(type) as DefinedActor | undefined;
    if (traced === undefined) {
      traced = Object.create(def, { receive: { value: this.receive(def.receive, type), enumerable: true } }) as DefinedActor;
      byType.set(type, traced);
    }
    return traced;
  }

  /** `receive`, handling a traced message inside a span under its sender's; `type`: the actor's type. */
  receive(receive: Receive, type: string): Receive {
    const api = this.api;
    const tracing = this;
    const wrapped = function (this: unknown, state: unknown, msg: unknown, ctx: ActorContext): unknown {
      if (!(msg instanceof Traced)) return receive.call(this, state, msg, ctx);
      const parent = tracing.extract(msg);
      const asking = (ctx as unknown as { corr: number }).corr !== 0;
      const span = tracing.tracer.startSpan(`${type} receive`, {
        kind: asking ? api.SpanKind.SERVER : api.SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'troupe', 'messaging.operation.type': 'process', 'messaging.destination.name': ctx.self.path, 'troupe.actor.type': type, 'troupe.ask': asking },
      }, parent);
      const c = api.trace.setSpan(parent, span);
      tracing.handling.set(ctx, c);
      let result: unknown;
      try {
        result = api.context.with(c, () => receive.call(this, state, msg.msg, ctx));
      } catch (err) {
        tracing.fail(span, err);
        throw err;
      }
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        return (result as Promise<unknown>).then((v) => { span.end(); return v; }, (err: unknown) => { tracing.fail(span, err); throw err; });
      }
      span.end();
      return result;
    };
    return wrapped;
  }

  private extract(t: Traced): Api.Context {
    const api = this.api;
    const m = TRACEPARENT.exec(t.traceparent);
    if (m === null) return api.ROOT_CONTEXT;
    const sc: Api.SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
    if (t.tracestate !== undefined) sc.traceState = api.createTraceState(t.tracestate);
    return api.trace.setSpanContext(api.ROOT_CONTEXT, sc);
  }

  private fail(span: Api.Span, err: unknown): void {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    span.end();
  }
}

/** Loads `@opentelemetry/api` and turns tracing on for this thread. */
export async function loadTracing(): Promise<Tracing> {
  let api: Otel;
  try {
    api = await import('@opentelemetry/api');
  } catch (err) {
    throw new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', 'tracing: true needs @opentelemetry/api: npm install @opentelemetry/api', { cause: err });
  }
  setTracing(true);
  return new Tracing(api);
}
