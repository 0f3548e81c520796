import * as df from "durable-functions";
import type { ErrorStage } from "../src/contracts/stages";
import { isRetryableStatus } from "../src/errors";

/** Why a stage ended the run: what the Failed notification says. */
export class StageFailure extends Error {
  override readonly name = "StageFailure";
  constructor(
    readonly stage: ErrorStage,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An operator cancelled the run (the cancel event); the run cleans up and reports Cancelled. */
export class CancelRequested extends Error {
  override readonly name = "CancelRequested";
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** What the orchestrator knows of a failed activity: the properties its PipelineError carried. */
export interface ActivityFailure {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds: number | undefined;
}

/**
 * Reads `{code, retryable, retryAfterSeconds}` that the exception-properties provider attached
 * (src/index.ts). Branches on data, never on prose. When the properties are missing — an extension
 * older than 3.14 does not parse the provider's payload (durable-functions 3.5 types/app.d.ts) — the
 * payload is still in the message, and is read from there; failing that, the HTTP status the message
 * names decides (408, 429 and 5xx are retried: `isRetryableStatus`). Anything else is an unexpected
 * error and is not retried.
 */
export function activityFailure(err: unknown): ActivityFailure {
  if (err instanceof df.TaskFailedError) {
    const props = err.failureDetails.properties ?? undefined;
    if (props) return fromProperties(props, err.failureDetails.errorMessage);
    return fromMessage(err.failureDetails.errorMessage);
  }
  return fromMessage(err instanceof Error ? err.message : String(err));
}

function fromProperties(props: Record<string, unknown>, message: string): ActivityFailure {
  return {
    code: typeof props["code"] === "string" ? props["code"] : "ActivityFailed",
    message,
    retryable: props["retryable"] === true,
    retryAfterSeconds: typeof props["retryAfterSeconds"] === "number" ? props["retryAfterSeconds"] : undefined,
  };
}

/** The provider's payload left in the message (`{"errorType":…,"errorMessage":…,"properties":{…}}`), or a status code in the text. */
function fromMessage(message: string): ActivityFailure {
  const payload = providerPayload(message);
  if (payload) return fromProperties(payload.properties, payload.errorMessage);
  const status = statusIn(message);
  if (status !== undefined) return { code: `Http${status}`, message, retryable: isRetryableStatus(status), retryAfterSeconds: undefined };
  return { code: "ActivityFailed", message, retryable: false, retryAfterSeconds: undefined };
}

function providerPayload(message: string): { errorMessage: string; properties: Record<string, unknown> } | undefined {
  const start = message.indexOf("{");
  if (start < 0) return undefined;
  const end = message.indexOf("\n", start);
  try {
    const dto = JSON.parse(message.slice(start, end < 0 ? undefined : end).trim()) as { errorMessage?: unknown; properties?: unknown };
    if (typeof dto.errorMessage !== "string" || typeof dto.properties !== "object" || dto.properties === null) return undefined;
    return { errorMessage: dto.errorMessage, properties: dto.properties as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** `"status":503` (the payload's properties, possibly escaped inside host details) or `HTTP 503`. */
function statusIn(message: string): number | undefined {
  const match = /\\?"status\\?"\s*:\s*(\d{3})\b/.exec(message) ?? /\bHTTP (\d{3})\b/.exec(message);
  return match ? Number(match[1]) : undefined;
}
