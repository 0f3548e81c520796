import { armErrorBody, defaultCodeForStatus, defaultMessageForStatus } from "./armErrors";
import type { SimResponse } from "./httpResponse";
import { selectorMatches } from "./operationNames";
import type { Fault } from "./scenario";
import type { FaultState, SimState } from "./stateStore";

/**
 * Injected faults. A fault selects requests by operation (and optionally endpoint/deployment name),
 * affects `times` of them (-1 = forever) and either answers with an error status, resets the
 * connection, or lets a create succeed but makes its long-running operation fail.
 */

export interface FaultTarget {
  operation: string;
  endpoint?: string;
  deployment?: string;
}

export function addFault(state: SimState, fault: Fault): void {
  state.faults.push({ fault, remaining: fault.times });
}

function sameName(filter: string | undefined, actual: string | undefined): boolean {
  return filter === undefined || (actual !== undefined && filter.toLowerCase() === actual.toLowerCase());
}

function armed(state: SimState, entry: FaultState, now: Date): boolean {
  if (entry.remaining === 0) return false;
  const after = entry.fault.afterSeconds;
  return after === undefined || now.getTime() >= new Date(state.startedAt).getTime() + after * 1000;
}

function take(state: SimState, target: FaultTarget, now: Date, kind: "request" | "provisioning"): Fault | undefined {
  for (const entry of state.faults) {
    const f = entry.fault;
    const isProvisioning = f.provisioningError !== undefined;
    if (isProvisioning !== (kind === "provisioning")) continue;
    if (!armed(state, entry, now)) continue;
    if (!selectorMatches(f.op, target.operation)) continue;
    if (!sameName(f.endpoint, target.endpoint) || !sameName(f.deployment, target.deployment)) continue;
    if (entry.remaining > 0) entry.remaining -= 1;
    return f;
  }
  return undefined;
}

/** A status/reset fault for this request, consuming one of its `times`. */
export function takeRequestFault(state: SimState, target: FaultTarget, now: Date): Fault | undefined {
  return take(state, target, now, "request");
}

/** A provisioningError fault for this create, consuming one of its `times`. */
export function takeProvisioningFault(state: SimState, target: FaultTarget, now: Date): Fault | undefined {
  return take(state, target, now, "provisioning");
}

/** The ARM answer of a status fault: `{error: {code, message}}`, plus Retry-After when set. */
export function armFaultResponse(fault: Fault): SimResponse {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
  const code = fault.code ?? defaultCodeForStatus(status);
  const message = fault.message ?? defaultMessageForStatus(status, fault.retryAfterSeconds);
  return { status, headers, body: armErrorBody(code, message) };
}

/**
 * Messages of the provisioning errors Azure ML reports (troubleshoot-online-endpoints.md lists
 * ImagePullFailure / OutOfQuota / ResourceNotReady among the deployment errors).
 */
const PROVISIONING_MESSAGES: Record<string, string> = {
  ImagePullFailure:
    "The container image could not be pulled. Please make sure the image exists and the endpoint identity has AcrPull on the container registry. (simulated)",
  OutOfQuota:
    "Not enough quota available for the requested instance type in this subscription and region. Please request a quota increase or pick another instance type. (simulated)",
  ResourceNotReady:
    "User container has crashed or terminated: the scoring container failed its readiness probe. Check the deployment logs. (simulated)",
  ImageBuildFailure: "The environment image could not be built. Check the build log. (simulated)",
  BadArgument: "The deployment request is invalid. (simulated)",
  InternalServerError: "The deployment failed because of an internal error. (simulated)",
};

export function provisioningFailure(fault: Fault): { code: string; message: string } {
  const code = fault.provisioningError ?? "InternalServerError";
  return { code, message: fault.message ?? PROVISIONING_MESSAGES[code] ?? `Deployment failed with ${code}. (simulated)` };
}
