import type { SetTrafficInput, StartedOperation } from "../contracts/activities";
import { getOnlineEndpoint, putOnlineEndpoint } from "../azure/mlOperations";
import { NonRetryableError } from "../errors";
import { captureInitialResponse, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { endpointPutBody, mirrorTrafficOf } from "./endpointBody";

/**
 * Sets the endpoint's traffic map (and, when given, its mirrored shares). Azure takes traffic only through a full endpoint PUT (the PATCH
 * carries just tags and identity), so the endpoint is read and PUT back whole with the new map
 * (`endpointPutBody`: every field it read, so a private endpoint stays private).
 * Returns at once; the orchestrator polls `getEndpointState`. Re-running with the same map is a no-op.
 */
export async function setTraffic(deps: ActivityDeps, input: SetTrafficInput): Promise<StartedOperation> {
  const total = Object.values(input.traffic).reduce((a, b) => a + b, 0);
  if (total !== 0 && total !== 100) throw new NonRetryableError(`traffic adds up to ${total}; Azure requires 0 or 100`, { code: "InvalidTraffic" });
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const endpoint = await getOnlineEndpoint(ml, rg, ws, input.endpointName);
  const mirrorUnchanged = !input.mirror || sameTraffic(mirrorTrafficOf(endpoint) ?? {}, { ...mirrorTrafficOf(endpoint), ...input.mirror });
  if (sameTraffic(endpoint.properties.traffic ?? {}, input.traffic) && mirrorUnchanged) {
    return { provisioningState: "Succeeded", operationUrl: null, retryAfterSeconds: null };
  }
  const body = endpointPutBody(endpoint, input.traffic, input.mirror);
  const capture = captureInitialResponse();
  await putOnlineEndpoint(ml, rg, ws, input.endpointName, body, capture.options);
  return capture.started("Updating");
}

/** Equal maps, treating a missing deployment as 0%. */
export function sameTraffic(a: Record<string, number>, b: Record<string, number>): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((n) => (a[n] ?? 0) === (b[n] ?? 0));
}
