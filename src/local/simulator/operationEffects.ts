import { isOperationRunning, operationEndTime, pendingOperations } from "./lroOperations";
import { forgetTrafficHistory, noteRoutedTraffic } from "./scoringTelemetry";
import type { OperationRecord, SimState } from "./stateStore";

/**
 * Applies what finished operations did to the resources: a created endpoint shows its identity and
 * scoring URI, a traffic update starts routing, a deletion removes the resource. Called with the
 * simulated "now" before every request, so effects appear exactly when the clock passes an
 * operation's end, whether the clock is real, scaled or virtual.
 */
export function settleOperations(state: SimState, now: Date): void {
  const pending = pendingOperations(state);
  const due = [...pending]
    .filter((op) => !op.applied && !isOperationRunning(op, now))
    .sort((a, b) => operationEndTime(a).getTime() - operationEndTime(b).getTime());
  for (const op of due) {
    applyOperation(state, op);
    op.applied = true;
    pending.delete(op);
  }
  if (now.getTime() > new Date(state.lastNow).getTime()) state.lastNow = now.toISOString();
}

function applyOperation(state: SimState, op: OperationRecord): void {
  if (op.resourceType === "onlineEndpoint") applyEndpointOperation(state, op);
  else applyDeploymentOperation(state, op);
}

function applyEndpointOperation(state: SimState, op: OperationRecord): void {
  const endpoint = state.endpoints[op.resourceKey];
  if (!endpoint || endpoint.operation !== op.name) return;
  switch (op.action) {
    case "create": {
      if (op.failure) {
        // The identity of an endpoint that never provisioned never reaches the directory.
        const principal = endpoint.identity.principalId ? state.principals[endpoint.identity.principalId] : undefined;
        if (principal) principal.existsFrom = null;
        return;
      }
      endpoint.created = true;
      endpoint.effectiveTraffic = { ...endpoint.traffic };
      noteRoutedTraffic(state, op.resourceKey, operationEndTime(op), endpoint.effectiveTraffic);
      return;
    }
    case "update":
      if (!op.failure && op.pendingTraffic) {
        endpoint.effectiveTraffic = { ...op.pendingTraffic };
        noteRoutedTraffic(state, op.resourceKey, operationEndTime(op), endpoint.effectiveTraffic);
      }
      return;
    case "delete": {
      if (op.failure) return;
      for (const [key, d] of Object.entries(state.deployments)) if (d.endpointKey === op.resourceKey) delete state.deployments[key];
      delete state.endpoints[op.resourceKey];
      delete state.routing[op.resourceKey];
      delete state.routing[`${op.resourceKey}#synthetic-load`];
      forgetTrafficHistory(state, op.resourceKey);
      return;
    }
    case "regenerateKeys":
      return;
  }
}

function applyDeploymentOperation(state: SimState, op: OperationRecord): void {
  const deployment = state.deployments[op.resourceKey];
  if (!deployment || deployment.operation !== op.name) return;
  if (op.action === "delete") {
    if (op.failure) return;
    delete state.deployments[op.resourceKey];
    // A deleted deployment leaves the endpoint's traffic map (it had 0%: deleting one with traffic is refused).
    const endpoint = state.endpoints[deployment.endpointKey];
    if (endpoint) {
      const drop = (traffic: Record<string, number>) =>
        Object.fromEntries(Object.entries(traffic).filter(([name]) => name.toLowerCase() !== deployment.name.toLowerCase()));
      endpoint.traffic = drop(endpoint.traffic);
      endpoint.effectiveTraffic = drop(endpoint.effectiveTraffic);
      noteRoutedTraffic(state, deployment.endpointKey, operationEndTime(op), endpoint.effectiveTraffic);
      const routing = state.routing[deployment.endpointKey];
      if (routing) delete routing[deployment.name];
    }
    return;
  }
  if (!op.failure) deployment.serving = true;
}
