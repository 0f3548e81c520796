import { workspaceResourceId, type WorkspaceRef } from "../contracts/common";

/**
 * Only workspaces listed in FLOWDEPLOY_ALLOWED_WORKSPACES (resource ids, compared case-insensitively
 * as ARM does) may be targeted; `*` allows any (meant for the local stand-ins). An empty list allows
 * none, so a forgotten setting fails closed.
 */
export function isWorkspaceAllowed(allowed: readonly string[], workspace: WorkspaceRef): boolean {
  return isResourceAllowed(allowed, workspaceResourceId(workspace));
}

/**
 * Whether a resource id is in an allow-list: `*` allows any (local stand-ins only), an empty list
 * none. Compared ignoring case on both sides, as ARM does: a list given as ARM spells ids
 * (`resourceGroups`, `Microsoft.MachineLearningServices`) must match too.
 */
export function isResourceAllowed(allowed: readonly string[], resourceId: string): boolean {
  if (allowed.includes("*")) return true;
  const id = resourceId.toLowerCase();
  return allowed.some((a) => a.toLowerCase() === id);
}

/**
 * Only user-assigned identities listed in FLOWDEPLOY_ALLOWED_IDENTITIES (resource ids, compared
 * ignoring case) may be attached to an endpoint: flowdeploy grants that identity roles, so the list
 * is the set of principals the Function App may empower. System-assigned identities are created by
 * Azure for the endpoint and need no listing. `*` allows any (local stand-ins only); empty allows none.
 */
export function isIdentityAllowed(allowed: readonly string[], identity: { type: string; resourceId?: string }): boolean {
  return identity.type !== "UserAssigned" || isResourceAllowed(allowed, identity.resourceId ?? "");
}
