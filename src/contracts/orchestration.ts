import type { PollPolicies } from "../domain/pollPolicy";
import type { DeployRequest } from "./deployRequest";
import type { StageName, StageRecord } from "./notification";

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

/**
 * The orchestrations' registered names: the host starts and lists instances by them, so intake and
 * queries use these constants and never import the orchestrator modules themselves.
 */
export const DEPLOY_FLOW = "deployFlow";
export const RELEASE_ENDPOINT_LOCK = "releaseEndpointLock";

/** What `setCustomStatus` shows while a deployment runs: stages and timings, never a key. */
export interface DeployFlowStatus {
  /** queued: waiting for another deployment to the same endpoint to finish. */
  stage: "queued" | StageName | "notify" | "done";
  outcome: "Running" | "Succeeded" | "Failed" | "Cancelled";
  endpoint: string;
  /** The deployment's name; "auto" until flowdeploy has chosen the slot. */
  deployment: string;
  /** Why that name, when flowdeploy chose it. */
  deploymentChoice?: string;
  stages: StageRecord[];
  /** When the role assignments can be relied on (grant + propagation minutes). */
  propagationDeadline: string | null;
  /** What the owner should know although the run goes on (e.g. a retiring runtime image). */
  warnings?: string[];
  /** Whether the outcome notification reached the topic (set when the run ends; "failed" after the notify retries). */
  notification?: "sent" | "failed";
  updatedAt: string;
}
