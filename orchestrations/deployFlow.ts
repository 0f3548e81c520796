/**
 * deployFlow: deploys one prompt flow, model or agent to a managed online endpoint.
 *
 *   [migrate] baseline: a live prompt flow deployment, read from Azure, or nothing changes
 *
 *   [UserAssigned identity] roles ─┐
 *   endpoint (create/reuse, poll) ─┼─ [SystemAssigned] roles as soon as the principal exists
 *   model (register or resolve)    │
 *   deployment at 0% (poll) ───────┤
 *   propagation: wait until grant + propagationMinutes (≥ 15) ─ overlaps the deployment
 *   smokeTest (retry while "not yet authorized") → [migrate] parity → [approval]
 *   → traffic (100% to the new deployment; [migrate] prompt flow retired) → notify
 *
 * Deterministic: every effect is an activity, every wait a durable timer, every instant comes from
 * `context.df.currentUtcDateTime` (lint-enforced). A failed stage never moves live traffic: the new
 * deployment is deleted or kept at 0% per `rollout.onFailure`, and a Failed notification names the
 * stage, code and message.
 */
import * as df from "durable-functions";
import { runLog } from "./runLog";
import type { EndpointState, RegisteredModel } from "../src/contracts/activities";
import type { DeploymentNotification, NotificationError } from "../src/contracts/notification";
import { DEPLOY_FLOW, type DeployFlowInput } from "../src/contracts/orchestration";
import { ENDPOINT_LOCK_ENTITY, endpointLockKey } from "../src/domain/ids";
import { deployRun, type DeployRun } from "./deployRun";
import { CancelRequested, StageFailure } from "./failures";
import { notificationOf } from "./notifications";
import { RunRecord } from "./runRecord";
import { awaitApproval } from "./stages/approval";
import { createDeployment } from "./stages/deployment";
import { createOrReuseEndpoint, grantSystemAssignedIdentity } from "./stages/endpoint";
import { checkParity, findMigrationBaseline } from "./stages/migration";
import { registerModel } from "./stages/model";
import { awaitPropagation, startPropagation } from "./stages/propagation";
import { grantUserAssignedIdentity } from "./stages/roles";
import { smokeTest } from "./stages/smokeTest";
import { shiftTraffic } from "./stages/traffic";
import { callActivity, type Step } from "./steps";

export { DEPLOY_FLOW };

export function* deployFlow(ctx: df.OrchestrationContext): Step<DeploymentNotification> {
  const input = ctx.df.getInput() as DeployFlowInput;
  const record = new RunRecord(ctx, input.request);
  record.queue();
  // One endpoint, one change at a time: a critical section on the endpoint's lock entity. Requests
  // for the same endpoint queue in the order they asked; other endpoints are not held up. Taking the
  // lock can fail (an extension without replay schema V4 refuses `lock`): that still ends in a
  // Failed notification, never in a run that stays "queued".
  let lock: df.DurableLock;
  try {
    lock = (yield ctx.df.lock(new df.EntityId(ENDPOINT_LOCK_ENTITY, endpointLockKey(input.request.workspace, input.request.endpoint.name)))) as df.DurableLock;
  } catch (err) {
    return yield* finish(ctx, record, input, { outcome: "Failed", endpoint: undefined, model: undefined, error: { stage: "request", code: "LockUnavailable", message: errorMessage(err) } });
  }
  try {
    // Every run ahead is bounded (propagation ≤ 60 min, poll timeouts), so the lock always comes; a
    // request that waited too long for it ends EndpointBusy rather than deploying something stale.
    // (The wait itself is not raced against a timer: an abandoned lock request is granted later to a
    // finished instance and would orphan the lock.)
    const waitedMinutes = (ctx.df.currentUtcDateTime.getTime() - Date.parse(record.startedAt)) / 60_000;
    if (input.limits && waitedMinutes > input.limits.lockWaitMinutes) {
      const message = `waited ${Math.floor(waitedMinutes)} minutes for endpoint ${input.request.endpoint.name} while other deployments held it; at most ${input.limits.lockWaitMinutes} (FLOWDEPLOY_LOCK_WAIT_MINUTES)`;
      return yield* finish(ctx, record, input, { outcome: "Failed", endpoint: undefined, model: undefined, error: { stage: "request", code: "EndpointBusy", message } });
    }
    return yield* deployUnderLock(ctx, input, record);
  } finally {
    lock.release();
  }
}

/**
 * The deployment, step by step. Each step is a stage's generator in orchestrations/stages/; a step
 * that changes something the run may take back registers its undo, and a failure or cancel unwinds
 * them (the saga) before the outcome is published.
 */
function* deployUnderLock(ctx: df.OrchestrationContext, input: DeployFlowInput, record: RunRecord): Step<DeploymentNotification> {
  const run = deployRun(ctx, input, record);
  try {
    yield* run.cancellation.checkpoint();
    record.start();
    // A migration first checks, changing nothing, that there is a live prompt flow to migrate from.
    const migration = input.request.rollout.strategy === "migrate" ? yield* findMigrationBaseline(run) : undefined;
    const userAssigned = yield* grantUserAssignedIdentity(run);
    // A user-assigned identity's wait opens at its grant, before the endpoint stage (records in time order).
    const early = userAssigned ? startPropagation(run, userAssigned.grant) : undefined;
    const endpoint = yield* createOrReuseEndpoint(run, { grantOnPrincipal: !userAssigned });
    const propagation = early ?? startPropagation(run, endpoint.grant ?? (yield* grantSystemAssignedIdentity(run, endpoint.state)));
    const model = yield* registerModel(run);
    const deployment = yield* createDeployment(run, { assetId: model.id, identityClientId: userAssigned?.identity.clientId ?? null, readyBy: propagation.deadline });
    yield* awaitPropagation(run, propagation);
    yield* smokeTest(run, deployment.name);
    if (migration) yield* checkParity(run, migration.baseline, deployment.name);
    yield* awaitApproval(run);
    const live = yield* shiftTraffic(run, endpoint.state.traffic, deployment.name);
    return yield* finish(ctx, record, input, { outcome: "Succeeded", endpoint: live, model, error: null });
  } catch (err) {
    return yield* unwind(run, err);
  }
}

/** A stage failed or an operator cancelled: undo what the run changed, then report where it stopped. */
function* unwind(run: DeployRun, err: unknown): Step<DeploymentNotification> {
  const { ctx, input, record } = run;
  run.cancellation.disarm();
  const cancelled = err instanceof CancelRequested;
  const failure = cancelled ? new StageFailure(record.currentStage(), "Cancelled", err.reason) : asStageFailure(err);
  const reason = cancelled ? "Cancelled" : "Failed";
  record.abort(reason);
  yield* run.undo.unwind(reason);
  // Report the traffic as it really is now (it never moved to the failed deployment).
  const now = yield* tryReadEndpoint(run);
  return yield* finish(ctx, record, input, { outcome: reason, endpoint: now ?? run.endpoint, model: run.model, error: { stage: failure.stage, code: failure.code, message: failure.message } });
}

/** Publishes the outcome and returns it as the orchestration's output. */
function* finish(
  ctx: df.OrchestrationContext,
  run: RunRecord,
  input: DeployFlowInput,
  outcome: { outcome: "Succeeded" | "Failed" | "Cancelled"; endpoint: EndpointState | undefined; model: RegisteredModel | undefined; error: NotificationError | null },
): Step<DeploymentNotification> {
  run.enterNotify();
  const notification = notificationOf(ctx, run, input, outcome);
  // The run must end normally even when the notification cannot be sent (after the notify retries):
  // the Durable extension releases a critical section implicitly only on a normal return, and a throw
  // here would fail the instance with the endpoint's lock held. The outcome stays readable in the
  // status route (output and custom status `notification: "failed"`).
  let delivered = true;
  try {
    yield* callActivity(ctx, "notify", "notify", notification, input.retry);
  } catch (err) {
    delivered = false;
    runLog(ctx, "notify", `the ${notification.outcome} notification could not be sent: ${errorMessage(err)}`);
  }
  run.finish(notification, delivered);
  return notification;
}

/** The endpoint as it is now, for the Failed notification; undefined if it cannot be read. */
function* tryReadEndpoint(run: DeployRun): Step<EndpointState | undefined> {
  try {
    return yield* callActivity(run.ctx, "endpoint", "getEndpointState", { workspace: run.request.workspace, endpointName: run.request.endpoint.name }, run.retry);
  } catch {
    return undefined;
  }
}

function asStageFailure(err: unknown): StageFailure {
  if (err instanceof StageFailure) return err;
  return new StageFailure("request", "OrchestratorError", errorMessage(err));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
