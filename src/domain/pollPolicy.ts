/**
 * How often the orchestrator polls a long-running ARM operation. Each poll is one activity (one ARM
 * GET) plus a durable timer, i.e. ~3 history events; polling less often saves ARM reads (ARM allows
 * ~12,000 reads/hour per subscription) and history, at the cost of noticing completion later.
 * bench/ measures the trade-off (docs/benchmarks.md).
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
  endpoint: { firstDelaySeconds: 30, intervalSeconds: 10, minIntervalSeconds: 5, timeoutSeconds: 30 * 60 },
  // Before the permission deadline a ready deployment waits anyway: every 4 minutes only notices
  // failures (ImagePullFailure, OutOfQuota) sooner; after it, 30 s, then 60 s, then every 120 s — a
  // deployment that takes long keeps its history and ARM reads bounded (docs/benchmarks.md).
  deployment: { intervalSeconds: 30, minIntervalSeconds: 10, timeoutSeconds: 90 * 60, idleIntervalSeconds: 240, backoffFactor: 2, maxIntervalSeconds: 120 },
  traffic: { intervalSeconds: 15, minIntervalSeconds: 5, timeoutSeconds: 30 * 60 },
};

/**
 * Seconds to wait before the next poll: the service's Retry-After when given, within the policy's
 * floor. With `idleUntil` in the future, polls are spaced `idleIntervalSeconds` apart but never past
 * that instant (the result is first needed then).
 */
export function pollDelaySeconds(policy: PollPolicy, retryAfterSeconds?: number | null, idle?: { now: Date; until: Date }, first = false, busyPolls = 0): number {
  let wanted = retryAfterSeconds ?? (first ? (policy.firstDelaySeconds ?? policy.intervalSeconds) : backedOffInterval(policy, busyPolls));
  if (idle && policy.idleIntervalSeconds !== undefined) {
    const untilIdleEnds = (idle.until.getTime() - idle.now.getTime()) / 1000;
    if (untilIdleEnds > wanted) wanted = Math.min(policy.idleIntervalSeconds, untilIdleEnds);
  }
  return Math.max(policy.minIntervalSeconds, wanted);
}

/** The interval after `busyPolls` busy polls without a result: `intervalSeconds × backoffFactor^n`, capped. */
export function backedOffInterval(policy: PollPolicy, busyPolls: number): number {
  if (!policy.backoffFactor || busyPolls <= 0) return policy.intervalSeconds;
  return Math.min(policy.maxIntervalSeconds ?? policy.intervalSeconds, policy.intervalSeconds * policy.backoffFactor ** busyPolls);
}
