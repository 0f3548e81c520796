import { newGuid, stableGuid, workspaceId, type WorkspaceRef } from "./ids";
import { empty, type SimResponse } from "./httpResponse";
import type { RequestContext } from "./requestContext";
import type { OperationRecord, SimState } from "./stateStore";

/**
 * Long-running operations as Azure ML runs them (README wire facts (a) and the recorded lifecycle):
 * - PUT answers 201 (new) or 200 (update) with `Azure-AsyncOperation` pointing at
 *   `.../locations/{region}/mfeOperationsStatus/oeidp:{workspaceGuid}:{operationGuid}` and
 *   `x-ms-async-operation-timeout: PT30M`; the 201 also carries `Location` = the resource URL.
 * - That status URL answers 200 `{id, name, status, startTime, endTime, percentComplete}`, status
 *   `Updating` until the operation ends, then `Succeeded`, or `Failed` with `error: {code, message}`.
 * - DELETE and PATCH answer 202 with `Location: .../mfeOperationResults/...` (+ Retry-After for DELETE);
 *   that URL answers 202 while running and 200 with the status body once done.
 * Nothing runs in the background: an operation's state is derived from clock.now() against its start
 * + duration whenever someone reads it, so a virtual clock can jump over a 12-minute deployment.
 */

export const ML_API_VERSION = "2022-10-01";
/** The newer stable version the product uses for endpoints and workspaces (mirror traffic, hub projects). */
export const ML_API_VERSION_CURRENT = "2024-10-01";

/**
 * Whether an api-version has online endpoints' `mirrorTraffic`: added in 2022-06-01-preview, absent
 * from 2022-10-01, stable from 2023-04-01 (ARM template change log, workspaces/onlineEndpoints).
 */
export function hasMirrorTraffic(apiVersion: string | null): boolean {
  return apiVersion !== null && apiVersion >= "2023-04-01";
}

/** Whether an api-version has workspaces' `kind` and `properties.hubResourceId` (stable from 2024-04-01: workspaces change log). */
export function hasHubProjects(apiVersion: string | null): boolean {
  return apiVersion !== null && apiVersion >= "2024-04-01";
}

/** Azure: `x-ms-async-operation-timeout: PT30M` on every ML LRO answer (recorded). */
export const ASYNC_OPERATION_TIMEOUT = "PT30M";

/** What a running operation's status shows as endTime (recorded). */
export const RUNNING_END_TIME = "0001-01-01T00:00:00+00:00";

export type OperationStatus = "Updating" | "Succeeded" | "Failed";

export function operationEndTime(op: OperationRecord): Date {
  return new Date(new Date(op.startTime).getTime() + op.durationSeconds * 1000);
}

export function isOperationRunning(op: OperationRecord, now: Date): boolean {
  return now.getTime() < operationEndTime(op).getTime();
}

export function operationStatus(op: OperationRecord, now: Date): OperationStatus {
  if (isOperationRunning(op, now)) return "Updating";
  return op.failure ? "Failed" : "Succeeded";
}

/** Azure regions in URLs are lower case without spaces ("East US" → "eastus"). */
export function regionSlug(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

export interface StartOperation {
  resourceType: OperationRecord["resourceType"];
  resourceKey: string;
  resourceId: string;
  workspace: WorkspaceRef;
  region: string;
  action: OperationRecord["action"];
  now: Date;
  durationSeconds: number;
  failure?: { code: string; message: string };
  pendingTraffic?: Record<string, number>;
}

export function startOperation(state: SimState, start: StartOperation): OperationRecord {
  // Recorded names: `oeidp:` for endpoints, `odidp:` for deployments, then workspace and operation GUIDs.
  const prefix = start.resourceType === "onlineEndpoint" ? "oeidp" : "odidp";
  const op: OperationRecord = {
    name: `${prefix}:${stableGuid(workspaceId(start.workspace).toLowerCase())}:${newGuid()}`,
    subscriptionId: start.workspace.subscriptionId,
    region: regionSlug(start.region),
    resourceType: start.resourceType,
    resourceKey: start.resourceKey,
    resourceId: start.resourceId,
    action: start.action,
    startTime: start.now.toISOString(),
    durationSeconds: start.durationSeconds,
    applied: false,
    ...(start.failure ? { failure: start.failure } : {}),
    ...(start.pendingTraffic ? { pendingTraffic: start.pendingTraffic } : {}),
  };
  state.operations[op.name] = op;
  pendingIndex.get(state.operations)?.add(op);
  return op;
}

/**
 * The operations whose effects are not applied yet, per operations table. Not persisted: built from
 * the `applied` flags on first use (so a state loaded from a file is covered). Settling before every
 * request then costs O(pending operations), not O(every operation ever started), which made the
 * simulator's share of the load benchmark grow quadratically (docs/benchmarks.md).
 */
const pendingIndex = new WeakMap<Record<string, OperationRecord>, Set<OperationRecord>>();

export function pendingOperations(state: SimState): Set<OperationRecord> {
  let pending = pendingIndex.get(state.operations);
  if (!pending) {
    pending = new Set(Object.values(state.operations).filter((op) => !op.applied));
    pendingIndex.set(state.operations, pending);
  }
  return pending;
}

function operationPath(op: OperationRecord, kind: "mfeOperationsStatus" | "mfeOperationResults"): string {
  return `/subscriptions/${op.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${op.region}/${kind}/${op.name}`;
}

/** The `Azure-AsyncOperation` URL (also shown, unsigned, as properties.AzureAsyncOperationUri). */
export function statusUrl(baseUrl: string, op: OperationRecord): string {
  return `${baseUrl}${operationPath(op, "mfeOperationsStatus")}?api-version=${ML_API_VERSION}`;
}

/** The `Location` URL of a DELETE/PATCH/regenerateKeys answer. */
export function resultUrl(baseUrl: string, op: OperationRecord): string {
  return `${baseUrl}${operationPath(op, "mfeOperationResults")}?api-version=${ML_API_VERSION}`;
}

/** The body of a status/result poll (recorded shape). */
export function operationStatusBody(op: OperationRecord, now: Date, kind: "status" | "result"): Record<string, unknown> {
  const status = operationStatus(op, now);
  const body: Record<string, unknown> = {
    id: operationPath(op, kind === "status" ? "mfeOperationsStatus" : "mfeOperationResults"),
    name: op.name,
    status,
    startTime: op.startTime,
    endTime: status === "Updating" ? RUNNING_END_TIME : operationEndTime(op).toISOString(),
    percentComplete: 0.0,
  };
  // ARM async-api-reference: a Failed status carries error {code, message}; the SDK poller puts
  // them into "The long-running operation has failed. {code}. {message}".
  if (status === "Failed" && op.failure) body["error"] = { code: op.failure.code, message: op.failure.message };
  return body;
}

export function findOperation(state: SimState, name: string): OperationRecord | undefined {
  return state.operations[name] ?? Object.values(state.operations).find((o) => o.name.toLowerCase() === name.toLowerCase());
}

/**
 * The answer to a DELETE (or PATCH) that started `op`: 202 with `Location` (mfeOperationResults) and,
 * for DELETE, `Retry-After` (README wire facts (a)); the recorded PATCH carries no Retry-After.
 */
export function acceptedWithLocation(ctx: RequestContext, op: OperationRecord, options: { retryAfter: boolean }): SimResponse {
  return empty(202, {
    Location: resultUrl(ctx.baseUrl, op),
    ...(options.retryAfter ? { "Retry-After": ctx.retryAfter(ctx.state.polling.locationRetryAfterSeconds) } : {}),
    "x-ms-async-operation-timeout": ASYNC_OPERATION_TIMEOUT,
  });
}
