import { createHash } from "node:crypto";
import { v5 as uuidv5 } from "uuid";

/**
 * Deterministic identities. The same request always maps to the same orchestration instance, and
 * the same (scope, principal, role) to the same role-assignment name, so retries and duplicate
 * deliveries cannot create twins.
 */

/** Namespace for flowdeploy's UUIDv5 names (a fixed, random UUID; never change it). */
const FLOWDEPLOY_NAMESPACE = "6f9c2b1e-3f57-4c2e-9a0e-5b8d7c41e2a3";

/**
 * A digest of a deploy request's content: `r-` + 32 hex of SHA-256 over its canonical JSON (defaults
 * applied). The client's queue message id (Service Bus message ids hold at most 128 characters) and
 * the `requestDigest` of its notifications, which tells two bodies sent under one request id apart.
 */
export function requestDigest(canonicalRequestJson: string): string {
  return `r-${createHash("sha256").update(canonicalRequestJson).digest("hex").slice(0, 32)}`;
}

/** The orchestration instance id for a request id: `deploy-` + 32 hex chars of SHA-256. */
// Hash.update hashes a string as UTF-8 when no encoding is given (Node.js crypto docs, hash.update).
export function instanceIdFor(requestId: string): string {
  return `deploy-${createHash("sha256").update(requestId).digest("hex").slice(0, 32)}`;
}

/**
 * The role-assignment name: a UUIDv5 of scope, principal and role definition — the code twin of
 * Bicep's `guid(scope, principalId, roleDefinitionId)`. ARM requires the name to be a GUID.
 * Scope and role are compared case-insensitively by ARM, so they are lower-cased first.
 */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionGuid: string): string {
  return uuidv5(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleDefinitionGuid.toLowerCase()}`, FLOWDEPLOY_NAMESPACE);
}

/** A Service Bus messageId for a notification: one per (instance, outcome), so a retried send is a duplicate. */
export function notificationMessageId(instanceId: string, outcome: string): string {
  return uuidv5(`${instanceId}|${outcome}`, FLOWDEPLOY_NAMESPACE);
}

/** The durable entity that serializes changes to one endpoint (the critical section in deployFlow). */
export const ENDPOINT_LOCK_ENTITY = "endpointLock";

/**
 * The lock key of an endpoint. Endpoint names are unique per region across workspaces, but the key
 * names the workspace too so two workspaces' look-alikes never wait on each other. No '@' or '/'.
 */
export function endpointLockKey(workspace: { subscriptionId: string; resourceGroup: string; name: string }, endpointName: string): string {
  return [workspace.subscriptionId, workspace.resourceGroup, workspace.name, endpointName].join(":").toLowerCase();
}

/**
 * The external event that cancels a deployment. The orchestration handles it itself inside its
 * critical section (never `terminate`, which would leave the endpoint's lock held: DESIGN.md §6).
 */
export const CANCEL_EVENT = "cancel";

/**
 * The external event an approver's answer raises (`POST /api/deployments/{id}/approve|reject`):
 * payload `ApprovalDecision` (src/contracts/orchestration.ts).
 */
export const APPROVAL_EVENT = "approval";

/** Instance ids flowdeploy makes (`instanceIdFor`); routes refuse anything else before asking the host. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9-]{1,100}$/;
