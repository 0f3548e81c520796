import type { OnlineEndpoint } from "@azure/arm-machinelearning";
import type { OnlineEndpointCurrent } from "../azure/mlOperations";

/**
 * The body that PUTs an endpoint back as it was read, with `traffic` changed. ARM has no PATCH for
 * traffic (the PATCH carries tags and identity only), and a PUT replaces the resource: every writable
 * field left out takes its default. So each field GET showed is carried — in particular
 * `publicNetworkAccess` (default "Enabled": leaving it out would make a private endpoint public;
 * reference-yaml-endpoint-online `public_network_access`), `compute`, `sku`, the inner `properties`
 * ("can be added, but not removed or altered": OnlineEndpointProperties) and `mirrorTraffic` (with
 * `mirrorChanges` applied: a rollout's mirror step sets and later removes its own share).
 * Read-only fields (provisioningState, scoringUri, swaggerUri, keys, identity principals) are not sent.
 */
export function endpointPutBody(read: OnlineEndpointCurrent, traffic: Record<string, number>, mirrorChanges?: Record<string, number>): OnlineEndpointCurrent {
  const p = read.properties;
  const body: OnlineEndpointCurrent = {
    location: read.location,
    ...(read.kind !== undefined ? { kind: read.kind } : {}),
    ...(read.tags !== undefined ? { tags: read.tags } : {}),
    ...(read.sku !== undefined ? { sku: read.sku } : {}),
    ...(read.identity ? { identity: writableIdentity(read.identity) } : {}),
    properties: {
      authMode: p.authMode,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.properties !== undefined ? { properties: p.properties } : {}),
      ...(p.compute !== undefined && p.compute !== null ? { compute: p.compute } : {}),
      ...(p.publicNetworkAccess !== undefined ? { publicNetworkAccess: p.publicNetworkAccess } : {}),
      traffic,
    },
  };
  const mirror = mirrorChanges ? { ...mirrorTrafficOf(read), ...mirrorChanges } : mirrorTrafficOf(read);
  if (mirror) {
    // A deployment takes live or mirrored traffic, not both (safe-rollout how-to): one that now gets
    // live traffic stops being mirrored to.
    for (const name of Object.keys(mirror)) if ((traffic[name] ?? 0) > 0) mirror[name] = 0;
    body.properties.mirrorTraffic = mirror;
  }
  return body;
}

/** `mirrorTraffic` as GET returned it at the current api-version (src/azure/mlOperations.ts). */
export function mirrorTrafficOf(read: OnlineEndpointCurrent): Record<string, number> | undefined {
  const mirror = read.properties.mirrorTraffic;
  return mirror && typeof mirror === "object" && Object.keys(mirror).length > 0 ? { ...mirror } : undefined;
}

/** The identity as a PUT takes it: the type and the user-assigned ids, without the principals ARM reports. */
function writableIdentity(identity: NonNullable<OnlineEndpoint["identity"]>): NonNullable<OnlineEndpoint["identity"]> {
  return identity.userAssignedIdentities
    ? { type: identity.type, userAssignedIdentities: Object.fromEntries(Object.keys(identity.userAssignedIdentities).map((id) => [id, {}])) }
    : { type: identity.type };
}
