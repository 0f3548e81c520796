import type * as df from "durable-functions";
import type { DeployRequest } from "../contracts/deployRequest";
import { DEFAULT_RETRY_POLICY, DEFAULT_SMOKE_TEST_POLICY, type DeployFlowInput } from "../contracts/orchestration";
import { instanceIdFor } from "../domain/ids";
import { DEFAULT_POLL_POLICIES } from "../domain/pollPolicy";
import { DEPLOY_FLOW } from "../../orchestrations/deployFlow";

/** The subset of the Durable client the edges use (the real one, or the local runner's). */
export type StartClient = Pick<df.DurableClient, "getStatus" | "startNew">;

export interface StartOutcome {
  instanceId: string;
  /** False when an instance with this id already existed (a duplicate delivery): nothing was started. */
  started: boolean;
  existingStatus?: string;
}

export function deployFlowInput(request: DeployRequest, source: DeployFlowInput["source"]): DeployFlowInput {
  return { request, source, polls: DEFAULT_POLL_POLICIES, retry: DEFAULT_RETRY_POLICY, smokeTest: DEFAULT_SMOKE_TEST_POLICY };
}

/**
 * Starts the deployment of `request` exactly once. The instance id derives from the request id, and
 * `getStatus` comes first because `startNew` with an existing id *replaces* that instance (Durable
 * client docs; the singleton pattern). Any existing instance — running, completed or failed — means
 * a duplicate: a failed deployment is retried with a new request id, never by redelivery.
 * The check-then-start race between two concurrent deliveries is the documented limit of the
 * singleton pattern; both would start the same id, and the orchestration's activities are idempotent.
 */
export async function startOnce(client: StartClient, request: DeployRequest, source: DeployFlowInput["source"]): Promise<StartOutcome> {
  const instanceId = instanceIdFor(request.requestId);
  const existing = await statusOrUndefined(client, instanceId);
  if (existing) return { instanceId, started: false, existingStatus: String(existing.runtimeStatus) };
  await client.startNew(DEPLOY_FLOW, { instanceId, input: deployFlowInput(request, source) });
  return { instanceId, started: true };
}

/** durable-functions 3.x throws for an unknown instance (the host answers 404); that is "none". */
async function statusOrUndefined(client: StartClient, instanceId: string): Promise<df.DurableOrchestrationStatus | undefined> {
  try {
    const status = await client.getStatus(instanceId);
    return status && status.instanceId ? status : undefined;
  } catch (err) {
    if (err instanceof Error && /\b404\b/.test(err.message)) return undefined;
    throw err;
  }
}
