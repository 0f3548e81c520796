import { createHash, randomUUID } from "node:crypto";

/** The three names that identify an Azure ML workspace in an ARM path. */
export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

const ML_PROVIDER = "Microsoft.MachineLearningServices";

export function workspaceId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/${ML_PROVIDER}/workspaces/${ws.workspace}`;
}

export function endpointId(ws: WorkspaceRef, endpointName: string): string {
  return `${workspaceId(ws)}/onlineEndpoints/${endpointName}`;
}

export function deploymentId(ws: WorkspaceRef, endpointName: string, deploymentName: string): string {
  return `${endpointId(ws, endpointName)}/deployments/${deploymentName}`;
}

export function modelContainerId(ws: WorkspaceRef, name: string): string {
  return `${workspaceId(ws)}/models/${name}`;
}

export function modelVersionId(ws: WorkspaceRef, name: string, version: string): string {
  return `${modelContainerId(ws, name)}/versions/${version}`;
}

/** ARM ids and names are case-insensitive: every store map is keyed by the lower-cased id. */
export function resourceKey(id: string): string {
  return id.toLowerCase();
}

/** A GUID derived from `seed`, so the same workspace always gets the same registry, storage and ids. */
export function stableGuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  // Shape it like a version-4 GUID so validators that check the version nibble accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newGuid(): string {
  return randomUUID();
}

/** A short lower-case alphanumeric suffix derived from `seed` (Azure resource names such as storage accounts). */
export function stableSuffix(seed: string, length = 10): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Collapses repeated slashes, drops a trailing slash and guarantees a leading one: `//a/b/` → `/a/b`. */
export function normalizePath(path: string): string {
  const collapsed = `/${path}`.replace(/\/{2,}/g, "/");
  return collapsed.length > 1 && collapsed.endsWith("/") ? collapsed.slice(0, -1) : collapsed;
}

/**
 * Whether a role assignment made at `scope` applies to `resourceId`: RBAC inherits downwards, so an
 * assignment on the subscription covers the workspace, the registry and the storage account below it.
 */
export function scopeCovers(scope: string, resourceId: string): boolean {
  const s = normalizePath(scope).toLowerCase();
  const r = normalizePath(resourceId).toLowerCase();
  if (s === "/") return true;
  return r === s || r.startsWith(`${s}/`);
}
