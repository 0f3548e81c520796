import { ArmError } from "./armErrors";
import { isRecord } from "./json";
import { deploymentsOf, provisioningState } from "./resourceLookup";
import type { EndpointRecord, SimState } from "./stateStore";

/**
 * An endpoint's traffic split (`properties.traffic`, deployment name → percent). It can only be
 * changed by a PUT of the whole endpoint (README wire facts (a): PATCH carries tags + identity only).
 */

/**
 * Validates a requested traffic map against the endpoint's deployments, as Azure does: every named
 * deployment must exist, one that gets traffic must be Succeeded, values are whole percents and they
 * sum to 0 or 100. Returns the map with deployment names in their stored spelling.
 */
export function validateTraffic(state: SimState, endpoint: EndpointRecord | undefined, requested: unknown, now: Date): Record<string, number> {
  if (requested === undefined || requested === null) return {};
  if (!isRecord(requested)) throw new ArmError(400, "BadArgument", "properties.traffic must be an object of deployment name to percent.");
  const deployments = endpoint ? deploymentsOf(state, endpoint) : [];
  const traffic: Record<string, number> = {};
  let total = 0;
  for (const [name, value] of Object.entries(requested)) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 100) {
      throw new ArmError(400, "BadArgument", `Traffic for deployment '${name}' must be a whole number between 0 and 100.`);
    }
    const deployment = deployments.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!deployment) {
      throw new ArmError(400, "BadArgument", `Traffic cannot be set for deployment '${name}': the deployment does not exist under this endpoint.`);
    }
    const state_ = provisioningState(state, deployment.operation, now);
    if (value > 0 && state_ !== "Succeeded") {
      throw new ArmError(
        400,
        "BadArgument",
        `Traffic cannot be sent to deployment '${deployment.name}' because its provisioning state is ${state_}; only Succeeded deployments can receive traffic.`,
      );
    }
    traffic[deployment.name] = value;
    total += value;
  }
  if (total !== 0 && total !== 100) {
    throw new ArmError(400, "BadArgument", `The traffic values sum to ${total}; they must add up to 0 or 100.`);
  }
  return traffic;
}

/**
 * Picks the deployment for a request without the `azureml-model-deployment` header: smooth
 * weighted round-robin over the effective traffic, so a 90/10 split sends exactly 9 of every 10
 * requests to the first deployment (deterministic for tests). Undefined when nothing has traffic.
 */
export function routeByTraffic(state: SimState, endpointKey: string, traffic: Record<string, number>): string | undefined {
  const weighted = Object.entries(traffic).filter(([, w]) => w > 0);
  if (weighted.length === 0) return undefined;
  const current = (state.routing[endpointKey] ??= {});
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let best: string | undefined;
  for (const [name, weight] of weighted) {
    current[name] = (current[name] ?? 0) + weight;
    if (best === undefined || (current[name] ?? 0) > (current[best] ?? 0)) best = name;
  }
  if (best !== undefined) current[best] = (current[best] ?? 0) - total;
  return best;
}

/**
 * Validates `properties.mirrorTraffic` as the safe-rollout how-to states Azure's limits ("Test the
 * deployment with mirrored traffic"): whole percents of at most 50 in all (mfe.json: "Traffic values
 * need to sum to utmost 50"), to one deployment only, which must exist and must not also take live
 * traffic (a deployment gets live or mirrored traffic, not both). A 0 turns mirroring off.
 */
export function validateMirrorTraffic(state: SimState, endpoint: EndpointRecord, requested: unknown, liveTraffic: Record<string, number>): Record<string, number> {
  if (requested === undefined || requested === null) return {};
  if (!isRecord(requested)) throw new ArmError(400, "BadArgument", "properties.mirrorTraffic must be an object of deployment name to percent.");
  const deployments = deploymentsOf(state, endpoint);
  const mirror: Record<string, number> = {};
  let total = 0;
  for (const [name, value] of Object.entries(requested)) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 50) {
      throw new ArmError(400, "BadArgument", `Mirror traffic for deployment '${name}' must be a whole number between 0 and 50.`);
    }
    const deployment = deployments.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!deployment) throw new ArmError(400, "BadArgument", `Mirror traffic cannot be set for deployment '${name}': the deployment does not exist under this endpoint.`);
    const live = Object.entries(liveTraffic).find(([n]) => n.toLowerCase() === deployment.name.toLowerCase())?.[1] ?? 0;
    if (value > 0 && live > 0) {
      throw new ArmError(400, "BadArgument", `Deployment '${deployment.name}' receives ${live}% live traffic; a deployment can receive live traffic or mirror traffic, not both.`);
    }
    mirror[deployment.name] = value;
    total += value;
  }
  if (total > 50) throw new ArmError(400, "BadArgument", `The mirror traffic values sum to ${total}; at most 50% of the traffic can be mirrored.`);
  if (Object.values(mirror).filter((v) => v > 0).length > 1) throw new ArmError(400, "BadArgument", "Traffic can be mirrored to one deployment only.");
  return mirror;
}

/** The share routeByTraffic gives the calls a mirror split does not copy (no deployment can have this name). */
const NOT_MIRRORED = "#not-mirrored";

/**
 * Whether the front end also copies this call to a mirrored deployment, and to which: the same smooth
 * weighted round-robin as routeByTraffic over {mirrored: p, not mirrored: 100 − p}, so mirroring 10%
 * copies exactly 1 call in 10 (deterministic for tests). Azure copies "the mirrored percentage" of the
 * live traffic to the shadow deployment (safe-rollout how-to, "Test the deployment with mirrored
 * traffic"); validateMirrorTraffic keeps it to one deployment and at most 50%. Its counters live in
 * `state.routing[counterKey]`. Undefined when the call is not copied.
 */
export function takeMirror(state: SimState, counterKey: string, mirror: Record<string, number>): string | undefined {
  const target = Object.entries(mirror).find(([, percent]) => percent > 0);
  if (!target) return undefined;
  const [name, percent] = target;
  const picked = routeByTraffic(state, counterKey, { [name]: percent, [NOT_MIRRORED]: Math.max(0, 100 - percent) });
  return picked === name ? name : undefined;
}
