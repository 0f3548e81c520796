import type * as df from "durable-functions";
import type { ApprovalDecision } from "../../src/contracts/orchestration";
import { APPROVAL_EVENT } from "../../src/domain/ids";
import type { DeployRun } from "../deployRun";
import { StageFailure } from "../failures";
import { notificationOf } from "../notifications";
import { callActivity, type Step } from "../steps";

/**
 * Stage `approval` (rollout.approval.required): after the smoke test and before any live traffic, the
 * run publishes an AwaitingApproval notification and waits for the `approval` event
 * (`POST /api/deployments/{id}/approve|reject`, which checks who may answer against the app's
 * FLOWDEPLOY_APPROVERS) raced against a durable timer and an operator's cancel. A rejection or the
 * timeout fails the stage: the unwind handles the new deployment per rollout.onFailure, and traffic
 * was never touched.
 */
export function* awaitApproval(run: DeployRun): Step<ApprovalDecision | undefined> {
  const spec = run.request.rollout.approval;
  if (!spec?.required) return undefined;
  const { ctx, record, input } = run;
  return yield* record.stage("approval", function* () {
    const requestedAt = ctx.df.currentUtcDateTime;
    const expiresAt = new Date(requestedAt.getTime() + spec.timeoutMinutes * 60_000);
    record.approval = { requestedAt: requestedAt.toISOString(), expiresAt: expiresAt.toISOString(), ...(spec.approvers ? { approvers: [...spec.approvers] } : {}) };
    record.changed();
    const asking = notificationOf(ctx, record, input, { outcome: "AwaitingApproval", endpoint: run.endpoint, model: run.model, error: null });
    yield* callActivity(ctx, "approval", "notify", asking, run.retry);

    const answer = ctx.df.waitForExternalEvent(APPROVAL_EVENT);
    const deadline: df.TimerTask = ctx.df.createTimer(expiresAt);
    const first = yield* run.cancellation.eventOrTimer(answer, deadline);
    if (first === "timer") {
      throw new StageFailure("approval", "ApprovalTimedOut", `no approval within ${spec.timeoutMinutes} minutes (until ${expiresAt.toISOString()}); live traffic was not touched`);
    }
    const decision = answer.result as Partial<ApprovalDecision> | null;
    // Only the routes raise this event; a payload of another shape is refused rather than guessed at.
    if (!decision || (decision.decision !== "approved" && decision.decision !== "rejected") || typeof decision.by !== "string") {
      throw new StageFailure("approval", "ApprovalInvalid", "the approval event carried no valid decision; live traffic was not touched");
    }
    record.approval = { ...record.approval, decision: decision.decision, by: decision.by, ...(decision.reason ? { reason: decision.reason } : {}) };
    record.changed();
    if (decision.decision !== "approved") {
      throw new StageFailure("approval", "ApprovalRejected", `rejected by ${decision.by}${decision.reason ? `: ${decision.reason}` : ""}; live traffic was not touched`);
    }
    return decision as ApprovalDecision;
  });
}
