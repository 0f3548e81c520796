import { workspaceResourceId, type WorkspaceRef } from "../contracts/common";

/**
 * Only workspaces listed in FLOWDEPLOY_ALLOWED_WORKSPACES (resource ids, compared case-insensitively
 * as ARM does) may be targeted; `*` allows any (meant for the local stand-ins). An empty list allows
 * none, so a forgotten setting fails closed.
 */
export function isWorkspaceAllowed(allowed: readonly string[], workspace: WorkspaceRef): boolean {
  if (allowed.includes("*")) return true;
  const id = workspaceResourceId(workspace).toLowerCase();
  // Both sides: a list given as ARM spells ids (`resourceGroups`, `Microsoft.MachineLearningServices`) must match too.
  return allowed.some((a) => a.toLowerCase() === id);
}
