import type { HealthVerdict } from "./activities";
import type { DeployRequest } from "./deployRequest";
import type { StageRecord } from "./notification";
import type { RunPosition } from "./stages";

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
  /** The request's content digest (src/domain/ids.ts), echoed in its notifications; absent in older histories. */
  requestDigest?: string;
  /**
   * The W3C trace context the run continues (the intake's span: src/tracing/intakeSpan.ts); each
   * activity's span is its child. Absent when nothing traced the request, and in older histories.
   */
  trace?: { traceparent: string };
}

/**
 * How often the orchestrator polls a long-running ARM operation. Each poll is one activity (one ARM
 * GET) plus a durable timer, i.e. ~3 history events; polling less often saves ARM reads (ARM allows
 * ~12,000 reads/hour per subscription) and history, at the cost of noticing completion later.
 * bench/ measures the trade-off (docs/benchmarks.md); orchestrations/pollDelays.ts computes the waits.
 */
export interface PollPolicy {
  /** Seconds between polls when the service gave no Retry-After. */
  intervalSeconds: number;
  /** The first wait when the service gave no Retry-After (default: `intervalSeconds`). */
  firstDelaySeconds?: number;
  /** Never poll more often than this, even if Retry-After says so. */
  minIntervalSeconds: number;
  /** Give up (the stage fails with code PollTimeout) after this long. */
  timeoutSeconds: number;
  /**
   * Seconds between polls while the result could not be used yet anyway (the deployment before the
   * propagation deadline: it cannot be smoke-tested earlier). Only failures are noticed later.
   */
  idleIntervalSeconds?: number;
  /**
   * After each busy poll without a result the interval grows by this factor, up to
   * `maxIntervalSeconds` (the idle interval resets it): a long operation costs a bounded number of ARM
   * reads and history events, and completion is noticed within one (current) interval.
   */
  backoffFactor?: number;
  maxIntervalSeconds?: number;
}

export interface PollPolicies {
  /** Managed online endpoint create: ~90 s in Azure. */
  endpoint: PollPolicy;
  /** Managed online deployment create: often 10+ minutes in Azure. */
  deployment: PollPolicy;
  /** Endpoint traffic update: well under a minute. */
  traffic: PollPolicy;
}

export const DEFAULT_POLL_POLICIES: PollPolicies = {
  // An endpoint takes from ~15 s (recorded) to 1-2 minutes; its system-assigned principal appears when
  // it is ready and starts the 16-minute permission clock, so lateness here delays everything: look
  // first after 30 s, then every 10 s.
  endpoint: { firstDelaySeconds: 30, intervalSeconds: 10, minIntervalSeconds: 5, timeoutSeconds: 30 * 60, backoffFactor: 2, maxIntervalSeconds: 30 },
  // Before the permission deadline a ready deployment waits anyway: every 4 minutes only notices
  // failures (ImagePullFailure, OutOfQuota) sooner; after it, 30 s, then 60 s, then every 120 s — a
  // deployment that takes long keeps its history and ARM reads bounded (docs/benchmarks.md).
  deployment: { intervalSeconds: 30, minIntervalSeconds: 10, timeoutSeconds: 90 * 60, idleIntervalSeconds: 480, backoffFactor: 2, maxIntervalSeconds: 120 },
  traffic: { firstDelaySeconds: 30, intervalSeconds: 15, minIntervalSeconds: 5, timeoutSeconds: 30 * 60 },
};

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
  stage: RunPosition;
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
  /** rollout.approval: until when the run waits for a person, and (once answered) who answered. */
  approval?: ApprovalStatus;
  /** A canary: the step under way, the share live, and when its bake ends (null once judged). */
  canary?: { step: number; of: number; percent: number; bakeUntil: string | null };
  /** The live split the rollout started from: read at the endpoint stage, restored by a failed rollout (the notification's `traffic` is the split after). */
  trafficBefore?: Record<string, number>;
  /** Whether the run still honours a cancel (false once traffic moves, and during cleanup); absent in statuses written before it existed. */
  cancellable?: boolean;
  /** rollout.mirror while it runs: the share copied to the new deployment and when its bake ends (null once judged). */
  mirror?: { percent: number; bakeUntil: string | null };
  /** The last health analysis of a canary step or of the mirror, with its figures. */
  lastAnalysis?: HealthVerdict;
  /** rollout.window: live traffic waits for the change window, which opens then. */
  windowOpensAt?: string;
  /** A migration's parity check once it ran: the score and how many cases failed (the cases themselves are in the notification). */
  parity?: { baseline: string; cases: number; passed: number; scorePercent: number; minScorePercent: number };
  updatedAt: string;
}

/** An approval as the run records it: asked when, until when, whom, and the answer when it came. */
export interface ApprovalStatus {
  requestedAt: string;
  expiresAt: string;
  approvers?: string[];
  decision?: "approved" | "rejected";
  by?: string;
  reason?: string;
}


/** An approver's answer (the `approval` external event); `by` comes from the host's authentication, never from the body. */
export interface ApprovalDecision {
  decision: "approved" | "rejected";
  reason: string | null;
  /** The caller as the host authenticated it (App Service authentication's principal name), or "function key". */
  by: string;
  at: string;
}
