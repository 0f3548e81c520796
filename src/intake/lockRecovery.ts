import type * as df from "durable-functions";
import type { DeployFlowInput, ReleaseEndpointLockInput } from "../contracts/orchestration";
import { DEPLOY_FLOW } from "../../orchestrations/deployFlow";
import { RELEASE_ENDPOINT_LOCK } from "../../orchestrations/releaseEndpointLock";
import { isAlreadyExists, isNotFound } from "./startOnce";

export type LockRecoveryClient = Pick<df.DurableClient, "getStatus" | "startNew">;

export type LockRecoveryOutcome =
  | { outcome: "releasing"; instanceId: string; endpoint: string }
  | { outcome: "alreadyReleased"; instanceId: string; runtimeStatus: string }
  | { outcome: "notFound"; instanceId: string }
  | { outcome: "holderRunning"; instanceId: string; runtimeStatus: string }
  | { outcome: "notNeeded"; instanceId: string; runtimeStatus: string }
  | { outcome: "notADeployment"; instanceId: string; name: string };

/** Statuses in which an orchestration may still release its own lock: recovery refuses them. */
const STILL_RUNS = new Set(["Running", "Pending", "Suspended", "ContinuedAsNew"]);

/**
 * Operator recovery for an endpoint lock whose holder no longer runs (`flowdeploy release-lock`,
 * `POST /api/deployments/{id}/release-lock`). Checks the holder first and refuses while it runs (use
 * cancel then) and for a Completed run (a normal return releases the lock). For a Failed or
 * Terminated deployFlow it starts releaseEndpointLock under the holder's instance id, which frees the
 * lock (see orchestrations/releaseEndpointLock.ts for why that works on the real extension).
 */
export async function recoverEndpointLock(client: LockRecoveryClient, instanceId: string): Promise<LockRecoveryOutcome> {
  let status: df.DurableOrchestrationStatus;
  try {
    status = await client.getStatus(instanceId, { showInput: true });
  } catch (err) {
    if (isNotFound(err)) return { outcome: "notFound", instanceId };
    throw err;
  }
  if (!status?.instanceId) return { outcome: "notFound", instanceId };
  const runtimeStatus = String(status.runtimeStatus);
  if (status.name === RELEASE_ENDPOINT_LOCK) return STILL_RUNS.has(runtimeStatus) ? { outcome: "releasing", instanceId, endpoint: (status.input as ReleaseEndpointLockInput).endpointName } : { outcome: "alreadyReleased", instanceId, runtimeStatus };
  if (status.name !== DEPLOY_FLOW) return { outcome: "notADeployment", instanceId, name: status.name };
  if (STILL_RUNS.has(runtimeStatus)) return { outcome: "holderRunning", instanceId, runtimeStatus };
  if (runtimeStatus === "Completed") return { outcome: "notNeeded", instanceId, runtimeStatus };
  const { request } = status.input as DeployFlowInput;
  const stage = (status.customStatus as { stage?: unknown } | null | undefined)?.stage;
  const input: ReleaseEndpointLockInput = {
    workspace: request.workspace,
    endpointName: request.endpoint.name,
    previous: { requestId: request.requestId, runtimeStatus, stage: typeof stage === "string" ? stage : null },
  };
  try {
    await client.startNew(RELEASE_ENDPOINT_LOCK, { instanceId, input });
  } catch (err) {
    // Two operators at once: the other start won, and it is releasing the same lock.
    if (!isAlreadyExists(err)) throw err;
  }
  return { outcome: "releasing", instanceId, endpoint: request.endpoint.name };
}
