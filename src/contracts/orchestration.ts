import type { PollPolicies } from "../domain/pollPolicy";
import type { DeployRequest } from "./deployRequest";

/** How activity failures marked retryable are retried by the orchestrator (on durable timers). */
export interface ActivityRetryPolicy {
  maxAttempts: number;
  firstDelaySeconds: number;
  backoffCoefficient: number;
  maxDelaySeconds: number;
}

export interface SmokeTestPolicy {
  /** Attempts while the answer means "permission not effective yet" (401/403, the propagation 424). */
  maxAttempts: number;
  retryDelaySeconds: number;
  timeoutSeconds: number;
}

/**
 * The orchestration's input. Settings travel here rather than being read from the environment,
 * which would be nondeterministic on replay.
 */
export interface DeployFlowInput {
  request: DeployRequest;
  /** Who started it: queue, eventGrid, http or cli (for the notification and logs). */
  source: "queue" | "eventGrid" | "http" | "cli";
  polls: PollPolicies;
  retry: ActivityRetryPolicy;
  smokeTest: SmokeTestPolicy;
  /** The app's limits (FLOWDEPLOY_LOCK_WAIT_MINUTES); absent in histories recorded before they existed. */
  limits?: { lockWaitMinutes: number };
}

export const DEFAULT_RETRY_POLICY: ActivityRetryPolicy = { maxAttempts: 5, firstDelaySeconds: 5, backoffCoefficient: 2, maxDelaySeconds: 120 };
/** Role assignments usually take effect within the 16-minute wait; allow 10 more minutes past it. */
export const DEFAULT_SMOKE_TEST_POLICY: SmokeTestPolicy = { maxAttempts: 11, retryDelaySeconds: 60, timeoutSeconds: 30 };

/** releaseEndpointLock's input: the endpoint whose lock a dead deployment still holds, and what that deployment was. */
export interface ReleaseEndpointLockInput {
  workspace: DeployRequest["workspace"];
  endpointName: string;
  /** The dead holder (its instance id is reused: this orchestration runs under it). */
  previous: { requestId: string; runtimeStatus: string; stage: string | null };
}
