import type { Outcome } from "../contracts/notification";

/**
 * Outcomes that do not end a run: another notification follows (AwaitingApproval: the run waits for a
 * person, then ends Succeeded, Failed or Cancelled). Who waits for "the" outcome of a request
 * (`watch --once`, `enqueue --wait`) waits past these; the publisher marks them `kind: "approval"`.
 */
export const INTERIM_OUTCOMES: readonly Outcome[] = ["AwaitingApproval"];

/** Whether a notification with this outcome is the last one of its run. */
export function isFinalOutcome(outcome: Outcome): boolean {
  return !INTERIM_OUTCOMES.includes(outcome);
}
