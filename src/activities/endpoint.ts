import type { OnlineEndpoint } from "@azure/arm-machinelearning";
import { getOnlineEndpoint, putOnlineEndpoint } from "../azure/mlOperations";
import type { EndpointState, EnsureEndpointInput, EnsureEndpointResult, GetEndpointStateInput } from "../contracts/activities";
import type { EndpointSpec } from "../contracts/deployRequest";
import { NonRetryableError } from "../errors";
import { captureInitialResponse, getOrUndefined, normalizeState, readOperationError, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { REQUEST_TAG } from "./model";
import { endpointPutBody } from "./endpointBody";
import { assertManagedOrAdopted, MANAGED_TAGS } from "./managed";

/** The request's auth mode in ARM's spelling. */
export const ARM_AUTH_MODE = { key: "Key", aml_token: "AMLToken" } as const;

export function endpointIdentity(spec: EndpointSpec): NonNullable<OnlineEndpoint["identity"]> {
  return spec.identity.type === "SystemAssigned"
    ? { type: "SystemAssigned" }
    : { type: "UserAssigned", userAssignedIdentities: { [spec.identity.resourceId]: {} } };
}

/**
 * Starts create-or-update of the managed online endpoint, or reuses the one that exists (its traffic
 * untouched). Returns at once; the orchestrator polls `getEndpointState`.
 */
export async function ensureEndpoint(deps: ActivityDeps, input: EnsureEndpointInput): Promise<EnsureEndpointResult> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const existing = await getOrUndefined(() => getOnlineEndpoint(ml, rg, ws, input.endpoint.name));

  if (existing) {
    // An endpoint this very request created (an earlier attempt whose answer was lost to a throttled
    // status read, or a crash) is ours by construction. It must not be judged by its identity: Azure
    // shows no identity block until the create has finished, which looked like a conflict.
    const ours = input.tags[REQUEST_TAG] !== undefined && existing.tags?.[REQUEST_TAG] === input.tags[REQUEST_TAG];
    if (!ours) {
      assertManagedOrAdopted("endpoint", input.endpoint.name, existing.tags, deps.settings.adoptEndpoints);
      assertCompatible(existing, input.endpoint);
    }
    const state = normalizeState(existing.properties.provisioningState);
    // A previous attempt that failed to provision is retried by PUTting it again (create-or-update).
    if (state !== "Failed") {
      return { existed: true, provisioningState: state, operationUrl: null, retryAfterSeconds: null, traffic: existing.properties.traffic ?? {} };
    }
  }

  const workspace = await ml.workspaces.get(rg, ws);
  // A failed endpoint PUT again keeps what it had (publicNetworkAccess, compute, sku, mirror traffic:
  // a PUT replaces the resource), with the request's identity, auth mode and tags.
  const carried = existing ? endpointPutBody(existing, existing.properties.traffic ?? {}) : undefined;
  const body: OnlineEndpoint = {
    ...carried,
    location: existing?.location ?? workspace.location ?? "eastus",
    kind: "Managed",
    identity: endpointIdentity(input.endpoint),
    tags: { ...existing?.tags, ...input.tags, ...MANAGED_TAGS },
    properties: {
      ...carried?.properties,
      authMode: ARM_AUTH_MODE[input.endpoint.authMode],
      description: "Managed by flowdeploy",
      // A new endpoint serves nothing until a deployment passed its smoke test.
      traffic: existing?.properties.traffic ?? {},
      // Set explicitly, as the prompt flow deployment how-to's endpoint YAML does (the SDKs do not add
      // it): a system-assigned identity may then read the workspace's default secret stores
      // (connections) when the deployer holds that permission. docs/pipeline.md, "Secret stores".
      properties: { ...carried?.properties?.properties, ...(input.endpoint.identity.type === "SystemAssigned" ? { enforce_access_to_default_secret_stores: "enabled" } : {}) },
    },
  };
  const capture = captureInitialResponse();
  await putOnlineEndpoint(ml, rg, ws, input.endpoint.name, body, capture.options);
  return { existed: false, ...capture.started(existing ? "Updating" : "Creating"), traffic: body.properties.traffic ?? {} };
}

/** An existing endpoint is reused only if it is what the request asks for; changing auth or identity would break its callers. */
function assertCompatible(existing: OnlineEndpoint, spec: EndpointSpec): void {
  const conflict = endpointConflicts(existing, spec)[0];
  if (conflict) {
    throw new NonRetryableError(conflict, {
      code: "EndpointConflict",
    });
  }
}

/** How an existing endpoint differs from what the request asks for (auth mode, identity type); empty when it may be reused. */
export function endpointConflicts(existing: OnlineEndpoint, spec: EndpointSpec): string[] {
  const conflicts: string[] = [];
  const wantedAuth = ARM_AUTH_MODE[spec.authMode];
  if (existing.properties.authMode && existing.properties.authMode.toLowerCase() !== wantedAuth.toLowerCase()) {
    conflicts.push(`endpoint ${spec.name} exists with auth mode ${existing.properties.authMode}, the request asks for ${wantedAuth}`);
  }
  const type = existing.identity?.type ?? "";
  if (!type.split(",").map((t) => t.trim()).includes(spec.identity.type)) {
    conflicts.push(`endpoint ${spec.name} exists with identity ${type || "None"}, the request asks for ${spec.identity.type}`);
  }
  return conflicts;
}

/** Reads the endpoint's provisioning state, identity principal, scoring URI and traffic. */
export async function getEndpointState(deps: ActivityDeps, input: GetEndpointStateInput): Promise<EndpointState> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const endpoint = await getOrUndefined(() => getOnlineEndpoint(ml, rg, ws, input.endpointName));
  if (!endpoint) return { provisioningState: "NotFound", principalId: null, scoringUri: null, traffic: {}, error: null };
  const provisioningState = normalizeState(endpoint.properties.provisioningState);
  const error = provisioningState === "Failed" ? ((await readOperationError(ml, input.operationUrl, deps.settings.armEndpoint)) ?? { code: "EndpointProvisioningFailed", message: `endpoint ${input.endpointName} failed to provision` }) : null;
  return { provisioningState, principalId: principalIdOf(endpoint), scoringUri: endpoint.properties.scoringUri ?? null, traffic: endpoint.properties.traffic ?? {}, error };
}

/** Azure puts a system identity's principal at `identity.principalId`; user-assigned ones under `userAssignedIdentities` (README wire facts (e)). */
function principalIdOf(endpoint: OnlineEndpoint): string | null {
  if (endpoint.identity?.principalId) return endpoint.identity.principalId;
  const uai = Object.values(endpoint.identity?.userAssignedIdentities ?? {})[0];
  return uai?.principalId ?? null;
}
