import type { WireRetryOptions } from "./wire";

/**
 * Host-side retries of `callActivityWithRetry` / `callSubOrchestratorWithRetry`, as DTFx's
 * RetryInterceptor does them (the library only keeps its task counter in step):
 *
 *   for attempt in 0..maxNumberOfAttempts-1:
 *     try the call; on failure: delay = ComputeNextDelay(attempt); if delay == 0: stop; await timer(now + delay)
 *   ComputeNextDelay(attempt) = now < firstAttempt + retryTimeout
 *       ? min(firstRetryInterval * backoffCoefficient ^ attempt, maxRetryInterval) : 0
 *
 * So a timer follows every failed attempt, the last one included (durable-functions' RetryableTask
 * waits for it before failing the task); after the last attempt it is due at once (RetryInterceptor's
 * "Dummy timer for back-compat"). Unset options take the .NET defaults: backoffCoefficient 1,
 * maxRetryInterval and retryTimeout unbounded.
 */
export interface RetryPolicy {
  firstRetryIntervalMs: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalMs: number | undefined;
  retryTimeoutMs: number | undefined;
}

const positive = (n: number | undefined): number | undefined => (typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined);

export function retryPolicyFrom(options: WireRetryOptions): RetryPolicy {
  return {
    firstRetryIntervalMs: options.firstRetryIntervalInMilliseconds,
    maxNumberOfAttempts: options.maxNumberOfAttempts,
    backoffCoefficient: positive(options.backoffCoefficient) ?? 1,
    maxRetryIntervalMs: positive(options.maxRetryIntervalInMilliseconds),
    retryTimeoutMs: positive(options.retryTimeoutInMilliseconds),
  };
}

/**
 * Delay before the next attempt after `failedAttempts` failures (1-based), or `undefined` when the
 * retry timeout has expired (DTFx returns a zero delay and stops retrying).
 */
export function nextRetryDelayMs(policy: RetryPolicy, failedAttempts: number, firstAttemptAt: Date, now: Date): number | undefined {
  if (policy.retryTimeoutMs !== undefined && now.getTime() >= firstAttemptAt.getTime() + policy.retryTimeoutMs) return undefined;
  const delay = policy.firstRetryIntervalMs * Math.pow(policy.backoffCoefficient, failedAttempts - 1);
  return policy.maxRetryIntervalMs !== undefined && delay >= policy.maxRetryIntervalMs ? policy.maxRetryIntervalMs : delay;
}
