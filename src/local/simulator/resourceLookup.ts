import { deploymentId, endpointId, resourceKey, type WorkspaceRef } from "./ids";
import { isOperationRunning } from "./lroOperations";
import type { DeploymentRecord, EndpointRecord, OperationRecord, SimState } from "./stateStore";

/** Finding endpoints and deployments, and deriving their provisioningState from their latest operation. */

export function findEndpoint(state: SimState, ws: WorkspaceRef, name: string): EndpointRecord | undefined {
  return state.endpoints[resourceKey(endpointId(ws, name))];
}

/** Endpoint names are unique per region, so the scoring front end finds an endpoint by name alone. */
export function findEndpointByName(state: SimState, name: string): EndpointRecord | undefined {
  const n = name.toLowerCase();
  return Object.values(state.endpoints).find((e) => e.name.toLowerCase() === n);
}

export function findDeployment(state: SimState, ws: WorkspaceRef, endpointName: string, name: string): DeploymentRecord | undefined {
  return state.deployments[resourceKey(deploymentId(ws, endpointName, name))];
}

export function deploymentsOf(state: SimState, endpoint: EndpointRecord): DeploymentRecord[] {
  const key = resourceKey(endpoint.id);
  return Object.values(state.deployments).filter((d) => d.endpointKey === key);
}

export function latestOperation(state: SimState, name: string | undefined): OperationRecord | undefined {
  return name === undefined ? undefined : state.operations[name];
}

const RUNNING_STATE: Record<OperationRecord["action"], string> = {
  create: "Creating",
  update: "Updating",
  regenerateKeys: "Updating",
  delete: "Deleting",
};

/**
 * `EndpointProvisioningState` / `DeploymentProvisioningState` (mfe.json): Creating, Updating or
 * Deleting while the latest operation runs, then Succeeded or Failed. No operation (seeded) = Succeeded.
 */
export function provisioningState(state: SimState, operationName: string | undefined, now: Date): string {
  const op = latestOperation(state, operationName);
  if (!op) return "Succeeded";
  if (isOperationRunning(op, now)) return RUNNING_STATE[op.action];
  return op.failure ? "Failed" : "Succeeded";
}

export function runningOperation(state: SimState, operationName: string | undefined, now: Date): OperationRecord | undefined {
  const op = latestOperation(state, operationName);
  return op && isOperationRunning(op, now) ? op : undefined;
}
