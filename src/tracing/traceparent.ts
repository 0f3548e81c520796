import { randomBytes } from "node:crypto";

/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `version-traceid-parentid-flags`, lower-case hex, version `00` (a later version is read by its
 * first four fields, as the spec asks; `ff` is invalid), a 32-hex trace id and a 16-hex span id that
 * are not all zeros, and 2 hex of flags (bit 0: sampled).
 */
export interface TraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== "string") return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(tp: TraceParent): string {
  return `00-${tp.traceId}-${tp.spanId}-${tp.sampled ? "01" : "00"}`;
}

/** A new trace, sampled: what a producer with no trace of its own starts (flowdeploy enqueue). */
export function newTraceparent(): TraceParent {
  return { traceId: nonZeroHex(16), spanId: nonZeroHex(8), sampled: true };
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString("hex");
    if (!/^0+$/.test(hex)) return hex;
  }
}

/**
 * The first valid trace context among application properties, read as the Functions Node worker
 * hands them over: @azure/functions' fromRpcTriggerMetadata camel-cases every key, nested ones too
 * (toCamelCaseKey lower-cases the first letter), so Service Bus' `Diagnostic-Id` arrives as
 * `diagnostic-Id`. Keys are compared without case. `Diagnostic-Id` is the property the Azure SDKs
 * write a W3C traceparent to (@azure/service-bus 7.9.5, diagnostics/instrumentServiceBusMessage.ts:
 * TRACEPARENT_PROPERTY; learn.microsoft.com, "Distributed tracing and correlation through Service Bus
 * messaging"); a plain `traceparent` property is read too.
 */
export const DIAGNOSTIC_ID_PROPERTY = "Diagnostic-Id";

export function traceparentOfProperties(properties: unknown): TraceParent | undefined {
  if (typeof properties !== "object" || properties === null) return undefined;
  const byName = new Map(Object.entries(properties as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
  return parseTraceparent(byName.get("diagnostic-id")) ?? parseTraceparent(byName.get("traceparent"));
}
