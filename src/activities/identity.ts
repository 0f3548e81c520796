import type { ResolveIdentityInput, ResolvedIdentity } from "../contracts/activities";
import { NonRetryableError } from "../errors";
import type { ActivityDeps } from "./deps";

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}` (validated at intake). */
const IDENTITY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i;

/**
 * Reads a user-assigned identity from Azure (UserAssignedIdentities_Get, @azure/arm-msi): its
 * `properties.principalId` is who gets the endpoint roles and `properties.clientId` what the
 * deployment authenticates as. Never the request's word: a request that names a principal or client
 * id other than Azure's is refused with IdentityMismatch, before anything is granted.
 */
export async function resolveIdentity(deps: ActivityDeps, input: ResolveIdentityInput): Promise<ResolvedIdentity> {
  const match = IDENTITY_ID.exec(input.resourceId);
  if (!match) throw new NonRetryableError(`not a user-assigned identity id: ${input.resourceId}`, { code: "InvalidIdentity" });
  const [, subscriptionId, resourceGroup, name] = match as unknown as [string, string, string, string];
  const identity = await deps.msi(subscriptionId).userAssignedIdentities.get(resourceGroup, name);
  const principalId = identity.principalId;
  const clientId = identity.clientId;
  if (!principalId || !clientId) {
    throw new NonRetryableError(`identity ${name} has no principal or client id in Azure`, { code: "InvalidIdentity" });
  }
  const mismatch = [
    input.claimedPrincipalId && input.claimedPrincipalId.toLowerCase() !== principalId.toLowerCase() ? "principalId" : undefined,
    input.claimedClientId && input.claimedClientId.toLowerCase() !== clientId.toLowerCase() ? "clientId" : undefined,
  ].filter(Boolean);
  if (mismatch.length > 0) {
    throw new NonRetryableError(`endpoint.identity.${mismatch.join(" and ")} in the request differ from the identity ${name} in Azure; nothing was granted (omit them: flowdeploy reads them from Azure)`, {
      code: "IdentityMismatch",
    });
  }
  deps.log?.info(`identity ${name}: principal ${principalId}`);
  return { resourceId: input.resourceId, principalId, clientId, tenantId: identity.tenantId ?? "" };
}
