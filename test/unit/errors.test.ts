import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { NonRetryableError, PipelineError, RetryAfterError, toPipelineError } from "../../src/errors";

function armError(status: number, code: string, message: string, retryAfter?: string): RestError {
  const headers = new Map<string, string>(retryAfter ? [["retry-after", retryAfter]] : []);
  const err = new RestError(message, {
    statusCode: status,
    code,
    response: { status, headers: { get: (n: string) => headers.get(n.toLowerCase()) } } as never,
  });
  (err as { details?: unknown }).details = { error: { code, message } };
  return err;
}

describe("PipelineError", () => {
  it("carries code, stage and retry intent as plain JSON for the orchestrator", () => {
    const e = new RetryAfterError("throttled", { code: "TooManyRequests", retryAfterSeconds: 5, status: 429 });
    expect(e.toProperties()).toEqual({ code: "TooManyRequests", retryable: true, retryAfterSeconds: 5, status: 429 });
    expect(new NonRetryableError("gone", { code: "ModelNotFound" }).retryable).toBe(false);
  });
});

describe("toPipelineError", () => {
  it("keeps an ARM error's code and status; throttling and 5xx are retryable, other 4xx are not", () => {
    const throttled = toPipelineError(armError(429, "SubscriptionRequestsThrottled", "slow down", "7"));
    expect(throttled).toMatchObject({ code: "SubscriptionRequestsThrottled", retryable: true, status: 429, retryAfterSeconds: 7 });
    expect(toPipelineError(armError(503, "ServiceUnavailable", "busy")).retryable).toBe(true);
    const conflict = toPipelineError(armError(400, "PrincipalNotFound", "Principal x does not exist"));
    expect(conflict).toMatchObject({ code: "PrincipalNotFound", retryable: false, status: 400, message: "Principal x does not exist" });
  });

  it("treats connection resets as retryable and unknown errors as internal", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(toPipelineError(reset)).toMatchObject({ code: "ECONNRESET", retryable: true });
    expect(toPipelineError(new TypeError("x is undefined"))).toMatchObject({ code: "InternalError", retryable: false });
    expect(toPipelineError("boom")).toMatchObject({ code: "InternalError", message: "boom" });
  });

  it("returns a PipelineError unchanged", () => {
    const e = new PipelineError("m", { code: "C", retryable: false });
    expect(toPipelineError(e)).toBe(e);
  });
});
