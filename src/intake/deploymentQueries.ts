import type * as df from "durable-functions";
import type { DeployFlowInput, ReleaseEndpointLockInput } from "../contracts/orchestration";
import { INSTANCE_ID_PATTERN, instanceIdFor } from "../domain/ids";
import { DEPLOY_FLOW } from "../contracts/orchestration";
import { RELEASE_ENDPOINT_LOCK } from "../contracts/orchestration";
import { stageOf } from "./cancel";
import { getStatusOrUndefined } from "./instanceStatus";

/**
 * Finding deployments without computing `deploy-<sha256>` by hand: the deployment a request id
 * started, and the deployments newest first, filtered and a page at a time
 * (`GET /api/deployments?requestId=…`, `GET /api/deployments?outcome=…&endpoint=…&workspace=…&top=…`).
 *
 * Built on the Durable client's `getStatus` and `getStatusBy` only (the management API stays
 * hidden). durable-functions' `getStatusBy` has no page-level API: it follows the host's continuation
 * tokens and resolves with every matching instance, as parsed JSON whose times are whole-second
 * strings, in no promised order (src/local/runner/client.ts cites the sources). So this sorts and
 * pages itself, with a keyset cursor (creation time, instance id) that also narrows each query with
 * `createdTimeTo`: a page is stable while new deployments start, which only appear on the first page.
 */

/** What became of a deployment: still running, its notification's outcome, or terminated from outside. */
export const DEPLOYMENT_OUTCOMES = ["Running", "Succeeded", "Failed", "Cancelled", "Terminated"] as const;
export type DeploymentOutcome = (typeof DEPLOYMENT_OUTCOMES)[number];

export interface DeploymentSummary {
  instanceId: string;
  requestId: string | null;
  outcome: DeploymentOutcome;
  /** The Durable runtime status (Pending, Running, Completed, Failed, Terminated, ...). */
  runtimeStatus: string;
  /** Where it is or ended: queued, a stage name, notify, done (null before it first ran). */
  stage: string | null;
  endpoint: string | null;
  deployment: string | null;
  workspace: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  /** Only for a deployment whose endpoint lock an operator released (release-lock). */
  lock?: "releasing" | "released";
}

/** Where a page ends: the last deployment it holds. */
export interface ListCursor {
  createdTime: string;
  instanceId: string;
}

export interface ListQuery {
  /** Any of these outcomes (none: all). */
  outcomes?: readonly DeploymentOutcome[] | undefined;
  /** The endpoint's name, compared ignoring case as Azure ML compares resource names. */
  endpoint?: string | undefined;
  /** The workspace's name (the request's `workspace.name`), compared ignoring case likewise. */
  workspace?: string | undefined;
  top: number;
  after?: ListCursor | undefined;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Request ids are only hashed and echoed in JSON; events make them from run ids, so any printable text is looked up. */
const MAX_REQUEST_ID_CHARS = 512;
export function isLookupRequestId(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  return value.length > 0 && value.length <= MAX_REQUEST_ID_CHARS && !/[\u0000-\u001f\u007f]/.test(value);
}

type StatusClient = Pick<df.DurableClient, "getStatus">;
type ListClient = Pick<df.DurableClient, "getStatusBy">;

/**
 * The deployment (or the lock release that took over its instance id) that `requestId` started, or
 * undefined. The instance must name the same request id: an id is never attributed by its hash alone.
 */
export async function findByRequestId(client: StatusClient, requestId: string): Promise<df.DurableOrchestrationStatus | undefined> {
  const status = await getStatusOrUndefined(client, instanceIdFor(requestId));
  if (!status) return undefined;
  return requestIdOf(status) === requestId ? status : undefined;
}

/** One page of deployments, newest first (ties by instance id), and the cursor of the next page if there is one. */
export async function listDeployments(client: ListClient, query: ListQuery): Promise<{ items: DeploymentSummary[]; next: ListCursor | null }> {
  const after = query.after ? { time: Date.parse(query.after.createdTime), id: query.after.instanceId } : undefined;
  // The host truncates creation times to whole seconds while it filters on the exact time: the
  // bound covers the whole second of the cursor, and the cursor itself is applied below.
  const filter: df.OrchestrationFilter = after ? { createdTimeTo: new Date(Math.floor(after.time / 1000) * 1000 + 999) } : {};
  const outcomes = query.outcomes && query.outcomes.length > 0 ? new Set(query.outcomes) : undefined;
  const endpoint = query.endpoint?.toLowerCase();
  const workspace = query.workspace?.toLowerCase();
  const matching = (await client.getStatusBy(filter))
    .map(summarize)
    .filter((s): s is DeploymentSummary => s !== undefined)
    .filter((s) => !outcomes || outcomes.has(s.outcome))
    .filter((s) => endpoint === undefined || s.endpoint?.toLowerCase() === endpoint)
    .filter((s) => workspace === undefined || s.workspace?.toLowerCase() === workspace)
    .sort(newestFirst)
    .filter((s) => !after || isAfter(s, after));
  const items = matching.slice(0, query.top);
  const last = items[items.length - 1];
  return { items, next: matching.length > items.length && last ? { createdTime: last.createdTime, instanceId: last.instanceId } : null };
}

/** A deployment's summary from its Durable status; undefined for instances that are not deployments. */
export function summarize(status: df.DurableOrchestrationStatus): DeploymentSummary | undefined {
  const runtimeStatus = String(status.runtimeStatus);
  const times = { createdTime: isoTime(status.createdTime), lastUpdatedTime: isoTime(status.lastUpdatedTime) };
  if (status.name === DEPLOY_FLOW) {
    const request = (status.input as Partial<DeployFlowInput> | null | undefined)?.request;
    const custom = status.customStatus as { outcome?: unknown; endpoint?: unknown; deployment?: unknown } | null | undefined;
    const output = status.output as { outcome?: unknown; deployment?: { name?: unknown } | null } | null | undefined;
    return {
      instanceId: status.instanceId,
      requestId: request?.requestId ?? null,
      outcome: outcomeOf(runtimeStatus, output?.outcome ?? custom?.outcome),
      runtimeStatus,
      stage: stageOf(status.customStatus),
      endpoint: text(request?.endpoint?.name) ?? text(custom?.endpoint),
      deployment: text(output?.deployment?.name) ?? text(custom?.deployment) ?? text(request?.deployment?.name),
      workspace: text(request?.workspace?.name),
      ...times,
    };
  }
  if (status.name === RELEASE_ENDPOINT_LOCK) {
    // release-lock runs under the dead deployment's instance id: the record is that deployment's.
    const input = status.input as Partial<ReleaseEndpointLockInput> | null | undefined;
    return {
      instanceId: status.instanceId,
      requestId: input?.previous?.requestId ?? null,
      outcome: input?.previous?.runtimeStatus === "Terminated" ? "Terminated" : "Failed",
      runtimeStatus,
      stage: input?.previous?.stage ?? null,
      endpoint: text(input?.endpointName),
      deployment: null,
      workspace: text(input?.workspace?.name),
      ...times,
      lock: runtimeStatus === "Completed" ? "released" : "releasing",
    };
  }
  return undefined;
}

/** The request id an instance belongs to (a deployment's, or the one a lock release took over). */
export function requestIdOf(status: df.DurableOrchestrationStatus): string | null {
  return summarize(status)?.requestId ?? null;
}

function outcomeOf(runtimeStatus: string, reported: unknown): DeploymentOutcome {
  switch (runtimeStatus) {
    case "Completed":
      // deployFlow returns its notification: Succeeded, Failed or Cancelled.
      return reported === "Succeeded" || reported === "Cancelled" ? reported : "Failed";
    case "Failed":
      return "Failed";
    case "Terminated":
    case "Canceled":
      return "Terminated";
    default:
      // Pending, Running, Suspended, ContinuedAsNew: it has not ended.
      return "Running";
  }
}

function newestFirst(a: DeploymentSummary, b: DeploymentSummary): number {
  const byTime = Date.parse(b.createdTime) - Date.parse(a.createdTime);
  if (byTime !== 0) return byTime;
  return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
}

function isAfter(s: DeploymentSummary, cursor: { time: number; id: string }): boolean {
  const time = Date.parse(s.createdTime);
  return time < cursor.time || (time === cursor.time && s.instanceId > cursor.id);
}

/** getStatus gives Dates; getStatusBy gives the host's strings although typed Date. */
function isoTime(value: Date | string | undefined): string {
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** The continuation token handed to callers: the cursor, opaque (base64url JSON), checked when it comes back. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdTime, i: cursor.instanceId }), "utf8").toString("base64url");
}

export function decodeCursor(token: string): ListCursor | undefined {
  if (token.length > 400 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { t?: unknown; i?: unknown };
    if (typeof value.t !== "string" || typeof value.i !== "string") return undefined;
    if (Number.isNaN(Date.parse(value.t)) || !INSTANCE_ID_PATTERN.test(value.i)) return undefined;
    return { createdTime: new Date(value.t).toISOString(), instanceId: value.i };
  } catch {
    return undefined;
  }
}

export type DeploymentQuery = { kind: "byRequestId"; requestId: string } | ({ kind: "list" } & ListQuery);

const LIST_PARAMETERS = new Set(["outcome", "endpoint", "workspace", "top", "continuationToken"]);
/** `code` carries the function key when a caller puts it in the URL: accepted, never echoed. */
const HOST_PARAMETERS = new Set(["code"]);

/** The query string of `GET /api/deployments`, checked: every problem named, unknown parameters refused. */
export function parseDeploymentQuery(params: URLSearchParams): { ok: true; value: DeploymentQuery } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const names = [...new Set(params.keys())];
  for (const name of names) {
    if (name !== "requestId" && !LIST_PARAMETERS.has(name) && !HOST_PARAMETERS.has(name)) errors.push(`${name}: unknown parameter (expected requestId, or outcome, endpoint, workspace, top and continuationToken)`);
    else if (params.getAll(name).length > 1) errors.push(`${name}: given more than once`);
  }
  const requestId = params.get("requestId");
  if (requestId !== null) {
    const others = names.filter((n) => LIST_PARAMETERS.has(n));
    if (others.length > 0) errors.push(`requestId: names one deployment; it cannot be combined with ${others.join(", ")}`);
    if (!isLookupRequestId(requestId)) errors.push(`requestId: expected the request id, 1 to ${MAX_REQUEST_ID_CHARS} characters`);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { kind: "byRequestId", requestId } };
  }

  let outcomes: DeploymentOutcome[] | undefined;
  const outcome = params.get("outcome");
  if (outcome !== null) {
    outcomes = [];
    for (const part of outcome.split(",").map((p) => p.trim())) {
      const known = DEPLOYMENT_OUTCOMES.find((o) => o.toLowerCase() === part.toLowerCase());
      if (known) outcomes.push(known);
      else errors.push(`outcome: expected ${DEPLOYMENT_OUTCOMES.join(", ")} (or several, comma-separated), got '${part.slice(0, 40)}'`);
    }
  }
  const endpoint = params.get("endpoint");
  if (endpoint !== null && !/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(endpoint)) errors.push("endpoint: expected an endpoint name (a letter, then letters, digits or hyphens; at most 32)");
  const workspace = params.get("workspace");
  // The rule of a request's workspace.name (src/contracts/common.ts: Azure's naming limits for workspaces).
  if (workspace !== null && !/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/.test(workspace)) errors.push("workspace: expected a workspace name (3-33 letters, digits, '_' or '-', starting with a letter or digit)");
  let top = DEFAULT_PAGE_SIZE;
  const topText = params.get("top");
  if (topText !== null) {
    top = /^\d{1,3}$/.test(topText) ? Number(topText) : NaN;
    if (!(top >= 1 && top <= MAX_PAGE_SIZE)) errors.push(`top: expected a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  let after: ListCursor | undefined;
  const token = params.get("continuationToken");
  if (token !== null) {
    after = decodeCursor(token);
    if (!after) errors.push("continuationToken: not a token this route handed out (copy it from continuationToken or nextPageUri)");
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { kind: "list", outcomes, endpoint: endpoint ?? undefined, workspace: workspace ?? undefined, top, after } };
}

/** The `nextPageUri` of a page: our own route, the same filters, never the caller's `code`. */
export function nextPageUri(collectionUrl: string, query: ListQuery, next: ListCursor): string {
  const url = new URL(collectionUrl);
  if (query.outcomes && query.outcomes.length > 0) url.searchParams.set("outcome", query.outcomes.join(","));
  if (query.endpoint !== undefined) url.searchParams.set("endpoint", query.endpoint);
  if (query.workspace !== undefined) url.searchParams.set("workspace", query.workspace);
  url.searchParams.set("top", String(query.top));
  url.searchParams.set("continuationToken", encodeCursor(next));
  return url.toString();
}
