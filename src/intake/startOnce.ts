import type * as df from "durable-functions";
import { activeTraceparent } from "../tracing/spans";
import { formatTraceparent, type TraceParent } from "../tracing/traceparent";
import { DeployRequest } from "../contracts/deployRequest";
import { DEFAULT_POLL_POLICIES, DEFAULT_RETRY_POLICY, DEFAULT_SMOKE_TEST_POLICY, type DeployFlowInput } from "../contracts/orchestration";
import { canonicalJson } from "../domain/canonicalJson";
import { instanceIdFor, requestDigest } from "../domain/ids";
import { getStatusOrUndefined } from "./instanceStatus";
import { DEFAULT_LOCK_WAIT_MINUTES } from "./policy";
import { DEPLOY_FLOW } from "../contracts/orchestration";

/** The subset of the Durable client the edges use (the real one, or the local runner's). */
export type StartClient = Pick<df.DurableClient, "getStatus" | "startNew">;

export interface StartOutcome {
  instanceId: string;
  /** False when an instance with this id already existed (a duplicate delivery): nothing was started. */
  started: boolean;
  existingStatus?: string;
  /** The existing instance was started by a *different* request under the same id: a conflict, not a duplicate. */
  conflict?: boolean;
}

export function deployFlowInput(request: DeployRequest, source: DeployFlowInput["source"], limits: DeployFlowInput["limits"] = { lockWaitMinutes: DEFAULT_LOCK_WAIT_MINUTES }, trace?: TraceParent): DeployFlowInput {
  return { request, source, polls: DEFAULT_POLL_POLICIES, retry: DEFAULT_RETRY_POLICY, smokeTest: DEFAULT_SMOKE_TEST_POLICY, limits, requestDigest: requestDigest(canonicalJson(request)), ...(trace ? { trace: { traceparent: formatTraceparent(trace) } } : {}) };
}

/**
 * Starts the deployment of `request` exactly once. The instance id derives from the request id.
 *
 * - `getStatus` comes first: any existing instance (running, completed or failed) means a duplicate.
 *   The Durable extension lets `startNew` *replace* an instance in a non-running state (host.json
 *   `overridableExistingInstanceStates` defaults to NonRunningStates), so without this a redelivered
 *   request would deploy again. A failed deployment is retried with a new request id.
 * - Two deliveries racing past that check: the extension refuses the second `startNew` while the
 *   first instance is Pending or Running (OrchestrationAlreadyExistsException, answered with HTTP 500,
 *   which durable-functions' client throws as a plain Error carrying only a message). So a failed
 *   start is judged by what the task hub holds, not by the error's text: the status is read again,
 *   and an instance that exists now, where there was none a moment ago, was started by the other
 *   delivery. It is reported as a duplicate, never surfaced as a failure (which would redeliver a
 *   queue message or answer HTTP 500). With no instance, the start failed for its own reason and
 *   that error is thrown. (Should the failed start itself have created the instance, say an answer
 *   lost after the extension took it, reporting it as a duplicate is still right: it runs this request.)
 */
export async function startOnce(client: StartClient, request: DeployRequest, source: DeployFlowInput["source"], limits?: DeployFlowInput["limits"]): Promise<StartOutcome> {
  const instanceId = instanceIdFor(request.requestId);
  const existing = await getStatusOrUndefined(client, instanceId);
  if (existing) return { instanceId, started: false, existingStatus: String(existing.runtimeStatus), ...conflictWith(existing, request) };
  try {
    // The intake's span (src/tracing/intakeSpan.ts) is the orchestration's parent: its activities continue that trace.
    await client.startNew(DEPLOY_FLOW, { instanceId, input: deployFlowInput(request, source, limits, activeTraceparent()) });
  } catch (err) {
    const winner = await getStatusOrUndefined(client, instanceId).catch(() => undefined);
    if (!winner) throw err;
    return { instanceId, started: false, existingStatus: String(winner.runtimeStatus), ...conflictWith(winner, request) };
  }
  return { instanceId, started: true };
}

/**
 * What already runs (or ran) under the request's id, read as `startOnce` reads it: the instance,
 * its status, and whether it was started by a different body (a conflict). Undefined: the id is free.
 */
export async function existingRun(client: Pick<StartClient, "getStatus">, request: DeployRequest): Promise<{ instanceId: string; status: string; conflict: boolean } | undefined> {
  const instanceId = instanceIdFor(request.requestId);
  const existing = await getStatusOrUndefined(client, instanceId);
  return existing ? { instanceId, status: String(existing.runtimeStatus), conflict: conflictWith(existing, request).conflict === true } : undefined;
}

/**
 * Whether the instance under this request id deploys something else: its input's request, read back
 * through the contract (so defaults apply on both sides), differs from this one. The same id with the
 * same body is a redelivery; with another body it is a mistake to report, never to drop silently.
 */
function conflictWith(existing: df.DurableOrchestrationStatus, request: DeployRequest): { conflict?: true } {
  const stored = (existing.input as Partial<DeployFlowInput> | null | undefined)?.request;
  if (stored === undefined) return {};
  const parsed = DeployRequest.safeParse(stored);
  if (parsed.success && canonicalJson(parsed.data) === canonicalJson(request)) return {};
  return { conflict: true };
}

