/**
 * deployFlow: deploys one prompt flow to a managed online endpoint.
 *
 *   [UserAssigned identity] roles ─┐
 *   endpoint (create/reuse, poll) ─┼─ [SystemAssigned] roles as soon as the principal exists
 *   model (register or resolve)    │
 *   deployment at 0% (poll) ───────┤
 *   propagation: wait until grant + propagationMinutes (≥ 15) ─ overlaps the deployment
 *   smokeTest (retry while "not yet authorized") → traffic (100% to the new deployment) → notify
 *
 * Deterministic: every effect is an activity, every wait a durable timer, every instant comes from
 * `context.df.currentUtcDateTime` (lint-enforced). A failed stage never moves live traffic: the new
 * deployment is deleted or kept at 0% per `rollout.onFailure`, and a Failed notification names the
 * stage, code and message.
 */
import * as df from "durable-functions";
import { DEPLOY_FLOW } from "../src/contracts/orchestration";
import type { EndpointState, GrantRolesResult, RegisteredModel, ResolvedIdentity } from "../src/contracts/activities";
import type { DeploymentNotification, NotificationError } from "../src/contracts/notification";
import type { ActivityRetryPolicy, DeployFlowInput } from "../src/contracts/orchestration";
import type { ActivityInput } from "../src/activities/catalog";
import { ENDPOINT_LOCK_ENTITY, endpointLockKey } from "../src/domain/ids";
import type { PollPolicy } from "../src/domain/pollPolicy";
import { smokeTestTimeoutSeconds } from "../src/domain/requestSettings";
import { propagationDeadline } from "../src/domain/time";
import { replacedDeployments, trafficAfterRollout, type Traffic } from "../src/domain/traffic";
import { CancelRequested, StageFailure } from "./failures";
import { RunRecord } from "./runRecord";
import { callActivity, Cancellation, pollUntilTerminal, sleepUntil, type Step } from "./steps";

export { DEPLOY_FLOW };

export function* deployFlow(ctx: df.OrchestrationContext): Step<DeploymentNotification> {
  const input = ctx.df.getInput() as DeployFlowInput;
  const run = new RunRecord(ctx, input.request);
  run.queue();
  // One endpoint, one change at a time: a critical section on the endpoint's lock entity. Requests
  // for the same endpoint queue in the order they asked; other endpoints are not held up. Taking the
  // lock can fail (an extension without replay schema V4 refuses `lock`): that still ends in a
  // Failed notification, never in a run that stays "queued".
  let lock: df.DurableLock;
  try {
    lock = (yield ctx.df.lock(new df.EntityId(ENDPOINT_LOCK_ENTITY, endpointLockKey(input.request.workspace, input.request.endpoint.name)))) as df.DurableLock;
  } catch (err) {
    return yield* finish(ctx, run, input, { outcome: "Failed", endpoint: undefined, model: undefined, error: { stage: "request", code: "LockUnavailable", message: errorMessage(err) } });
  }
  try {
    // Every run ahead is bounded (propagation ≤ 60 min, poll timeouts), so the lock always comes; a
    // request that waited too long for it ends EndpointBusy rather than deploying something stale.
    // (The wait itself is not raced against a timer: an abandoned lock request is granted later to a
    // finished instance and would orphan the lock.)
    const waitedMinutes = (ctx.df.currentUtcDateTime.getTime() - Date.parse(run.startedAt)) / 60_000;
    if (input.limits && waitedMinutes > input.limits.lockWaitMinutes) {
      const message = `waited ${Math.floor(waitedMinutes)} minutes for endpoint ${input.request.endpoint.name} while other deployments held it; at most ${input.limits.lockWaitMinutes} (FLOWDEPLOY_LOCK_WAIT_MINUTES)`;
      return yield* finish(ctx, run, input, { outcome: "Failed", endpoint: undefined, model: undefined, error: { stage: "request", code: "EndpointBusy", message } });
    }
    return yield* deployUnderLock(ctx, input, run);
  } finally {
    lock.release();
  }
}

function* deployUnderLock(ctx: df.OrchestrationContext, input: DeployFlowInput, run: RunRecord): Step<DeploymentNotification> {
  const { request, retry, polls } = input;
  const { workspace } = request;
  const endpointName = request.endpoint.name;
  // Named by the request, or chosen at the deployment stage (the blue/green slot without traffic).
  let deploymentName = run.deploymentName ?? "";
  // A cancel is honoured from here until traffic starts to move (see Cancellation).
  const cancellation = new Cancellation(ctx);

  let endpoint: EndpointState | undefined;
  let previousTraffic: Traffic = {};
  let model: RegisteredModel | undefined;
  let deploymentStarted = false;
  let deploymentOperationUrl: string | null = null;
  let deploymentSettled = false;
  let trafficMoved = false;

  try {
    yield* cancellation.checkpoint();
    run.start();
    let grant: GrantRolesResult | undefined;
    let userAssigned: ResolvedIdentity | undefined;
    const grantRoles = function* (principalId: string): Step<GrantRolesResult> {
      return yield* run.stage("roles", () =>
        callActivity(ctx, "roles", "grantEndpointRoles", { workspace, identityType: request.endpoint.identity.type, principalId, extraRoles: request.endpoint.extraRoles }, retry),
      );
    };

    // A user-assigned identity exists before the endpoint: grant first, as Azure requires the
    // roles before the deployment is created, and the propagation clock starts sooner. Its principal
    // and client id are read from Azure, never taken from the request.
    const { identity } = request.endpoint;
    if (identity.type === "UserAssigned") {
      grant = yield* run.stage("roles", function* () {
        const resolved = yield* callActivity(ctx, "roles", "resolveIdentity", { resourceId: identity.resourceId, claimedPrincipalId: identity.principalId ?? null, claimedClientId: identity.clientId ?? null }, retry);
        userAssigned = resolved;
        return yield* callActivity(ctx, "roles", "grantEndpointRoles", { workspace, identityType: "UserAssigned", principalId: resolved.principalId, extraRoles: request.endpoint.extraRoles }, retry);
      });
    }

    endpoint = yield* run.stage("endpoint", function* () {
      const started = yield* callActivity(ctx, "endpoint", "ensureEndpoint", { workspace, endpoint: request.endpoint, tags: { "flowdeploy.requestId": request.requestId } }, retry);
      previousTraffic = started.traffic;
      const state = yield* pollUntilTerminal(
        ctx,
        "endpoint",
        polls.endpoint,
        started,
        () => callActivity(ctx, "endpoint", "getEndpointState", { workspace, endpointName, operationUrl: started.operationUrl }, retry),
        {
          onPoll: function* (s) {
            // A system-assigned principal appears while the endpoint provisions: grant right away.
            if (!grant && s.principalId && request.endpoint.identity.type === "SystemAssigned") grant = yield* grantRoles(s.principalId);
          },
        },
      );
      if (state.provisioningState !== "Succeeded") {
        throw new StageFailure("endpoint", state.error?.code ?? "EndpointNotReady", state.error?.message ?? `endpoint ${endpointName} is ${state.provisioningState}`);
      }
      return state;
    });
    previousTraffic = endpoint.traffic;
    if (!grant) {
      if (!endpoint.principalId) throw new StageFailure("roles", "PrincipalMissing", `endpoint ${endpointName} has no managed identity principal`);
      grant = yield* grantRoles(endpoint.principalId);
    }
    const deadline = propagationDeadline(grant.grantedAt, request.propagationMinutes);
    run.propagationDeadline = deadline.toISOString();
    const propagation = run.openStage("propagation", grant.grantedAt, `the roles were granted before this run (last at ${grant.grantedAt}); the wait counts from then`);

    model = yield* run.stage("model", () =>
      callActivity(ctx, "model", "registerModel", { workspace, requestId: request.requestId, flow: request.flow, model: request.model }, retry),
    );
    const modelId = model.id;

    yield* run.stage("deployment", function* () {
      if (!deploymentName) {
        const chosen = yield* callActivity(ctx, "deployment", "chooseDeploymentName", { workspace, endpointName, requestId: request.requestId }, retry);
        deploymentName = chosen.name;
        run.nameDeployment(chosen.name, chosen.reason);
      }
      const deployment = { ...request.deployment, name: deploymentName };
      const started = yield* callActivity(ctx, "deployment", "startDeployment", { workspace, requestId: request.requestId, endpoint: request.endpoint, identityClientId: userAssigned?.clientId ?? null, deployment, modelId }, retry);
      deploymentStarted = true;
      deploymentOperationUrl = started.operationUrl;
      run.warn(started.warnings);
      // Until the propagation deadline a ready deployment could not be smoke-tested anyway: poll slowly.
      const state = yield* pollUntilTerminal(
        ctx,
        "deployment",
        polls.deployment,
        started,
        () => callActivity(ctx, "deployment", "getDeploymentState", { workspace, endpointName, deploymentName, operationUrl: started.operationUrl }, retry),
        { idleUntil: deadline },
      );
      if (state.provisioningState !== "Succeeded") {
        const message = state.error?.message ?? `deployment ${deploymentName} is ${state.provisioningState}`;
        throw new StageFailure("deployment", state.error?.code ?? "DeploymentNotReady", state.diagnosis ? `${message} Log: ${state.diagnosis}` : message);
      }
      return state;
    });

    // Role assignments can take more than 15 minutes to take effect: the wait counts from the
    // grant, so by now most of it has passed while the deployment provisioned.
    deploymentSettled = true;
    if (ctx.df.currentUtcDateTime.getTime() < deadline.getTime()) {
      run.waitIn(propagation);
      yield* sleepUntil(ctx, deadline);
    }
    run.closeStage(propagation);

    yield* run.stage("smokeTest", function* () {
      for (let attempt = 1; ; attempt++) {
        const result = yield* callActivity(
          ctx,
          "smokeTest",
          "smokeTest",
          { workspace, endpointName, deploymentName, authMode: request.endpoint.authMode, input: request.smokeTest.input, expectFields: request.smokeTest.expectFields, timeoutSeconds: smokeTestTimeoutSeconds(input.smokeTest.timeoutSeconds, request.deployment) },
          retry,
        );
        if (result.outcome === "passed") return result;
        if (result.outcome === "failed") throw new StageFailure("smokeTest", "SmokeTestFailed", result.reason);
        if (attempt >= input.smokeTest.maxAttempts) {
          throw new StageFailure("smokeTest", "NotAuthorizedInTime", `still not authorized after ${attempt} attempts: ${result.reason}`);
        }
        yield* sleepUntil(ctx, new Date(ctx.df.currentUtcDateTime.getTime() + input.smokeTest.retryDelaySeconds * 1000));
      }
    });

    // Past this point traffic moves: a late cancel is ignored so live traffic never stops half-way.
    cancellation.throwIfRequested();
    cancellation.disarm();
    const traffic = trafficAfterRollout(previousTraffic, deploymentName, request.rollout.strategy);
    const finalEndpoint = yield* run.stage("traffic", function* () {
      const started = yield* callActivity(ctx, "traffic", "setTraffic", { workspace, endpointName, traffic }, retry);
      const state = yield* pollUntilTerminal(ctx, "traffic", polls.traffic, started, () =>
        callActivity(ctx, "traffic", "getEndpointState", { workspace, endpointName, operationUrl: started.operationUrl }, retry),
      );
      if (state.provisioningState !== "Succeeded") {
        throw new StageFailure("traffic", state.error?.code ?? "TrafficUpdateFailed", state.error?.message ?? `traffic update left ${endpointName} ${state.provisioningState}`);
      }
      trafficMoved = true;
      if (request.rollout.strategy === "replace") {
        // Traffic has moved: start deleting what it replaced (Azure refuses to delete a deployment with traffic).
        for (const old of replacedDeployments(previousTraffic, deploymentName)) {
          yield* tryDeleteDeployment(ctx, run, { workspace, endpointName, deploymentName: old }, retry);
        }
      }
      return state;
    });

    return yield* finish(ctx, run, input, { outcome: "Succeeded", endpoint: finalEndpoint, model, error: null });
  } catch (err) {
    cancellation.disarm();
    const cancelled = err instanceof CancelRequested;
    const failure = cancelled ? new StageFailure(run.currentStage(), "Cancelled", err.reason) : asStageFailure(err);
    run.abort(cancelled ? "Cancelled" : "Failed");
    if (deploymentStarted && !trafficMoved && request.rollout.onFailure === "delete") {
      // Azure refuses to delete a deployment while its create runs (409): a cancel that interrupted
      // provisioning first lets it finish (a failure already saw it end).
      if (cancelled && !deploymentSettled) yield* trySettleDeployment(ctx, { workspace, endpointName, deploymentName, operationUrl: deploymentOperationUrl }, polls.deployment, retry);
      yield* tryDeleteDeployment(ctx, run, { workspace, endpointName, deploymentName }, retry);
    }
    // Report the traffic as it really is now (it never moved to the failed deployment).
    const now = yield* tryReadEndpoint(ctx, { workspace, endpointName }, retry);
    return yield* finish(ctx, run, input, {
      outcome: cancelled ? "Cancelled" : "Failed",
      endpoint: now ?? endpoint,
      model,
      error: { stage: failure.stage, code: failure.code, message: failure.message },
    });
  }
}

/** Publishes the outcome and returns it as the orchestration's output. */
function* finish(
  ctx: df.OrchestrationContext,
  run: RunRecord,
  input: DeployFlowInput,
  outcome: { outcome: "Succeeded" | "Failed" | "Cancelled"; endpoint: EndpointState | undefined; model: RegisteredModel | undefined; error: NotificationError | null },
): Step<DeploymentNotification> {
  const { request } = input;
  run.enterNotify();
  const notification: DeploymentNotification = {
    schemaVersion: "1",
    outcome: outcome.outcome,
    requestId: request.requestId,
    instanceId: ctx.df.instanceId,
    workspace: request.workspace,
    endpoint: { name: request.endpoint.name, scoringUri: outcome.endpoint?.scoringUri ?? null },
    deployment: run.deploymentName ? { name: run.deploymentName } : null,
    model: outcome.model ? { name: outcome.model.name, version: outcome.model.version, registered: outcome.model.created } : (request.model ?? null),
    traffic: outcome.endpoint?.traffic ?? {},
    stages: run.stages,
    error: outcome.error,
    ...(run.warnings.length > 0 ? { warnings: [...run.warnings] } : {}),
    ...(run.deleted.length > 0 ? { deletedDeployments: [...run.deleted] } : {}),
    startedAt: run.startedAt,
    endedAt: run.now(),
  };
  // The run must end normally even when the notification cannot be sent (after the notify retries):
  // the Durable extension releases a critical section implicitly only on a normal return, and a throw
  // here would fail the instance with the endpoint's lock held. The outcome stays readable in the
  // status route (output and custom status `notification: "failed"`).
  let delivered = true;
  try {
    yield* callActivity(ctx, "request", "notify", notification, input.retry);
  } catch (err) {
    delivered = false;
    if (!ctx.df.isReplaying) ctx.log(`flowdeploy: the ${notification.outcome} notification could not be sent: ${errorMessage(err)}`);
  }
  run.finish(notification, delivered);
  return notification;
}

/** Cleanup whose failure must not replace the run's outcome (the deployment stays at 0% then). */
function* tryDeleteDeployment(ctx: df.OrchestrationContext, run: RunRecord, ref: ActivityInput<"deleteDeployment">, retry: ActivityRetryPolicy): Step<void> {
  try {
    const result = yield* callActivity(ctx, "deployment", "deleteDeployment", ref, retry);
    if (result.existed && result.deleted !== false) run.deletedDeployment(ref.deploymentName);
  } catch {
    if (!ctx.df.isReplaying) ctx.log(`flowdeploy: deleting deployment ${ref.deploymentName} failed; it keeps 0% traffic`);
  }
}

/** Waits until the deployment's running operation ends (any terminal state); a failure to read it ends the wait. */
function* trySettleDeployment(ctx: df.OrchestrationContext, ref: ActivityInput<"getDeploymentState">, policy: PollPolicy, retry: ActivityRetryPolicy): Step<void> {
  try {
    yield* pollUntilTerminal(ctx, "deployment", policy, { provisioningState: "Creating", retryAfterSeconds: null }, () => callActivity(ctx, "deployment", "getDeploymentState", ref, retry));
  } catch {
    if (!ctx.df.isReplaying) ctx.log(`flowdeploy: deployment ${ref.deploymentName} did not settle; deleting it anyway`);
  }
}

/** The endpoint as it is now, for the Failed notification; undefined if it cannot be read. */
function* tryReadEndpoint(ctx: df.OrchestrationContext, ref: ActivityInput<"getEndpointState">, retry: ActivityRetryPolicy): Step<EndpointState | undefined> {
  try {
    return yield* callActivity(ctx, "endpoint", "getEndpointState", ref, retry);
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
