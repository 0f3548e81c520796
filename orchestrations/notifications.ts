import type * as df from "durable-functions";
import type { EndpointState, RegisteredModel } from "../src/contracts/activities";
import type { DeployFlowInput } from "../src/contracts/orchestration";
import type { DeploymentNotification, NotificationError } from "../src/contracts/notification";
import { targetKindOf } from "../src/domain/targets";
import type { RunRecord } from "./runRecord";

export interface RunOutcome {
  outcome: DeploymentNotification["outcome"];
  endpoint: EndpointState | undefined;
  model: RegisteredModel | undefined;
  error: NotificationError | null;
}

/**
 * The notification of a run as it stands: the final outcome, or AwaitingApproval while a person is
 * asked. Carries the scoring URI but never a key or token.
 */
export function notificationOf(ctx: df.OrchestrationContext, run: RunRecord, input: Pick<DeployFlowInput, "request" | "requestDigest">, outcome: RunOutcome): DeploymentNotification {
  const { request } = input;
  return {
    schemaVersion: "1",
    outcome: outcome.outcome,
    requestId: request.requestId,
    ...(input.requestDigest ? { requestDigest: input.requestDigest } : {}),
    instanceId: ctx.df.instanceId,
    workspace: request.workspace,
    endpoint: { name: request.endpoint.name, scoringUri: outcome.endpoint?.scoringUri ?? null },
    deployment: run.deploymentName ? { name: run.deploymentName } : null,
    model: outcome.model ? { name: outcome.model.name, version: outcome.model.version, registered: outcome.model.created } : (request.model ?? null),
    traffic: outcome.endpoint?.traffic ?? {},
    stages: run.stages.map((s) => ({ ...s })),
    error: outcome.error,
    target: targetKindOf(request),
    ...(run.parity ? { parity: { ...run.parity, failing: run.parity.failing.map((c) => ({ ...c, reasons: [...c.reasons] })) } } : {}),
    ...(run.retired.length > 0 ? { retiredDeployments: [...run.retired] } : {}),
    ...(run.warnings.length > 0 ? { warnings: [...run.warnings] } : {}),
    ...(run.deleted.length > 0 ? { deletedDeployments: [...run.deleted] } : {}),
    ...(run.approval ? { approval: { ...run.approval } } : {}),
    startedAt: run.startedAt,
    endedAt: run.now(),
  };
}
