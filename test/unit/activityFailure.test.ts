import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { activityFailure } from "../../orchestrations/failures";
import { PipelineError } from "../../src/errors";

/**
 * How the orchestrator reads a failed activity: the exception-properties provider's properties when
 * the extension passes them (3.14+), else the provider's payload left in the message, else an HTTP
 * status named in the message — so retries survive an older extension.
 */
const taskFailed = (details: Partial<df.FailureDetails>) =>
  new (df.TaskFailedError as unknown as new (d: unknown, n: string, i: number) => df.TaskFailedError)({ errorType: "PipelineError", errorMessage: "", isNonRetriable: false, ...details }, "startDeployment", 3);

/** What durable-functions' activity wrapper puts in the message when a provider returns properties. */
const payload = (err: PipelineError) => JSON.stringify({ errorType: err.name, errorMessage: err.message, isNonRetriable: false, properties: err.toProperties() });

describe("activityFailure", () => {
  const throttled = new PipelineError("Too many requests", { code: "TooManyRequests", retryable: true, status: 429, retryAfterSeconds: 7 });
  const badRequest = new PipelineError("Instance type is not supported", { code: "BadArgument", retryable: false, status: 400 });

  it("uses the properties when the extension passes them", () => {
    expect(activityFailure(taskFailed({ errorMessage: "Too many requests", properties: { ...throttled.toProperties() } }))).toEqual({ code: "TooManyRequests", message: "Too many requests", retryable: true, retryAfterSeconds: 7 });
  });

  it("without properties (extension < 3.14), reads the provider's payload from the message", () => {
    expect(activityFailure(taskFailed({ errorMessage: payload(throttled) }))).toEqual({ code: "TooManyRequests", message: "Too many requests", retryable: true, retryAfterSeconds: 7 });
    expect(activityFailure(taskFailed({ errorMessage: payload(badRequest) }))).toMatchObject({ code: "BadArgument", retryable: false });
  });

  it("from a legacy host's plain Error (Reason + Details), the HTTP status decides", () => {
    const legacy = (status: number) => new Error(`Activity function 'startDeployment' failed: something \n {"$type":"System.Exception","Message":"...","status":${status}}`);
    expect(activityFailure(legacy(503))).toMatchObject({ code: "Http503", retryable: true });
    expect(activityFailure(legacy(429))).toMatchObject({ retryable: true });
    expect(activityFailure(legacy(404))).toMatchObject({ code: "Http404", retryable: false });
    expect(activityFailure(new Error("upstream said HTTP 502 Bad Gateway"))).toMatchObject({ retryable: true });
  });

  it("an error that names no status is not retried", () => {
    expect(activityFailure(taskFailed({ errorMessage: "TypeError: cannot read properties of undefined" }))).toEqual({ code: "ActivityFailed", message: "TypeError: cannot read properties of undefined", retryable: false, retryAfterSeconds: undefined });
  });
});
