import { createHash } from "node:crypto";
import { getOnlineEndpoint } from "../azure/mlOperations";
import type { OnlineDeployment } from "@azure/arm-machinelearning";
import type { DeleteDeploymentResult, DeploymentRef, DeploymentState, StartDeploymentInput, StartedDeployment } from "../contracts/activities";
import { environmentNameAndVersion } from "../contracts/deployRequest";
import { retiringImageWarning } from "../domain/promptFlowRuntime";
import { requestSettingsFor } from "../domain/requestSettings";
import { NonRetryableError } from "../errors";
import { scrub } from "./smokeTest";
import { captureInitialResponse, getOrUndefined, isNotFound, normalizeState, readOperationError, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { REQUEST_TAG } from "./model";
import { assertManagedOrAdopted, isManaged, MANAGED_TAGS } from "./managed";

/** The prompt flow serving container listens on 8080 for `/score` and `/health` (prompt flow deployment how-to). */
const SERVING_PORT = 8080;
/** Lines of the inference server's log kept when a deployment fails. */
const LOG_TAIL_LINES = 50;
const LOG_TAIL_MAX_CHARS = 4000;

/**
 * `PRT_CONFIG_OVERRIDE` tells the prompt flow runtime which deployment it is, so it reads the
 * workspace's connections (prompt flow "deploy to code" how-to).
 */
export function prtConfigOverride(input: StartDeploymentInput): string {
  const w = input.workspace;
  return [
    `deployment.subscription_id=${w.subscriptionId}`,
    `deployment.resource_group=${w.resourceGroup}`,
    `deployment.workspace_name=${w.name}`,
    `deployment.endpoint_name=${input.endpoint.name}`,
    `deployment.deployment_name=${input.deployment.name}`,
  ].join(",");
}

export function deploymentEnvironmentVariables(input: StartDeploymentInput): Record<string, string> {
  // An agent is served by the Azure ML inference server, not the prompt flow runtime: no prompt flow variables.
  if (input.agent) return { ...input.deployment.environmentVariables, ...(input.identityClientId ? { AZURE_CLIENT_ID: input.identityClientId } : {}) };
  return {
    ...input.deployment.environmentVariables,
    PROMPTFLOW_RUN_MODE: "serving",
    PRT_CONFIG_OVERRIDE: prtConfigOverride(input),
    // A user-assigned identity is found by client id inside the container (DefaultAzureCredential).
    ...(input.identityClientId ? { AZURE_CLIENT_ID: input.identityClientId } : {}),
  };
}

/**
 * Starts create-or-update of the managed online deployment at 0% traffic (a deployment gets traffic
 * only through the endpoint's traffic map). Idempotent: a deployment this request already created is
 * reported, not PUT again. Refuses to rewrite a deployment that serves live traffic.
 */
export async function startDeployment(deps: ActivityDeps, input: StartDeploymentInput): Promise<StartedDeployment> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const existing = await getOrUndefined(() => ml.onlineDeployments.get(rg, ws, input.endpoint.name, input.deployment.name));
  if (existing?.tags?.[REQUEST_TAG] === input.requestId && normalizeState(existing.properties.provisioningState) !== "Failed") {
    const environment = input.agent ? await agentEnvironment(deps, input, input.agent.environment) : input.deployment.environment ? await resolveFlowEnvironment(deps, input, input.deployment.environment) : { image: deps.settings.servingImage };
    return { provisioningState: normalizeState(existing.properties.provisioningState), operationUrl: null, retryAfterSeconds: null, ...warningsFor(deps, environment.image) };
  }
  if (existing) {
    assertManagedOrAdopted("deployment", input.deployment.name, existing.tags, deps.settings.adoptEndpoints);
    const endpoint = await getOnlineEndpoint(ml, rg, ws, input.endpoint.name);
    const live = endpoint.properties.traffic?.[input.deployment.name] ?? 0;
    if (live > 0) {
      throw new NonRetryableError(`deployment ${input.deployment.name} serves ${live}% of ${input.endpoint.name}'s traffic; deploy under a new name (blue/green)`, {
        code: "DeploymentIsLive",
      });
    }
  }

  const environment = input.agent
    ? await agentEnvironment(deps, input, input.agent.environment)
    : input.deployment.environment
      ? await resolveFlowEnvironment(deps, input, input.deployment.environment)
      : await ensureServingEnvironment(deps, input);
  const environmentId = environment.id;
  const served = input.agent
    ? { description: "Agent Framework workflow deployment managed by flowdeploy", codeConfiguration: { codeId: input.agent.codeId, scoringScript: input.agent.scoringScript } }
    : { description: "Prompt flow deployment managed by flowdeploy", model: input.modelId ?? undefined };
  const body: OnlineDeployment = {
    location: existing?.location ?? (await ml.workspaces.get(rg, ws)).location ?? "eastus",
    kind: "Managed",
    sku: { name: "Default", capacity: input.deployment.instanceCount },
    tags: { [REQUEST_TAG]: input.requestId, ...MANAGED_TAGS },
    properties: {
      endpointComputeType: "Managed",
      ...served,
      environmentId,
      instanceType: input.deployment.instanceType,
      scaleSettings: { scaleType: "Default" },
      environmentVariables: deploymentEnvironmentVariables(input),
      appInsightsEnabled: true,
      requestSettings: armRequestSettings(input.deployment, input.agent ? "agent" : "flow"),
      livenessProbe: { initialDelay: "PT10S", period: "PT10S", timeout: "PT2S", failureThreshold: 30, successThreshold: 1 },
      readinessProbe: { initialDelay: "PT10S", period: "PT10S", timeout: "PT2S", failureThreshold: 30, successThreshold: 1 },
    },
  };
  const capture = captureInitialResponse();
  await ml.onlineDeployments.beginCreateOrUpdate(rg, ws, input.endpoint.name, input.deployment.name, body, capture.options);
  return { ...capture.started(existing ? "Updating" : "Creating"), ...warningsFor(deps, environment.image) };
}

/** A retiring prompt flow image is worth a warning in the log and the notification (src/domain/promptFlowRuntime.ts). */
function warningsFor(deps: ActivityDeps, image: string | null | undefined): { warnings?: string[] } {
  const warning = retiringImageWarning(image);
  if (!warning) return {};
  deps.log?.warn(warning);
  return { warnings: [warning] };
}

/** The deployment's request settings on the wire: `requestTimeout` is an ISO 8601 duration (OnlineRequestSettings). */
export function armRequestSettings(deployment: StartDeploymentInput["deployment"], target: "flow" | "agent" = "flow"): { requestTimeout: string; maxConcurrentRequestsPerInstance: number } {
  const settings = requestSettingsFor(deployment, target);
  return { requestTimeout: `PT${settings.requestTimeoutSeconds}S`, maxConcurrentRequestsPerInstance: settings.maxConcurrentRequestsPerInstance };
}

/**
 * Registers (idempotently: environment versions are immutable, an identical PUT answers 200) the
 * environment of the prompt flow serving image with its inference routes.
 */
async function ensureServingEnvironment(deps: ActivityDeps, input: StartDeploymentInput): Promise<{ id: string; image: string }> {
  const { name } = deps.settings.servingEnvironment;
  const content = {
    image: deps.settings.servingImage,
    osType: "Linux" as const,
    inferenceConfig: {
      livenessRoute: { path: "/health", port: SERVING_PORT },
      readinessRoute: { path: "/health", port: SERVING_PORT },
      scoringRoute: { path: "/score", port: SERVING_PORT },
    },
  };
  // Environment versions are immutable (a changed re-PUT is refused with a UserError): the version is
  // a digest of the content, so a new image or route is a new version and the same content reuses it.
  const version = environmentVersion(content);
  const env = await deps.ml(input.workspace.subscriptionId).environmentVersions.createOrUpdate(...wsArgs(input.workspace), name, version, {
    properties: { description: "Prompt flow serving runtime (flowdeploy)", ...content },
  });
  if (!env.id) throw new NonRetryableError(`environment ${name}:${version} has no id`, { code: "EnvironmentInvalid" });
  return { id: env.id, image: content.image };
}

/**
 * The environment a request names for a flow with its own packages: it must exist in the target
 * workspace and route like the serving image (liveness, readiness and scoring routes: a prompt flow
 * environment answers /health and /score on 8080), or the deployment would never become healthy.
 */
async function resolveFlowEnvironment(deps: ActivityDeps, input: StartDeploymentInput, ref: string): Promise<{ id: string; image: string | null }> {
  const named = environmentNameAndVersion(ref);
  if (!named) throw new NonRetryableError(`deployment.environment ${ref} is not an environment version`, { code: "InvalidInput" });
  const { name, version } = named;
  const env = await getOrUndefined(() => deps.ml(input.workspace.subscriptionId).environmentVersions.get(...wsArgs(input.workspace), name, version));
  if (!env?.id) {
    throw new NonRetryableError(`environment ${name}:${version} does not exist in workspace ${input.workspace.name} (deployment.environment)`, { code: "EnvironmentNotFound", status: 404 });
  }
  const routes = env.properties.inferenceConfig;
  const missing = (["livenessRoute", "readinessRoute", "scoringRoute"] as const).filter((r) => !routes?.[r]?.path);
  if (missing.length > 0) {
    throw new NonRetryableError(`environment ${name}:${version} has no ${missing.join(", ")} in its inference config; a prompt flow environment serves /health and /score on ${SERVING_PORT} (docs/pipeline.md, "Flows with their own packages")`, {
      code: "EnvironmentInvalid",
    });
  }
  return { id: env.id, image: env.properties.image ?? null };
}

/** Name of the environment asset flowdeploy registers for an agent's {image, condaFile}; its version is a digest of the content. */
export function agentEnvironmentName(codeName: string): string {
  return `flowdeploy-agent-${codeName}`.slice(0, 255);
}

/**
 * An agent's environment: the environment version it names (which must exist in the workspace), or
 * its image and conda file registered as one (EnvironmentVersion.properties.image + condaFile; no
 * inference config: the Azure ML inference server in the image serves the scoring script on its own
 * routes, docs/agents.md). Environment versions are immutable, so the version is a digest of the content.
 */
async function agentEnvironment(deps: ActivityDeps, input: StartDeploymentInput, environment: NonNullable<StartDeploymentInput["agent"]>["environment"]): Promise<{ id: string; image: string | null }> {
  const ml = deps.ml(input.workspace.subscriptionId);
  if (typeof environment === "string") {
    const named = environmentNameAndVersion(environment);
    if (!named) throw new NonRetryableError(`agent.environment ${environment} is not an environment version`, { code: "InvalidInput" });
    const env = await getOrUndefined(() => ml.environmentVersions.get(...wsArgs(input.workspace), named.name, named.version));
    if (!env?.id) throw new NonRetryableError(`environment ${named.name}:${named.version} does not exist in workspace ${input.workspace.name} (agent.environment)`, { code: "EnvironmentNotFound", status: 404 });
    return { id: env.id, image: env.properties.image ?? null };
  }
  const name = agentEnvironmentName(codeNameOf(input.agent!.codeId));
  const content = { image: environment.image, condaFile: environment.condaFile, osType: "Linux" as const };
  const version = environmentVersion(content);
  const env = await ml.environmentVersions.createOrUpdate(...wsArgs(input.workspace), name, version, { properties: { description: "Agent Framework environment (flowdeploy)", ...content } });
  if (!env.id) throw new NonRetryableError(`environment ${name}:${version} has no id`, { code: "EnvironmentInvalid" });
  return { id: env.id, image: environment.image };
}

/** The code asset's name in a code version id (`.../codes/<name>/versions/<v>`). */
function codeNameOf(codeId: string): string {
  return /\/codes\/([^/]+)\/versions\//i.exec(codeId)?.[1] ?? "code";
}

/** `c` + 12 hex of SHA-256 over the environment's content (asset versions are strings; azure-ai-ml checks only the type). */
export function environmentVersion(content: unknown): string {
  return `c${createHash("sha256").update(JSON.stringify(content), "utf8").digest("hex").slice(0, 12)}`;
}

/** Reads the deployment's provisioning state; when it failed, the error and the tail of its logs. */
export async function getDeploymentState(deps: ActivityDeps, input: DeploymentRef): Promise<DeploymentState> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const deployment = await getOrUndefined(() => ml.onlineDeployments.get(rg, ws, input.endpointName, input.deploymentName));
  if (!deployment) return { provisioningState: "NotFound", error: null, logsTail: null };
  const provisioningState = normalizeState(deployment.properties.provisioningState);
  if (provisioningState !== "Failed") return { provisioningState, error: null, logsTail: null };
  const error = (await readOperationError(ml, input.operationUrl, deps.settings.armEndpoint)) ?? { code: "DeploymentFailed", message: `deployment ${input.deploymentName} failed to provision` };
  let logsTail: string | null = null;
  try {
    const logs = await ml.onlineDeployments.getLogs(rg, ws, input.endpointName, input.deploymentName, { containerType: "InferenceServer", tail: LOG_TAIL_LINES });
    logsTail = logs.content ? logs.content.slice(-LOG_TAIL_MAX_CHARS) : null;
  } catch {
    // Logs are a diagnosis aid; a deployment that never started has none.
  }
  return { provisioningState, error, logsTail, diagnosis: diagnosisFrom(logsTail) };
}

/** The longest part of a log line the diagnosis quotes. */
const DIAGNOSIS_MAX_CHARS = 200;

/**
 * The serving container's last Python error line (the prompt flow runtime raises PythonLoadError
 * "(ModuleNotFoundError) No module named 'x'" when a flow's package is missing; promptflow-core
 * tool_meta_generator), and for a missing module what to do about it. Secret-shaped text is masked.
 */
export function diagnosisFrom(logsTail: string | null): string | null {
  if (!logsTail) return null;
  // Python's own error lines (`ModuleNotFoundError: No module named 'x'`), after the log's timestamp.
  const errors = logsTail
    .split("\n")
    .map((l) => l.replace(/^\S*\d{4}-\d{2}-\d{2}T\S+\s+/, "").trim())
    .filter((l) => /^[\w.]*(Error|Exception): /.test(l));
  const last = errors.at(-1);
  if (!last) return null;
  const quoted = scrub(last, "").slice(0, DIAGNOSIS_MAX_CHARS);
  return /^ModuleNotFoundError|No module named/.test(last)
    ? `${quoted} — the flow needs packages the prompt flow runtime image lacks: build an environment FROM it that installs the flow's requirements.txt and name it in deployment.environment (docs/pipeline.md, "Flows with their own packages")`
    : quoted;
}

/** Starts deleting a deployment (rollback, or replacing old ones); returns at once. */
export async function deleteDeployment(deps: ActivityDeps, input: DeploymentRef): Promise<DeleteDeploymentResult> {
  const ml = deps.ml(input.workspace.subscriptionId);
  // Only what flowdeploy created is ever deleted (a replace rollout, or the cleanup of a failed run).
  const existing = await getOrUndefined(() => ml.onlineDeployments.get(...wsArgs(input.workspace), input.endpointName, input.deploymentName));
  if (!existing) return { existed: false, operationUrl: null, retryAfterSeconds: null };
  // A migration retires the endpoint's prompt flow deployments; one flowdeploy did not create only
  // when the operator let it change what it did not create (FLOWDEPLOY_ADOPT_ENDPOINTS).
  const adopted = input.retireAdopted === true && deps.settings.adoptEndpoints;
  if (!isManaged(existing.tags) && !adopted) {
    deps.log?.warn(`deployment ${input.deploymentName} was not created by flowdeploy: not deleted`);
    return { existed: true, deleted: false, operationUrl: null, retryAfterSeconds: null };
  }
  const capture = captureInitialResponse();
  try {
    await ml.onlineDeployments.beginDelete(...wsArgs(input.workspace), input.endpointName, input.deploymentName, capture.options);
  } catch (err) {
    if (isNotFound(err)) return { existed: false, operationUrl: null, retryAfterSeconds: null };
    throw err;
  }
  // Azure answers DELETE of a deployment that is not there with 204 (OnlineDeployments_Delete).
  if (capture.status() === 204) return { existed: false, operationUrl: null, retryAfterSeconds: null };
  const started = capture.started("Deleting");
  return { existed: true, operationUrl: started.operationUrl, retryAfterSeconds: started.retryAfterSeconds };
}
