import { ArmError } from "./armErrors";
import { json, type SimResponse } from "./httpResponse";
import type { RequestContext } from "./requestContext";
import { requireParam } from "./requestContext";
import { isRecord } from "./json";
import { newGuid, resourceKey } from "./ids";
import type { EndpointIdentity, SimState, UserAssignedIdentityRecord } from "./stateStore";

/**
 * Managed identities of online endpoints (README wire facts (e)): `identity.principalId` and
 * `identity.tenantId` sit at the top level of the endpoint; user-assigned identities are listed under
 * `identity.userAssignedIdentities[<ARM id>] = {principalId, clientId}`. The SDK strips those
 * read-only ids from the request, so the simulator makes them up.
 */

const IDENTITY_TYPES: Record<string, string> = {
  none: "None",
  systemassigned: "SystemAssigned",
  userassigned: "UserAssigned",
  "systemassigned,userassigned": "SystemAssigned,UserAssigned",
};

export function hasSystemAssigned(identity: EndpointIdentity): boolean {
  return identity.type.startsWith("SystemAssigned");
}

/** Looks up (or creates) a user-assigned identity by ARM id; it exists already, so it is old. */
export function userAssignedIdentity(state: SimState, id: string): UserAssignedIdentityRecord {
  const key = resourceKey(id);
  let uai = state.userAssignedIdentities[key];
  if (!uai) {
    uai = { id, principalId: newGuid(), clientId: newGuid() };
    state.userAssignedIdentities[key] = uai;
  }
  if (!state.principals[uai.principalId]) {
    state.principals[uai.principalId] = { principalId: uai.principalId, source: uai.id, existsFrom: new Date(0).toISOString() };
  }
  return uai;
}

/**
 * Builds the identity of a new endpoint from the PUT body. A system-assigned principal appears in the
 * directory when the endpoint finishes provisioning (`principalExistsFrom`).
 */
export function createEndpointIdentity(
  state: SimState,
  requested: unknown,
  endpointId: string,
  principalExistsFrom: Date,
): EndpointIdentity {
  if (requested === undefined || requested === null) return { type: "None", userAssigned: {} };
  if (!isRecord(requested) || typeof requested["type"] !== "string") {
    throw new ArmError(400, "BadArgument", "identity.type is required when identity is given.");
  }
  const type = IDENTITY_TYPES[requested["type"].replace(/\s+/g, "").toLowerCase()];
  if (!type) {
    throw new ArmError(400, "BadArgument", `identity.type '${requested["type"]}' is not one of None, SystemAssigned, UserAssigned, SystemAssigned,UserAssigned.`);
  }
  const identity: EndpointIdentity = { type, userAssigned: {} };
  if (type.startsWith("SystemAssigned")) {
    identity.principalId = newGuid();
    identity.tenantId = state.tenantId;
    state.principals[identity.principalId] = {
      principalId: identity.principalId,
      source: endpointId,
      existsFrom: principalExistsFrom.toISOString(),
    };
  }
  if (type.endsWith("UserAssigned")) {
    const ids = isRecord(requested["userAssignedIdentities"]) ? Object.keys(requested["userAssignedIdentities"]) : [];
    if (ids.length === 0) {
      throw new ArmError(400, "BadArgument", "identity.userAssignedIdentities must name at least one identity when type includes UserAssigned.");
    }
    for (const id of ids) {
      const uai = userAssignedIdentity(state, id);
      identity.userAssigned[id] = { principalId: uai.principalId, clientId: uai.clientId };
    }
  }
  return identity;
}

/** Every principal the endpoint's flow can run as. */
export function endpointPrincipalIds(identity: EndpointIdentity): string[] {
  const ids = Object.values(identity.userAssigned).map((u) => u.principalId);
  return identity.principalId ? [identity.principalId, ...ids] : ids;
}

/** The `identity` block of a GET answer. */
export function identityView(identity: EndpointIdentity): Record<string, unknown> | undefined {
  if (identity.type === "None") return undefined;
  const view: Record<string, unknown> = { type: identity.type };
  if (identity.principalId) view["principalId"] = identity.principalId;
  if (identity.tenantId) view["tenantId"] = identity.tenantId;
  if (Object.keys(identity.userAssigned).length > 0) {
    view["userAssignedIdentities"] = Object.fromEntries(
      Object.entries(identity.userAssigned).map(([id, u]) => [id, { principalId: u.principalId, clientId: u.clientId }]),
    );
  }
  return view;
}

/**
 * UserAssignedIdentities_Get (Microsoft.ManagedIdentity, api-version 2024-11-30, what @azure/arm-msi
 * 2.2 sends): `{id, name, type, location, tags, properties: {tenantId, principalId, clientId,
 * isolationScope}}` — azure-rest-api-specs specification/msi/resource-manager/Microsoft.ManagedIdentity/
 * stable/2024-11-30/examples/IdentityGet.json. Every identity id "exists" (like every workspace), with
 * the principal the simulator keeps for it: the same one an endpoint using it reports.
 */
export function getUserAssignedIdentity(ctx: RequestContext): SimResponse {
  const subscriptionId = requireParam(ctx, "subscriptionId");
  const resourceGroup = requireParam(ctx, "resourceGroupName");
  const name = requireParam(ctx, "identityName");
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const uai = userAssignedIdentity(ctx.state, id);
  return json(200, {
    id: uai.id,
    name: uai.id.split("/").pop(),
    type: "Microsoft.ManagedIdentity/userAssignedIdentities",
    location: ctx.state.location,
    tags: {},
    properties: { tenantId: ctx.state.tenantId, principalId: uai.principalId, clientId: uai.clientId, isolationScope: "None" },
  });
}
