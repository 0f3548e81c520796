import { randomUUID } from "node:crypto";
import { agentDenial, agentFolderOf, agentSampleInput, isAgentDeployment, runAgent, SCORING_SCRIPT_FAILED_MESSAGE } from "./agents";
import { CONNECTION_SECRETS_READER_ROLE_ID, findBuiltinRole } from "./builtinRoles";
import { isValidToken } from "./credentials";
import { takeRequestFault } from "./faults";
import { flowFolderOf, type EntraConnection, type FlowPackageState } from "./flowPackages";
import type { SimResponse } from "./httpResponse";
import { resourceKey, workspaceId } from "./ids";
import { endpointPrincipalIds } from "./identities";
import { resolveModelReference } from "./models";
import { flowSpecFor, runFlow } from "./promptFlow";
import { hasRoleOver } from "./rbac";
import { requireParam, type RequestContext } from "./requestContext";
import { deploymentsOf, findEndpointByName, provisioningState } from "./resourceLookup";
import type { DeploymentRecord, EndpointRecord, ModelVersionRecord, SimState } from "./stateStore";
import { latencyFor, mirrorAt, mirrorCounterKey, recordScoredCall, takeBehaviourFailure } from "./scoringTelemetry";
import { routeByTraffic, takeMirror } from "./traffic";
import type { Fault } from "./scenario";

/**
 * The scoring front end of every endpoint (README wire facts (d)): POST `/score` with
 * `Authorization: Bearer <key or token>`, routed by `azureml-model-deployment` or by the traffic split,
 * answered by a simulated prompt flow. Order of checks: endpoint → auth (401) → route (404) →
 * injected fault → deployment ready (503) → connection permission effective (424) → scenario
 * scoringBehaviour failure (424) → flow (200 / 424). A deployment with a code configuration is an
 * agent (agents.ts): instead of the two connection checks, its identity's roles on its Key Vault and
 * AI Services account (424), then scoring behaviour, then its scoring script. Every call routed to a deployment is recorded
 * for the metrics API (`metrics.ts`). A call routed by the split may also be copied to the mirrored
 * deployment (`serveMirroredCopy`); the caller gets the live deployment's answer only.
 */

/** The message prompt flow raises when it cannot list workspace connection secrets (promptflow-core). */
export const ACCESS_DENIED_MESSAGE =
  "Access denied to list workspace secret due to invalid authentication. Please ensure you have gain RBAC role 'Azure Machine Learning Workspace Connection Secrets Reader' for current workspace, and wait for a few minutes to make sure the new role takes effect.";

const MODEL_DEPLOYMENT_HEADER = "azureml-model-deployment";

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { "x-request-id": randomUUID(), ...headers }, body: { error: { code, message } } };
}

/**
 * 424 "Model Error": the flow container answered non-200; the front end reports its status and reason
 * in `ms-azureml-model-error-statuscode` / `ms-azureml-model-error-reason` (troubleshoot-online-endpoints.md).
 */
function modelError(containerStatus: number, code: string, message: string, deployment: string): SimResponse {
  return modelErrorWithBody(containerStatus, { error: { code, message } }, deployment);
}

/** The 424 with the container's own answer as the body (the front end passes it on). */
function modelErrorWithBody(containerStatus: number, body: Record<string, unknown>, deployment: string): SimResponse {
  return {
    status: 424,
    headers: {
      "x-request-id": randomUUID(),
      "ms-azureml-model-error-statuscode": String(containerStatus),
      "ms-azureml-model-error-reason": "model_error",
      [MODEL_DEPLOYMENT_HEADER]: deployment,
    },
    body,
  };
}

/** run() raised: the inference server's 500 (agents.ts), reported by the front end as a 424. */
function scoringScriptFailed(deployment: string): SimResponse {
  return modelErrorWithBody(500, { message: SCORING_SCRIPT_FAILED_MESSAGE }, deployment);
}

function bearer(ctx: RequestContext): string | undefined {
  const header = ctx.headers["authorization"];
  const m = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return m?.[1];
}

/** Key endpoints take either key; AMLToken endpoints an unexpired token from getToken; AADToken any bearer. */
function authorized(state: SimState, endpoint: EndpointRecord, secret: string, now: Date): boolean {
  switch (endpoint.authMode) {
    case "Key":
      return secret === endpoint.keys.primaryKey || secret === endpoint.keys.secondaryKey;
    case "AMLToken":
      return isValidToken(state, resourceKey(endpoint.id), secret, now);
    default:
      return secret.length > 0;
  }
}

/**
 * Propagation: the flow reads its connections only once the endpoint identity's Connection Secrets
 * Reader assignment on the workspace is older than the propagation delay (docs: "might take more than
 * 15 minutes"). Revoking an assignment takes effect at once (not modelled as delayed).
 */
export function connectionAccessEffective(state: SimState, endpoint: EndpointRecord, now: Date): boolean {
  const effectiveBy = new Date(now.getTime() - state.latency.propagationSeconds * 1000);
  return hasRoleOver(state, endpointPrincipalIds(endpoint.identity), CONNECTION_SECRETS_READER_ROLE_ID, workspaceId(endpoint.workspace), effectiveBy);
}

/**
 * The first Entra ID connection the flow calls whose target the endpoint identity cannot use yet: it
 * needs the connection's role there, older than the propagation delay like every assignment.
 */
function deniedConnection(state: SimState, endpoint: EndpointRecord, model: ModelVersionRecord | undefined, now: Date): EntraConnection | undefined {
  const packages = state as FlowPackageState;
  const names = flowFolderOf(packages, model, endpoint.workspace)?.connections ?? [];
  const effectiveBy = new Date(now.getTime() - state.latency.propagationSeconds * 1000);
  const principals = endpointPrincipalIds(endpoint.identity);
  return names
    .map((n) => packages.entraConnections?.find((c) => c.name === n))
    .find((c): c is EntraConnection => c !== undefined && !hasRoleOver(state, principals, c.roleGuid, c.target, effectiveBy));
}

function scoreFaultResponse(fault: Fault, deployment: string): SimResponse {
  const status = fault.status ?? 500;
  if (status === 424) {
    return modelError(500, fault.code ?? "SystemError", fault.message ?? "The flow failed to execute. (simulated model error)", deployment);
  }
  const headers: Record<string, string> = { [MODEL_DEPLOYMENT_HEADER]: deployment };
  if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
  const code = fault.code ?? (status === 401 ? "Unauthorized" : status === 429 ? "TooManyRequests" : status >= 500 ? "InternalServerError" : "BadRequest");
  return error(status, code, fault.message ?? `Simulated scoring failure (HTTP ${status}).`, headers);
}

interface Routed {
  endpoint: EndpointRecord;
  deployment: DeploymentRecord;
  /** Routed by the traffic split (no `azureml-model-deployment` header): the only calls Azure mirrors. */
  bySplit: boolean;
}

/** Endpoint, auth and routing checks shared by /score and /swagger.json. */
function admit(ctx: RequestContext): Routed | SimResponse {
  const { state, now } = ctx;
  const name = requireParam(ctx, "endpointName");
  const endpoint = findEndpointByName(state, name);
  if (!endpoint || !endpoint.created || provisioningState(state, endpoint.operation, now) === "Deleting") {
    return error(404, "EndpointNotFound", `Online endpoint '${name}' does not exist or is not provisioned.`);
  }
  const secret = bearer(ctx);
  if (!secret || !authorized(state, endpoint, secret, now)) {
    return error(401, "Unauthorized", `The ${endpoint.authMode === "Key" ? "key" : "token"} in the Authorization header is missing, invalid or expired.`);
  }
  const deployments = deploymentsOf(state, endpoint);
  const header = ctx.headers[MODEL_DEPLOYMENT_HEADER];
  const target = typeof header === "string" && header.length > 0 ? header : undefined;
  let deployment: DeploymentRecord | undefined;
  if (target !== undefined) {
    deployment = deployments.find((d) => d.name.toLowerCase() === target.toLowerCase());
    if (!deployment) return error(404, "DeploymentNotFound", `Deployment '${target}' named in the azureml-model-deployment header does not exist under endpoint '${endpoint.name}'.`);
  } else {
    const routed = routeByTraffic(state, resourceKey(endpoint.id), endpoint.effectiveTraffic);
    deployment = routed === undefined ? undefined : deployments.find((d) => d.name === routed);
    if (!deployment) {
      return error(
        404,
        "NoValidDeployments",
        "No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.",
      );
    }
  }
  return { endpoint, deployment, bySplit: target === undefined };
}

export function score(ctx: RequestContext): SimResponse {
  const admitted = admit(ctx);
  if (!("deployment" in admitted)) return admitted;
  const response = serveRouted(ctx.state, admitted.endpoint, admitted.deployment, ctx.now, ctx.body, (applied) => (ctx.appliedFault = applied));
  // The safe-rollout how-to: a call that names a deployment (the header) is not mirrored; the
  // endpoint mirrors only the traffic sent to it without one.
  if (admitted.bySplit) serveMirroredCopy(ctx.state, admitted.endpoint, resourceKey(admitted.endpoint.id), ctx.now, ctx.body);
  return response;
}

/**
 * Mirrored ("shadow") traffic, as the safe-rollout how-to describes it (learn.microsoft.com
 * azure/machine-learning/how-to-safely-rollout-online-endpoints, "Test the deployment with mirrored
 * traffic"): the endpoint copies the `mirrorTraffic` percentage of the live traffic it routes and submits
 * the copy to the mirrored deployment, so that deployment's metrics and logs show it, while clients
 * still get the live deployment's answer. Called after a call routed by the split (`routerKey`: whose
 * round-robin it is — real callers' or synthetic load's) was served: the mirror split in force at `at`
 * decides, exactly (20% → 1 call in 5), whether the same body is also served by the mirrored deployment.
 * That answer is recorded for the metrics and otherwise discarded.
 */
export function serveMirroredCopy(state: SimState, endpoint: EndpointRecord, routerKey: string, at: Date, body: unknown): void {
  const mirror = mirrorAt(state, resourceKey(endpoint.id), at, endpoint.mirrorTraffic ?? {});
  const target = takeMirror(state, mirrorCounterKey(routerKey), mirror);
  if (target === undefined) return;
  const deployment = deploymentsOf(state, endpoint).find((d) => d.name.toLowerCase() === target.toLowerCase());
  // A mirrored deployment deleted since: there is nothing to copy to.
  if (!deployment) return;
  serveRouted(state, endpoint, deployment, at, body, undefined, { mirrored: true });
}

/**
 * A call routed to `deployment` (by the header or the split), from the injected fault on: answered,
 * and recorded for the Azure Monitor metrics (time, deployment, status, model status, latency).
 * Synthetic load (`syntheticLoad.ts`) and mirrored copies come through here too.
 */
export function serveRouted(
  state: SimState,
  endpoint: EndpointRecord,
  deployment: DeploymentRecord,
  now: Date,
  body: unknown,
  onFault?: (applied: string) => void,
  options: { mirrored?: boolean } = {},
): SimResponse {
  const response = answerRouted(state, endpoint, deployment, now, body, onFault, options.mirrored === true);
  if (!response.reset) {
    const modelStatusHeader = response.headers?.["ms-azureml-model-error-statuscode"];
    const modelStatus = response.status === 200 ? 200 : modelStatusHeader !== undefined ? Number(modelStatusHeader) : undefined;
    recordScoredCall(state, {
      endpointKey: resourceKey(endpoint.id),
      deployment: deployment.name,
      at: now,
      status: response.status,
      ...(modelStatus !== undefined ? { modelStatus } : {}),
      latencyMs: latencyFor(state, endpoint, deployment.name, now),
    });
  }
  return response;
}

function modelOf(state: SimState, endpoint: EndpointRecord, deployment: DeploymentRecord): ModelVersionRecord | undefined {
  const modelRef = typeof deployment.properties["model"] === "string" ? deployment.properties["model"] : undefined;
  const model = modelRef ? resolveModelReference(state, endpoint.workspace, modelRef) : undefined;
  return typeof model === "object" ? model : undefined;
}

/** Inputs the deployment's flow accepts (what synthetic callers send). */
export function sampleInputFor(state: SimState, endpoint: EndpointRecord, deployment: DeploymentRecord): Record<string, unknown> {
  if (isAgentDeployment(deployment)) return agentSampleInput(agentFolderOf(state, deployment));
  const flow = flowSpecFor(deployment, modelOf(state, endpoint, deployment));
  return flow.kind === "chat" ? { [flow.chatInput]: "What can you do?", chat_history: [] } : { url: "https://play.google.com/store/apps/details?id=com.example.app" };
}

function answerRouted(state: SimState, endpoint: EndpointRecord, deployment: DeploymentRecord, now: Date, body: unknown, onFault: ((applied: string) => void) | undefined, mirrored: boolean): SimResponse {
  // A mirrored copy takes only the faults that name its deployment: one for any deployment is aimed at
  // the callers' calls, and a copy (which no client sees) must not use up its `times`. The entries are
  // shared, so the count the copy uses is the fault's own.
  const faultState = mirrored ? { ...state, faults: state.faults.filter((f) => f.fault.deployment !== undefined) } : state;
  const fault = takeRequestFault(faultState, { operation: "score", endpoint: endpoint.name, deployment: deployment.name }, now);
  if (fault) {
    onFault?.(fault.reset ? "reset" : "status");
    if (fault.reset) return { status: 0, reset: true };
    return scoreFaultResponse(fault, deployment.name);
  }
  if (!deployment.serving) {
    const ps = provisioningState(state, deployment.operation, now);
    return error(503, "DeploymentNotReady", `Deployment '${deployment.name}' is not ready to serve (provisioning state ${ps}).`, { [MODEL_DEPLOYMENT_HEADER]: deployment.name });
  }
  if (isAgentDeployment(deployment)) return answerAgent(state, endpoint, deployment, now, body);
  if (!connectionAccessEffective(state, endpoint, now)) {
    // A UserError: the prompt flow serving app answers it with 400 (promptflow exception_utils:
    // USER_ERROR → ResponseCode.CLIENT_ERROR "400"), which the front end reports in the 424.
    return modelError(400, "UserError", ACCESS_DENIED_MESSAGE, deployment.name);
  }
  const model = modelOf(state, endpoint, deployment);
  const denied = deniedConnection(state, endpoint, model, now);
  if (denied) {
    // The tool's 401/403 is a UserError in the flow (promptflow-tools handle_openai_error →
    // WrappedOpenAIError), so the serving app answers 400 and the front end reports 424.
    return modelError(
      400,
      "UserError",
      `Connection '${denied.name}': the endpoint identity is not authorized on ${denied.target} (Principal does not have access to API/Operation). Grant it the role the connection needs (${findBuiltinRole(denied.roleGuid)?.roleName ?? denied.roleGuid}) and wait for the assignment to take effect.`,
      deployment.name,
    );
  }
  if (takeBehaviourFailure(state, resourceKey(endpoint.id), endpoint.name, deployment.name)) {
    // Scenario scoringBehaviour.errorRatePercent: the flow fails as a system error does (the serving
    // app answers 500), which the front end reports as a 424 model error.
    return modelError(500, "SystemError", "The flow failed to execute. (simulated model error: scenario scoringBehaviour errorRatePercent)", deployment.name);
  }
  const flow = flowSpecFor(deployment, model);
  const result = runFlow(flow, body);
  if (!result.ok) return modelError(400, "UserError", result.message, deployment.name);
  return { status: 200, headers: { "x-request-id": randomUUID(), [MODEL_DEPLOYMENT_HEADER]: deployment.name }, body: result.output };
}

/**
 * An agent deployment's answer after readiness: its identity's roles (the service's refusal, passed on
 * by the scoring script), the scenario's scoringBehaviour failures (run() raises: 500), then run().
 */
function answerAgent(state: SimState, endpoint: EndpointRecord, deployment: DeploymentRecord, now: Date, body: unknown): SimResponse {
  const folder = agentFolderOf(state, deployment);
  const denied = agentDenial(state, endpoint, deployment, folder, now);
  if (denied) return modelErrorWithBody(denied.containerStatus, denied.body, deployment.name);
  if (takeBehaviourFailure(state, resourceKey(endpoint.id), endpoint.name, deployment.name)) return scoringScriptFailed(deployment.name);
  const output = runAgent(folder, body);
  if (output === undefined) return scoringScriptFailed(deployment.name);
  return { status: 200, headers: { "x-request-id": randomUUID(), [MODEL_DEPLOYMENT_HEADER]: deployment.name }, body: output };
}

/** `swaggerUri`: a small OpenAPI document of the flow's /score route. */
export function swagger(ctx: RequestContext): SimResponse {
  const admitted = admit(ctx);
  if (!("deployment" in admitted)) return admitted;
  return {
    status: 200,
    headers: { [MODEL_DEPLOYMENT_HEADER]: admitted.deployment.name },
    body: {
      openapi: "3.0.0",
      info: { title: `${admitted.endpoint.name} (flowdeploy simulator)`, version: "1.0" },
      paths: { "/score": { post: { summary: "Run the prompt flow with its inputs as a JSON object", responses: { "200": { description: "The flow outputs" } } } } },
    },
  };
}
