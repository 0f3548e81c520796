import * as df from "durable-functions";
import type { DeployFlowInput, ReleaseEndpointLockInput } from "../contracts/orchestration";
import { endpointLockKey } from "../domain/ids";
import { DEPLOY_FLOW } from "../contracts/orchestration";
import { RELEASE_ENDPOINT_LOCK } from "../contracts/orchestration";
import { stageOf } from "./cancel";
import { getStatusOrUndefined } from "./instanceStatus";

export type LockRecoveryClient = Pick<df.DurableClient, "getStatus" | "getStatusBy" | "startNew">;

export type LockRecoveryOutcome =
  | { outcome: "releasing"; instanceId: string; endpoint: string }
  | { outcome: "alreadyReleased"; instanceId: string; runtimeStatus: string }
  | { outcome: "notFound"; instanceId: string }
  | { outcome: "holderRunning"; instanceId: string; runtimeStatus: string }
  | { outcome: "heldByAnother"; instanceId: string; holder: string }
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
  const status = await getStatusOrUndefined(client, instanceId, { showInput: true });
  if (!status) return { outcome: "notFound", instanceId };
  const runtimeStatus = String(status.runtimeStatus);
  if (status.name === RELEASE_ENDPOINT_LOCK) return STILL_RUNS.has(runtimeStatus) ? { outcome: "releasing", instanceId, endpoint: (status.input as ReleaseEndpointLockInput).endpointName } : { outcome: "alreadyReleased", instanceId, runtimeStatus };
  if (status.name !== DEPLOY_FLOW) return { outcome: "notADeployment", instanceId, name: status.name };
  if (STILL_RUNS.has(runtimeStatus)) return { outcome: "holderRunning", instanceId, runtimeStatus };
  if (runtimeStatus === "Completed") return { outcome: "notNeeded", instanceId, runtimeStatus };
  const { request } = status.input as DeployFlowInput;
  // A running deployment past "queued" holds this endpoint's lock now: the dead one does not. If the
  // dead one's request is still queued behind it, that request is granted when the holder finishes,
  // and a release started now would wait behind the later requests forever (the entity serves only
  // the head of its queue). So refuse until then.
  const key = endpointLockKey(request.workspace, request.endpoint.name);
  const active = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending] });
  const holder = active.find((other) => other.instanceId !== instanceId && other.name === DEPLOY_FLOW && stageOf(other.customStatus) !== "queued" && lockKeyOf(other) === key);
  if (holder) return { outcome: "heldByAnother", instanceId, holder: holder.instanceId };
  const stage = stageOf(status.customStatus);
  const input: ReleaseEndpointLockInput = {
    workspace: request.workspace,
    endpointName: request.endpoint.name,
    previous: { requestId: request.requestId, runtimeStatus, stage },
  };
  try {
    await client.startNew(RELEASE_ENDPOINT_LOCK, { instanceId, input });
  } catch (err) {
    // Two operators at once: the other start won, and it is releasing the same lock. The client's
    // refusal is a plain Error with a message only (see ./instanceStatus), so what tells is the
    // instance itself: it is a releaseEndpointLock now. Anything else is this start's own failure.
    const now = await getStatusOrUndefined(client, instanceId).catch(() => undefined);
    if (now?.name !== RELEASE_ENDPOINT_LOCK) throw err;
  }
  return { outcome: "releasing", instanceId, endpoint: request.endpoint.name };
}

function lockKeyOf(status: df.DurableOrchestrationStatus): string | undefined {
  const request = (status.input as Partial<DeployFlowInput> | null | undefined)?.request;
  return request?.workspace && request.endpoint ? endpointLockKey(request.workspace, request.endpoint.name) : undefined;
}
