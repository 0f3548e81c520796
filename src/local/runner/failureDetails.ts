import type { FailureDetailsPayload } from "./wire";

/**
 * FailureDetails for an activity that threw, built the way the Durable extension builds them
 * (OutOfProcMiddleware.GetFailureDetails):
 *
 * - durable-functions' activity wrapper (`wrapActivityHandler`) asks the exception-properties provider
 *   (`df.app.setExceptionPropertiesProvider`) for properties; when it returns some, it replaces the
 *   error's message with a single-line JSON TaskFailureDetails `{errorType, errorMessage, stackTrace,
 *   isNonRetriable, properties}`. The extension parses that first line (TryExtractSerializedFailureDetails)
 *   and the orchestrator sees `TaskFailedError.failureDetails.properties`.
 * - otherwise the failure carries the error's type and message.
 *
 * With `properties: false` the runner plays an extension older than 3.14, which has no parser for that
 * payload: the failure keeps the error's type and its (rewritten, JSON) message, and no Properties.
 * durable-functions 3.5 documents it (types/app.d.ts, setExceptionPropertiesProvider: "Requires a
 * Durable Functions host extension version >= 3.14.0 ... On older extensions the payload is not
 * recognized and the error message may be garbled").
 *
 * Not modelled: the host's sanitizer, which masks secret-shaped strings in exception messages.
 */
export function failureDetailsFromError(error: unknown, options: { properties?: boolean } = {}): FailureDetailsPayload {
  const err = error instanceof Error ? error : undefined;
  const message = err ? err.message : typeof error === "string" ? error : safeJson(error);
  const serialized = options.properties === false ? undefined : parseSerializedFailureDetails(message);
  if (serialized) return serialized;
  return {
    ErrorType: err?.name || "Error",
    ErrorMessage: message,
    ...(err?.stack ? { StackTrace: err.stack } : {}),
    IsNonRetriable: false,
  };
}

/** The extension's reason text on TaskFailed (the library shows it only when FailureDetails is absent). */
export function activityFailureReason(functionName: string): string {
  return `Function '${functionName}' failed with an unhandled exception.`;
}

function parseSerializedFailureDetails(message: string): FailureDetailsPayload | undefined {
  if (!message.startsWith("{")) return undefined;
  const newline = message.indexOf("\n");
  const firstLine = (newline < 0 ? message : message.substring(0, newline)).trim();
  try {
    const dto = JSON.parse(firstLine) as Record<string, unknown>;
    if (typeof dto !== "object" || dto === null || typeof dto.errorMessage !== "string") return undefined;
    return fromCamelDto(dto);
  } catch {
    return undefined;
  }
}

function fromCamelDto(dto: Record<string, unknown>): FailureDetailsPayload {
  const inner = dto.innerFailure;
  return {
    ErrorType: typeof dto.errorType === "string" ? dto.errorType : "Error",
    ErrorMessage: typeof dto.errorMessage === "string" ? dto.errorMessage : "",
    ...(typeof dto.stackTrace === "string" ? { StackTrace: dto.stackTrace } : {}),
    IsNonRetriable: dto.isNonRetriable === true,
    ...(typeof dto.properties === "object" && dto.properties !== null ? { Properties: dto.properties as Record<string, unknown> } : {}),
    ...(typeof inner === "object" && inner !== null ? { InnerFailure: fromCamelDto(inner as Record<string, unknown>) } : {}),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
