import { context as otelContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { parseTraceparent, type TraceParent } from "./traceparent";

/**
 * flowdeploy's spans, through the OpenTelemetry API only: whatever SDK the host registered exports
 * them (Azure Monitor on Azure, src/tracing/azureMonitor.ts; a JSON-lines file for `serve`/`local`,
 * src/tracing/fileExporter.ts). With none registered the API's no-op tracer still carries a remote
 * parent's context, so the trace id flows through the orchestration to the notification anyway.
 */
const tracer = () => {
  ensureContextManager();
  return trace.getTracer("flowdeploy");
};

let contextManagerChecked = false;

/**
 * Spans are parents only through the active context, which needs a context manager: the Azure
 * Monitor distro and the file tracer register one; with neither, this registers Node's
 * AsyncLocalStorage one, so the trace id of a message still reaches the spans and the notification
 * it causes. (`setGlobalContextManager` keeps a manager already registered.)
 */
function ensureContextManager(): void {
  if (contextManagerChecked) return;
  contextManagerChecked = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!otelContext.setGlobalContextManager(manager)) manager.disable();
}

/** The span attributes flowdeploy sets (OpenTelemetry's naming: a product namespace, dot-separated). */
export const ATTR = {
  instanceId: "flowdeploy.instance_id",
  requestId: "flowdeploy.request_id",
  stage: "flowdeploy.stage",
  activity: "flowdeploy.activity",
  source: "flowdeploy.source",
  endpoint: "flowdeploy.endpoint",
} as const;

/** A context whose parent is the given remote span (or the root when there is none). */
export function contextOf(parent: TraceParent | undefined): Context {
  if (!parent) return ROOT_CONTEXT;
  // Set directly (no propagator needed): the API carries it even when no SDK is registered.
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });
}

/** The active span's context as a traceparent, if there is a valid one. */
export function activeTraceparent(): TraceParent | undefined {
  const sc = trace.getSpan(otelContext.active())?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return parseTraceparent(`00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`);
}

/**
 * Runs `fn` in a new span, child of `parent` (a remote context), of nothing when it is null, or of the
 * active span when it is undefined: ended when `fn` settles, marked as an error when it throws (the error's name only: a
 * message can carry what a span must not).
 */
export async function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes; parent?: TraceParent | null | undefined }, fn: (span: Span) => Promise<T>): Promise<T> {
  // null: a new trace, whatever is active (an activity of an untraced run must not join the trace of
  // whatever call happened to start the local runner's loop).
  const parentContext = options.parent === null ? ROOT_CONTEXT : options.parent ? contextOf(options.parent) : otelContext.active();
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parentContext, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}

export { SpanKind };
