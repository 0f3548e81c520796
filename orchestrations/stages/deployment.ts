import type { DeploymentState } from "../../src/contracts/activities";
import { runLog } from "../runLog";
import type { UnwindReason } from "../compensations";
import type { DeployRun } from "../deployRun";
import { StageFailure } from "../failures";
import { callActivity, pollUntilTerminal, type Step } from "../steps";

export interface CreatedDeployment {
  name: string;
  state: DeploymentState;
}

/**
 * Stage `deployment`: names the deployment (the request's name, or the blue/green slot without
 * traffic), creates it at 0% traffic, and waits until it is ready. Until the propagation deadline
 * (`readyBy`) a ready deployment could not be smoke-tested anyway, so it is polled slowly until then.
 *
 * The polls stay in this history: the run holds the endpoint's lock, and Durable Functions refuses
 * sub-orchestrations inside a critical section (durable-functions LockingRulesViolationError
 * "SubOrchestrationInSection"), so a child monitor is not an option. The poll policy keeps the
 * history bounded instead (docs/benchmarks.md).
 *
 * Undo (with `rollout.onFailure: "delete"`): delete the deployment this run created. Azure refuses to
 * delete a deployment while its create runs (409), so a cancel that interrupted provisioning first
 * lets the create finish.
 */
export function* createDeployment(run: DeployRun, options: { assetId: string; identityClientId: string | null; readyBy: Date }): Step<CreatedDeployment> {
  const { ctx, request, retry } = run;
  const { workspace } = request;
  const endpointName = request.endpoint.name;
  const policy = run.polls.deployment;
  return yield* run.record.stage("deployment", function* () {
    let name = run.record.deploymentName ?? "";
    if (!name) {
      const chosen = yield* callActivity(ctx, "deployment", "chooseDeploymentName", { workspace, endpointName, requestId: request.requestId }, retry);
      name = chosen.name;
      run.record.nameDeployment(chosen.name, chosen.reason);
    }
    const deployment = { ...request.deployment, name };
    const agent = request.agent;
    const served = agent ? { modelId: null, agent: { codeId: options.assetId, scoringScript: agent.scoringScript, environment: agent.environment } } : { modelId: options.assetId };
    const started = yield* callActivity(ctx, "deployment", "startDeployment", { workspace, requestId: request.requestId, endpoint: request.endpoint, identityClientId: options.identityClientId, deployment, ...served }, retry);
    run.record.warn(started.warnings);
    const poll = () => callActivity(ctx, "deployment", "getDeploymentState", { workspace, endpointName, deploymentName: name, operationUrl: started.operationUrl }, retry);
    let settled = false;
    if (request.rollout.onFailure === "delete") {
      run.undo.register(`delete deployment ${name}`, function* (reason: UnwindReason) {
        if (reason === "Cancelled" && !settled) yield* settle(run, name, poll);
        yield* deleteDeployment(run, name);
      });
    }
    const state = yield* pollUntilTerminal(ctx, "deployment", policy, started, poll, { idleUntil: options.readyBy });
    settled = true;
    if (state.provisioningState !== "Succeeded") {
      const message = state.error?.message ?? `deployment ${name} is ${state.provisioningState}`;
      throw new StageFailure("deployment", state.error?.code ?? "DeploymentNotReady", state.diagnosis ? `${message} Log: ${state.diagnosis}` : message);
    }
    return { name, state };
  });
}

/** Deletes a deployment, recording it in the run; a failure is logged and leaves it at 0% traffic. */
export function* deleteDeployment(run: DeployRun, deploymentName: string): Step<void> {
  const { ctx, request, retry } = run;
  try {
    const result = yield* callActivity(ctx, "deployment", "deleteDeployment", { workspace: request.workspace, endpointName: request.endpoint.name, deploymentName }, retry);
    if (result.existed && result.deleted !== false) run.record.deletedDeployment(deploymentName);
  } catch {
    runLog(ctx, "deployment", `deleting deployment ${deploymentName} failed; it keeps 0% traffic`);
  }
}

/** Waits until the deployment's running create ends (any terminal state); a failure to read it ends the wait. */
function* settle(run: DeployRun, deploymentName: string, poll: () => Step<DeploymentState>): Step<void> {
  const { ctx } = run;
  try {
    yield* pollUntilTerminal(ctx, "deployment", run.polls.deployment, { provisioningState: "Creating", retryAfterSeconds: null }, poll);
  } catch {
    runLog(ctx, "deployment", `deployment ${deploymentName} did not settle; deleting it anyway`);
  }
}
