import * as df from "durable-functions";
import type { ErrorStage } from "../src/contracts/notification";

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

/** What the orchestrator knows of a failed activity: the properties its PipelineError carried. */
export interface ActivityFailure {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds: number | undefined;
}

/**
 * Reads `{code, retryable, retryAfterSeconds}` that the exception-properties provider attached
 * (src/index.ts). Branches on data, never on message text; a failure without properties is an
 * unexpected error and is not retried.
 */
export function activityFailure(err: unknown): ActivityFailure {
  if (err instanceof df.TaskFailedError) {
    const props = err.failureDetails.properties ?? {};
    return {
      code: typeof props["code"] === "string" ? props["code"] : "ActivityFailed",
      message: err.failureDetails.errorMessage,
      retryable: props["retryable"] === true,
      retryAfterSeconds: typeof props["retryAfterSeconds"] === "number" ? props["retryAfterSeconds"] : undefined,
    };
  }
  return { code: "ActivityFailed", message: err instanceof Error ? err.message : String(err), retryable: false, retryAfterSeconds: undefined };
}
