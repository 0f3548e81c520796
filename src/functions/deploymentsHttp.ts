import { type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { logLine } from "../domain/logLine";
import type * as df from "durable-functions";
import { MAX_MESSAGE_BYTES } from "../contracts/parse";
import { INSTANCE_ID_PATTERN } from "../domain/ids";
import type { ApprovalDecision } from "../contracts/orchestration";
import { logText } from "../domain/logText";
import { answerApproval, checkApprover } from "../intake/approval";
import { requestCancel } from "../intake/cancel";
import { recoverEndpointLock } from "../intake/lockRecovery";
import { admitRequest, POLICY_REJECTIONS } from "../intake/intake";
import { getStatusOrUndefined } from "../intake/instanceStatus";
import { encodeCursor, findByRequestId, listDeployments, nextPageUri, parseDeploymentQuery, summarize } from "../intake/deploymentQueries";
import { inIntakeSpan } from "../tracing/intakeSpan";
import { parseTraceparent } from "../tracing/traceparent";
import { approvalSettings, intakeDeps, planWithApp } from "./appServices";
import { callerFromHeaders } from "./callerIdentity";

/**
 * POST /api/deployments: a DeployRequest body → 202 with the status and cancel URLs; an invalid body
 * → 400 naming every bad field (no notification: the caller is right there). A repeated request id
 * answers 202 for the instance it already started.
 */
export async function startDeploymentHttp(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) return problem(413, [`(root): body is larger than ${MAX_MESSAGE_BYTES} bytes`]);
  const dryRun = request.query.get("dryRun");
  if (dryRun !== null) {
    if (dryRun !== "true" && dryRun !== "false") return problem(400, ['dryRun: expected "true" or "false"']);
    if (dryRun === "true") {
      // A plan of what the request would do, read from Azure; nothing is started (no instance, no notification).
      const planned = await planWithApp(text, client);
      if (planned.outcome === "rejected") return problem(POLICY_REJECTIONS.has(planned.code) ? 403 : 400, planned.lines);
      return { status: 200, jsonBody: { dryRun: true, plan: planned.plan } };
    }
  }
  const carried = parseTraceparent(request.headers.get("traceparent"));
  const result = await inIntakeSpan("http", carried, context, () => admitRequest(text, `http:${context.invocationId}`, "http", intakeDeps(client, context), { publishRejection: false }));
  if (result.outcome === "rejected") return problem(result.code === "RequestIdConflict" ? 409 : POLICY_REJECTIONS.has(result.code) ? 403 : 400, result.lines);
  if (result.outcome === "ignored") return problem(400, [result.reason]);
  return accepted(request, result.instanceId);
}

/**
 * 202 with the product's own URLs only. Durable's `createCheckStatusResponse` would hand the caller
 * the extension's management URLs (terminate, purge, rewind, raise any event), each carrying the
 * extension's system key: whoever may start a deployment must not get those (docs/security.md).
 */
function accepted(request: HttpRequest, instanceId: string): HttpResponseInit {
  const statusUrl = new URL(`/api/deployments/${encodeURIComponent(instanceId)}`, new URL(request.url).origin).toString();
  return {
    status: 202,
    headers: { Location: statusUrl, "Retry-After": "10" },
    jsonBody: { id: instanceId, statusQueryGetUri: statusUrl, cancelPostUri: `${statusUrl}/cancel` },
  };
}

/** GET /api/deployments/{instanceId}: runtime status and custom status (stages, timings; never a key). */
export async function getDeploymentHttp(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
  const instanceId = request.params["instanceId"] ?? "";
  if (!INSTANCE_ID_PATTERN.test(instanceId)) return badInstanceId();
  const status = await getStatusOrUndefined(client, instanceId);
  if (!status?.instanceId) return problem(404, [`no deployment ${instanceId}`]);
  return { status: 200, jsonBody: deploymentBody(status) };
}

/**
 * What the status routes answer: runtime and custom status, the output (the notification), which
 * request it is, its endpoint, deployment and workspace (name), and what became of it (`outcome`:
 * Running, Succeeded, Failed, Cancelled, Terminated).
 * Never the input (it holds the request's environment variables and smoke-test input).
 */
function deploymentBody(status: df.DurableOrchestrationStatus): Record<string, unknown> {
  const summary = summarize(status);
  return {
    instanceId: status.instanceId,
    requestId: summary?.requestId ?? null,
    outcome: summary?.outcome ?? null,
    endpoint: summary?.endpoint ?? null,
    deployment: summary?.deployment ?? null,
    workspace: summary?.workspace ?? null,
    runtimeStatus: status.runtimeStatus,
    customStatus: status.customStatus ?? null,
    output: status.output ?? null,
    createdTime: status.createdTime,
    lastUpdatedTime: status.lastUpdatedTime,
  };
}

/**
 * GET /api/deployments?requestId=…: the deployment a request id started, answered as
 * GET /api/deployments/{instanceId} answers (plus its `statusQueryGetUri`); 404 when that request
 * started none. GET /api/deployments[?outcome=…][&endpoint=…][&workspace=…][&top=…][&continuationToken=…]:
 * the deployments newest first, `top` (default 20, at most 100) a page, each with its status URL, and
 * `continuationToken`/`nextPageUri` while more remain. Only this route's own URLs, never `code`.
 */
export async function listDeploymentsHttp(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
  const parsed = parseDeploymentQuery(request.query);
  if (!parsed.ok) return problem(400, parsed.errors);
  const collection = new URL("/api/deployments", new URL(request.url).origin).toString();
  const statusUrl = (instanceId: string) => `${collection}/${encodeURIComponent(instanceId)}`;
  const query = parsed.value;
  if (query.kind === "byRequestId") {
    const status = await findByRequestId(client, query.requestId);
    if (!status) return problem(404, [`no deployment for request id ${JSON.stringify(query.requestId)}`]);
    return { status: 200, jsonBody: { ...deploymentBody(status), statusQueryGetUri: statusUrl(status.instanceId) } };
  }
  const page = await listDeployments(client, query);
  return {
    status: 200,
    jsonBody: {
      deployments: page.items.map((d) => ({ ...d, statusQueryGetUri: statusUrl(d.instanceId) })),
      continuationToken: page.next ? encodeCursor(page.next) : null,
      nextPageUri: page.next ? nextPageUri(collection, query, page.next) : null,
    },
  };
}

/**
 * POST /api/deployments/{instanceId}/cancel, optional body `{"reason": "..."}`: 202 when the cancel
 * was handed to the running orchestration (the outcome arrives as a Cancelled notification), 404 for
 * an unknown id, 409 when it has finished or is already moving traffic.
 */
export async function cancelDeploymentHttp(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const instanceId = request.params["instanceId"] ?? "";
  if (!INSTANCE_ID_PATTERN.test(instanceId)) return badInstanceId();
  const body = await readReasonBody(request);
  if (!body.ok) return problem(400, body.errors);
  const result = await requestCancel(client, instanceId, { reason: body.reason ?? "cancelled by an operator" });
  context.log(logLine({ instanceId }, `cancel: ${result.outcome}`));
  switch (result.outcome) {
    case "requested":
      return { status: 202, jsonBody: { instanceId, cancel: "requested", stage: result.stage } };
    case "notFound":
      return problem(404, [`no deployment ${instanceId}`]);
    case "notRunning":
      return problem(409, [`deployment ${instanceId} is ${result.runtimeStatus}: nothing to cancel`]);
    case "tooLate":
      return problem(409, [`deployment ${instanceId} is at stage ${result.stage}: traffic is moving, it can no longer be cancelled`]);
  }
}

/** Fields an approval body may not carry, and why: the answer's who, what and when come from the host, the route and the server's clock. */
const APPROVAL_BODY_REFUSED: Readonly<Record<string, string>> = {
  by: "not accepted: who answers is the caller the host authenticated (App Service authentication), or \"function key\", never a field of the body",
  decision: "not accepted: the route says it (/approve or /reject)",
  at: "not accepted: the server's clock says when",
};

/**
 * POST /api/deployments/{instanceId}/approve, optional body `{"reason": "..."}`: hands an approval to
 * a deployment waiting for one (custom status stage `approval`). 202 `{instanceId, decision, by}`;
 * 403 when FLOWDEPLOY_APPROVERS is set and the caller is not a signed-in principal it lists; 404 for
 * an unknown id; 409 when the deployment is not waiting for approval.
 */
export function approveDeploymentHttp(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  return answerApprovalHttp("approved", request, client, context);
}

/** POST /api/deployments/{instanceId}/reject, body `{"reason": "..."}` (required: it becomes the Failed notification's message); otherwise as approve. */
export function rejectDeploymentHttp(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  return answerApprovalHttp("rejected", request, client, context);
}

/**
 * The approve and reject routes. Who answers is read from the host (App Service authentication's
 * x-ms-client-principal-* headers, believed only when it is enabled: src/functions/callerIdentity.ts),
 * never from the body; who may answer is the app's setting FLOWDEPLOY_APPROVERS (DESIGN.md §6:
 * trust Azure and settings, not the message). The caller is checked before the instance, so a
 * refused caller learns nothing about it.
 */
async function answerApprovalHttp(decision: ApprovalDecision["decision"], request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const verb = decision === "approved" ? "approve" : "reject";
  const instanceId = request.params["instanceId"] ?? "";
  if (!INSTANCE_ID_PATTERN.test(instanceId)) return badInstanceId();
  const body = await readReasonBody(request, APPROVAL_BODY_REFUSED);
  if (!body.ok) return problem(400, body.errors);
  if (decision === "rejected" && body.reason === undefined) return problem(400, ['reason: required to reject (it is the message of the Failed notification), e.g. {"reason": "the canary metrics are not in yet"}']);
  const settings = approvalSettings();
  const caller = callerFromHeaders(request.headers, settings.trustClientPrincipal);
  if (caller.kind === "functionKey" && caller.ignoredHeaders) context.warn(logLine({ instanceId, stage: "approval" }, `${verb}: x-ms-client-principal-* headers ignored: App Service authentication is not enabled on this app, so nothing vouches for them`));
  const check = checkApprover(caller, settings.approvers);
  if (!check.ok) {
    context.log(logLine({ instanceId, stage: "approval" }, `${verb}: refused: ${logText(check.reason)}`));
    return problem(403, [check.reason]);
  }
  const result = await answerApproval(client, instanceId, { decision, reason: body.reason ?? null, by: check.by, at: settings.clock.now().toISOString() });
  context.log(logLine({ instanceId, stage: "approval" }, `${verb} by ${logText(check.by)}: ${result.outcome}`));
  switch (result.outcome) {
    case "raised":
      return { status: 202, jsonBody: { instanceId, decision, by: check.by } };
    case "notFound":
      return problem(404, [`no deployment ${instanceId}`]);
    case "notRunning":
      return problem(409, [`deployment ${instanceId} is ${result.runtimeStatus}: it is not waiting for approval`]);
    case "notWaiting":
      return problem(409, [`deployment ${instanceId} is at stage ${result.stage ?? "(none)"}: it is not waiting for approval`]);
  }
}

/**
 * POST /api/deployments/{instanceId}/release-lock: operator recovery for an endpoint lock held by a
 * deployment that no longer runs (terminated, or failed by a replay error). 202 when the release is
 * under way; 409 while the holder still runs (cancel it instead) or when it completed normally (its
 * lock is already free); 404 for an unknown id.
 */
export async function releaseLockHttp(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const instanceId = request.params["instanceId"] ?? "";
  if (!INSTANCE_ID_PATTERN.test(instanceId)) return badInstanceId();
  const result = await recoverEndpointLock(client, instanceId);
  context.log(logLine({ instanceId }, `release-lock: ${result.outcome}`));
  switch (result.outcome) {
    case "releasing":
      return { status: 202, jsonBody: { instanceId, lock: "releasing", endpoint: result.endpoint } };
    case "alreadyReleased":
      return { status: 200, jsonBody: { instanceId, lock: "released", runtimeStatus: result.runtimeStatus } };
    case "notFound":
      return problem(404, [`no deployment ${instanceId}`]);
    case "holderRunning":
      return problem(409, [`deployment ${instanceId} is ${result.runtimeStatus}: it still holds its lock and will release it; cancel it instead`]);
    case "heldByAnother":
      return problem(409, [`the endpoint's lock is held by running deployment ${result.holder}, not by ${instanceId}; if requests stay queued after it finishes, run release-lock again`]);
    case "notNeeded":
      return problem(409, [`deployment ${instanceId} is ${result.runtimeStatus}: it released its lock when it finished`]);
    case "notADeployment":
      return problem(409, [`instance ${instanceId} is a ${result.name}, not a deployment`]);
  }
}

const MAX_REASON_CHARS = 500;
const MAX_REASON_BODY_BYTES = 4096;

type ReasonBody = { ok: true; reason: string | undefined } | { ok: false; errors: string[] };

/**
 * The body of the operator routes (cancel, approve, reject): nothing, or `{"reason": "..."}` with a
 * reason of at most 500 characters. Any other field is an error; `refused` names fields that get
 * their own explanation (a body cannot say who answers an approval).
 */
async function readReasonBody(request: HttpRequest, refused: Readonly<Record<string, string>> = {}): Promise<ReasonBody> {
  const raw = await request.text();
  if (Buffer.byteLength(raw) > MAX_REASON_BODY_BYTES) return { ok: false, errors: [`(root): body is larger than ${MAX_REASON_BODY_BYTES} bytes`] };
  const text = raw.replace(/^\uFEFF/, "").trim();
  if (text === "") return { ok: true, reason: undefined };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, errors: ["(root): expected a JSON object such as {\"reason\": \"...\"}"] };
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { ok: false, errors: ["(root): expected a JSON object"] };
  const reason = (body as { reason?: unknown }).reason;
  const fields = Object.keys(body).filter((k) => k !== "reason");
  const explained = fields.filter((k) => Object.hasOwn(refused, k)).map((k) => `${k}: ${refused[k]}`);
  const unknown = fields.filter((k) => !Object.hasOwn(refused, k));
  if (explained.length > 0 || unknown.length > 0) {
    return { ok: false, errors: [...explained, ...(unknown.length > 0 ? [`${unknown.join(", ")}: unknown field${unknown.length > 1 ? "s" : ""} (only "reason" is accepted)`] : [])] };
  }
  if (reason === undefined) return { ok: true, reason: undefined };
  if (typeof reason !== "string" || reason.trim() === "" || reason.length > MAX_REASON_CHARS) return { ok: false, errors: [`reason: expected a non-empty string of at most ${MAX_REASON_CHARS} characters`] };
  return { ok: true, reason: reason.trim() };
}

function badInstanceId(): HttpResponseInit {
  return problem(400, ["instanceId: expected an instance id such as deploy-0123abcd..."]);
}

function problem(status: number, errors: string[]): HttpResponseInit {
  return { status, jsonBody: { errors } };
}

