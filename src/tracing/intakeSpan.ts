import type { InvocationContext } from "@azure/functions";
import { ATTR, inSpan, SpanKind } from "./spans";
import { parseTraceparent, type TraceParent } from "./traceparent";

/**
 * Runs a trigger's intake in the span that starts flowdeploy's part of a trace: its parent is the
 * trace context the message carried (`carried`: Service Bus `Diagnostic-Id`, a CloudEvent's
 * `traceparent`, an HTTP `traceparent` header), else the invocation's own (the Functions host's
 * `traceContext.traceParent`), else none (a new trace). The orchestration and its activities continue
 * the active span's trace (src/intake/startOnce.ts puts it in the orchestration's input).
 */
export function inIntakeSpan<T>(source: "queue" | "eventGrid" | "http", carried: TraceParent | undefined, context: InvocationContext, fn: () => Promise<T>): Promise<T> {
  const parent = carried ?? parseTraceparent(context.traceContext?.traceParent);
  return inSpan(`flowdeploy intake ${source}`, { kind: source === "http" ? SpanKind.SERVER : SpanKind.CONSUMER, attributes: { [ATTR.source]: source }, parent }, () => fn());
}
