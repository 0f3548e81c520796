import type { FieldIssue } from "../contracts/issues";
import { formatIssues } from "../contracts/issues";
import type { DeployRequest } from "../contracts/deployRequest";
import type { DeploymentNotification } from "../contracts/notification";

/** Longest rejection message: every bad field named, but a hostile input cannot make it huge. */
const MAX_MESSAGE_CHARS = 4000;

/**
 * The Rejected notification for input that never started a deployment. It names every bad field;
 * what could be read (request id, workspace, endpoint) is kept so subscribers can route it.
 */
export function rejectionNotification(
  issues: FieldIssue[],
  now: Date,
  known: { requestId?: string | null; request?: Partial<DeployRequest>; requestDigest?: string } = {},
  code = "InvalidRequest",
): DeploymentNotification {
  const at = now.toISOString();
  const message = formatIssues(issues).join("; ");
  const r = known.request;
  return {
    schemaVersion: "1",
    outcome: "Rejected",
    requestId: known.requestId ?? r?.requestId ?? null,
    ...(known.requestDigest ? { requestDigest: known.requestDigest } : {}),
    instanceId: null,
    workspace: r?.workspace ?? null,
    endpoint: r?.endpoint ? { name: r.endpoint.name, scoringUri: null } : null,
    deployment: r?.deployment?.name ? { name: r.deployment.name } : null,
    model: null,
    traffic: {},
    stages: [],
    error: { stage: "request", code, message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message },
    startedAt: at,
    endedAt: at,
  };
}

/** A request id read from a body that failed validation, only if it looks like one (for correlation). */
export function requestIdOf(raw: unknown): string | null {
  const id = typeof raw === "object" && raw !== null ? (raw as { requestId?: unknown }).requestId : undefined;
  return typeof id === "string" && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(id) ? id : null;
}
