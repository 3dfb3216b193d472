/**
 * A message that carries W3C trace context (tracing on: observability/tracing.ts). The sender
 * wraps it when a span is active; the codec carries the wrapper across threads and NATS; the
 * receiving actor's receive (wrapped by tracing) unwraps it inside a span under its sender's.
 * A thread with tracing off unwraps it as it decodes (`setTracing`), and dead letters always hold
 * the message itself (`untraced`). Tracing off, nothing is wrapped: records carry no extra byte.
 */
export class Traced {
  constructor(readonly traceparent: string, readonly tracestate: string | undefined, readonly msg: unknown) {}
}

let tracing = false;

/** Whether this thread keeps trace context on the messages it decodes (else it drops it). */
export function setTracing(on: boolean): void {
  tracing = on;
}

export function tracingOn(): boolean {
  return tracing;
}

/** The message itself, without trace context. (A revoked proxy cannot be asked its class: it is not a Traced.) */
export function untraced(msg: unknown): unknown {
  try {
    return msg instanceof Traced ? msg.msg : msg;
  } catch {
    return msg;
  }
}
