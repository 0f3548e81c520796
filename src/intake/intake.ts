import { createHash, randomUUID } from "node:crypto";
import { classifyEvent } from "../contracts/events";
import type { FieldIssue } from "../contracts/issues";
import { formatIssues } from "../contracts/issues";
import type { DeploymentNotification } from "../contracts/notification";
import { parseDeployRequest, parseJsonText } from "../contracts/parse";
import type { DeployRequest } from "../contracts/deployRequest";
import type { DeployFlowInput } from "../contracts/orchestration";
import type { Clock } from "../domain/clock";
import { canonicalJson } from "../domain/canonicalJson";
import { notificationMessageId, requestDigest } from "../domain/ids";
import { logLine } from "../domain/logLine";
import { logText } from "../domain/logText";
import { isIdentityAllowed, isResourceAllowed, isWorkspaceAllowed } from "./allowlist";
import { eventPolicyViolation, type EventRejectionCode } from "./eventPolicy";
import type { IntakePolicy } from "./policy";
import { rejectionNotification, requestIdOf } from "./rejection";
import { startOnce, type StartClient } from "./startOnce";

/**
 * The edges' shared logic: validate, check the allowlist, start once — or reject with a
 * notification naming every bad field. Plain functions with injected dependencies, so the Functions
 * host registrations, `flowdeploy serve` and the tests run exactly the same code.
 */
export interface IntakeDeps {
  client: StartClient;
  policy: IntakePolicy;
  /** Publishes a Rejected notification with the given messageId (duplicate detection). */
  publishRejected(notification: DeploymentNotification, messageId: string): Promise<void>;
  clock: Clock;
  log(message: string): void;
}

/** Why intake refused a message: bad input, or a target the server's policy does not allow. */
export type RejectionCode = "InvalidRequest" | "RequestIdConflict" | "WorkspaceNotAllowed" | "IdentityNotAllowed" | "ExtraRoleScopeNotAllowed" | "InstanceLimitExceeded" | "InstanceTypeNotAllowed" | EventRejectionCode;

/** Rejections decided by the server's policy rather than by the message's shape (HTTP 403). */
export const POLICY_REJECTIONS: ReadonlySet<RejectionCode> = new Set(["WorkspaceNotAllowed", "IdentityNotAllowed", "ExtraRoleScopeNotAllowed", "InstanceLimitExceeded", "InstanceTypeNotAllowed"]);

/** The server's rules for a valid request: allowed workspace and identity, and what it may cost. */
export function requestPolicyViolation(request: DeployRequest, policy: IntakePolicy): { code: RejectionCode; issues: FieldIssue[] } | undefined {
  if (!isWorkspaceAllowed(policy.allowedWorkspaces, request.workspace)) {
    return { code: "WorkspaceNotAllowed", issues: [{ path: ["workspace"], message: "this workspace is not in FLOWDEPLOY_ALLOWED_WORKSPACES" }] };
  }
  if (!isIdentityAllowed(policy.allowedIdentities, request.endpoint.identity)) {
    return { code: "IdentityNotAllowed", issues: [{ path: ["endpoint", "identity", "resourceId"], message: "this user-assigned identity is not in FLOWDEPLOY_ALLOWED_IDENTITIES" }] };
  }
  const outside = (request.endpoint.extraRoles ?? []).findIndex((r) => !isResourceAllowed(policy.extraRoleScopes, r.scope));
  if (outside >= 0) {
    return { code: "ExtraRoleScopeNotAllowed", issues: [{ path: ["endpoint", "extraRoles", outside, "scope"], message: "this resource is not in FLOWDEPLOY_EXTRA_ROLE_SCOPES" }] };
  }
  // An agent's resources get roles too: the same allow-list decides where flowdeploy may grant.
  for (const field of ["aiServices", "keyVault"] as const) {
    const scope = request.agent?.[field];
    if (scope !== undefined && !isResourceAllowed(policy.extraRoleScopes, scope)) {
      return { code: "ExtraRoleScopeNotAllowed", issues: [{ path: ["agent", field], message: "this resource is not in FLOWDEPLOY_EXTRA_ROLE_SCOPES" }] };
    }
  }
  return limitViolation(request, policy);
}

/** What a deployment may cost: instance count and VM SKU within the app's settings. */
function limitViolation(request: DeployRequest, policy: IntakePolicy): { code: RejectionCode; issues: FieldIssue[] } | undefined {
  const { instanceCount, instanceType } = request.deployment;
  if (instanceCount > policy.maxInstances) {
    return { code: "InstanceLimitExceeded", issues: [{ path: ["deployment", "instanceCount"], message: `at most ${policy.maxInstances} instances (FLOWDEPLOY_MAX_INSTANCES)` }] };
  }
  const allowed = policy.allowedInstanceTypes;
  if (allowed.length > 0 && !allowed.some((t) => t.toLowerCase() === instanceType.toLowerCase())) {
    return { code: "InstanceTypeNotAllowed", issues: [{ path: ["deployment", "instanceType"], message: `${instanceType} is not in FLOWDEPLOY_ALLOWED_INSTANCE_TYPES (${allowed.join(", ")})` }] };
  }
  return undefined;
}

export type IntakeResult =
  | { outcome: "started" | "duplicate"; instanceId: string; requestId: string }
  | { outcome: "rejected"; code: RejectionCode; issues: FieldIssue[]; lines: string[] }
  | { outcome: "ignored"; reason: string };

/** Reads a message body the host delivered as an object, JSON text or bytes. */
export function bodyToJson(body: unknown): { ok: true; value: unknown } | { ok: false; issues: FieldIssue[] } {
  if (typeof body === "string") return parseJsonText(body);
  if (body instanceof Uint8Array) return parseJsonText(Buffer.from(body).toString("utf8"));
  return { ok: true, value: body };
}

/** A deploy request from the queue or the HTTP starter. `sourceId` identifies the delivery (message id). */
export async function admitRequest(body: unknown, sourceId: string, source: DeployFlowInput["source"], deps: IntakeDeps, options: { publishRejection: boolean }): Promise<IntakeResult> {
  const json = bodyToJson(body);
  if (!json.ok) return reject(json.issues, sourceId, deps, options, {});
  const parsed = parseDeployRequest(json.value);
  if (!parsed.ok) return reject(parsed.issues, sourceId, deps, options, { requestId: requestIdOf(json.value) });
  return admitValid(parsed.value, sourceId, source, deps, options);
}

/** One Event Grid event (either envelope). */
export async function admitEvent(event: unknown, deps: IntakeDeps): Promise<IntakeResult> {
  const result = classifyEvent(event);
  const sourceId = result.envelope?.id ?? contentKey(event);
  if (result.outcome === "ignored") {
    deps.log(logLine({ stage: "intake" }, `ignored event ${logText(sourceId)}: ${logText(result.reason)}`));
    return { outcome: "ignored", reason: result.reason };
  }
  if (result.outcome === "rejected") {
    if (!result.request || !result.envelope) return reject(result.issues, `event:${sourceId}`, deps, { publishRejection: true }, {});
    // Well-formed but below its own thresholds: where it came from and when are still judged first.
    const origin = eventPolicyViolation({ envelope: result.envelope }, deps.policy, deps.clock.now());
    if (origin) return reject(origin.issues, `event:${sourceId}`, deps, { publishRejection: true }, { request: result.request }, origin.code);
    return reject(result.issues, `event:${sourceId}`, deps, { publishRejection: true }, { request: result.request }, "GateFailed");
  }
  const violation = eventPolicyViolation(result, deps.policy, deps.clock.now());
  if (violation) return reject(violation.issues, `event:${sourceId}`, deps, { publishRejection: true }, { request: result.request }, violation.code);
  return admitValid(result.request, `event:${sourceId}`, "eventGrid", deps, { publishRejection: true });
}

/**
 * The delivery key of an event too broken to have an envelope id: a digest of its content. The
 * Rejected notification's messageId derives from it, so a redelivery is still dropped by the topic's
 * duplicate detection while two different broken events are two rejections (one shared key made the
 * topic drop every rejection after the first).
 */
function contentKey(event: unknown): string {
  try {
    return `sha256:${createHash("sha256").update(JSON.stringify(event) ?? String(event)).digest("hex").slice(0, 32)}`;
  } catch {
    // Not serializable (e.g. nested too deeply to stringify): never the same key twice.
    return `unkeyed:${randomUUID()}`;
  }
}

async function admitValid(request: DeployRequest, sourceId: string, source: DeployFlowInput["source"], deps: IntakeDeps, options: { publishRejection: boolean }): Promise<IntakeResult> {
  const violation = requestPolicyViolation(request, deps.policy);
  if (violation) return reject(violation.issues, sourceId, deps, options, { request }, violation.code);
  const started = await startOnce(deps.client, request, source, { lockWaitMinutes: deps.policy.lockWaitMinutes });
  if (started.conflict) {
    const issue = { path: ["requestId"], message: `already used by a different request (instance ${started.instanceId}, ${started.existingStatus ?? "unknown"}); a changed request needs a new requestId` };
    // Keyed by the body too: each different body sent under the id is its own rejection. Published
    // from every entry point, HTTP included: whoever follows the id on the topic learns of the clash.
    return reject([issue], `${sourceId}:${requestDigest(canonicalJson(request))}`, deps, { publishRejection: true }, { request }, "RequestIdConflict");
  }
  if (!started.started) {
    deps.log(logLine({ requestId: request.requestId, instanceId: started.instanceId, endpoint: request.endpoint.name, stage: "intake" }, `already has this instance (${logText(started.existingStatus)}); duplicate ignored`));
    return { outcome: "duplicate", instanceId: started.instanceId, requestId: request.requestId };
  }
  deps.log(logLine({ requestId: request.requestId, instanceId: started.instanceId, endpoint: request.endpoint.name, stage: "intake" }, "started"));
  return { outcome: "started", instanceId: started.instanceId, requestId: request.requestId };
}

async function reject(
  issues: FieldIssue[],
  sourceId: string,
  deps: IntakeDeps,
  options: { publishRejection: boolean },
  known: { requestId?: string | null; request?: DeployRequest },
  code: RejectionCode = "InvalidRequest",
): Promise<IntakeResult> {
  const lines = formatIssues(issues);
  // A rejected request starts no instance: instance=- on its line.
  deps.log(logLine({ requestId: known.request?.requestId ?? known.requestId, endpoint: known.request?.endpoint.name, stage: "intake" }, `rejected ${logText(sourceId)} (${code}): ${lines.map((line) => logText(line)).join("; ")}`));
  if (options.publishRejection) {
    // A request that parsed is named by its content digest too: the sender of a conflicting body tells
    // this answer from the notifications of the run that holds the id.
    const digest = known.request ? { requestDigest: requestDigest(canonicalJson(known.request)) } : {};
    await deps.publishRejected(rejectionNotification(issues, deps.clock.now(), { ...known, ...digest }, code), notificationMessageId(`rejected:${sourceId}`, "Rejected"));
  }
  return { outcome: "rejected", code, issues, lines };
}
