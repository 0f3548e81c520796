import { appendFileSync } from "node:fs";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { useInstrumenter } from "@azure/core-tracing";
import { createOpenTelemetryInstrumenter } from "@azure/opentelemetry-instrumentation-azure-sdk";

/** One span as `--trace FILE` writes it: one JSON object per line. */
export interface SpanLine {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  start: string;
  end: string;
  status: "unset" | "ok" | "error";
  attributes: Record<string, unknown>;
}

/**
 * The spans of `flowdeploy serve --trace FILE` / `local --trace FILE`, appended as JSON lines as each
 * span ends: flowdeploy's own (intake, each activity execution) and the Azure SDK's (each ARM and
 * Service Bus operation: @azure/opentelemetry-instrumentation-azure-sdk, the instrumentation the
 * Azure Monitor distro turns on in Azure).
 */
class JsonLinesExporter implements SpanExporter {
  constructor(private readonly file: () => string | undefined) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const file = this.file();
    try {
      if (file) appendFileSync(file, spans.map((s) => JSON.stringify(spanLine(s)) + "\n").join(""));
      done({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function spanLine(s: ReadableSpan): SpanLine {
  const time = (t: [number, number]) => new Date(t[0] * 1000 + t[1] / 1e6).toISOString();
  return {
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? null,
    name: s.name,
    kind: s.kind,
    start: time(s.startTime),
    end: time(s.endTime),
    status: s.status.code === 2 ? "error" : s.status.code === 1 ? "ok" : "unset",
    attributes: { ...s.attributes },
  };
}

let target: string | undefined;
let registered = false;

/**
 * Sends this process's spans to `file` (JSON lines) until the returned function is called. The tracer
 * provider is registered once per process (OpenTelemetry's global can be set once); later calls only
 * change where its spans go.
 */
export function traceToFile(file: string): () => void {
  if (!registered) {
    registered = true;
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new JsonLinesExporter(() => target))] });
    provider.register();
    // Set on @azure/core-tracing directly (its instrumenter is one process-wide singleton), whatever
    // loaded it first; the instrumentation's require hook would miss a copy loaded before it.
    useInstrumenter(createOpenTelemetryInstrumenter());
  }
  target = file;
  return () => {
    if (target === file) target = undefined;
  };
}
