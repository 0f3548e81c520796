import type { PollPolicy } from "../src/contracts/orchestration";

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
