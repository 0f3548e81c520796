import { ArmError, badArgument, conflict, resourceNotFound } from "./armErrors";
import { ACR_PULL_ROLE_ID, STORAGE_BLOB_DATA_READER_ROLE_ID } from "./builtinRoles";
import { codeConfigurationOf } from "./agents";
import { resolveCodeReference, type CodeState } from "./codes";
import type { EnvState } from "./environments";
import { provisioningFailure, takeProvisioningFault } from "./faults";
import { validateRequestSettings } from "./requestSettings";
import { environmentKeyOf, flowRequirements, importErrorLog, missingPackages, type FlowPackageState } from "./flowPackages";
import { empty, json, type SimResponse } from "./httpResponse";
import { deploymentId, resourceKey, type WorkspaceRef } from "./ids";
import { createEndpointIdentity, hasSystemAssigned, identityView } from "./identities";
import { isRecord, optionalString, stringMap } from "./json";
import { ASYNC_OPERATION_TIMEOUT, ML_API_VERSION, acceptedWithLocation, startOperation, statusUrl } from "./lroOperations";
import { resolveModelReference } from "./models";
import { endpointNotFound } from "./onlineEndpoints";
import { hasRoleOver } from "./rbac";
import { requireParam, type RequestContext } from "./requestContext";
import { deploymentsOf, findDeployment, findEndpoint, latestOperation, provisioningState, runningOperation } from "./resourceLookup";
import { ENDPOINT_NAME_PATTERN } from "./scenario";
import type { DeploymentRecord, EndpointRecord, SimState } from "./stateStore";
import { systemData } from "./systemData";
import { containerRegistryId, resourceOwner, storageAccountId, workspaceFromParams, type HubState } from "./workspaces";

/** onlineDeployments: createOrUpdate / get / list / delete / getLogs (managed online deployments). */

const DEPLOYMENT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments";
const COMPUTE_TYPES = ["Managed", "Kubernetes", "AzureMLCompute"];

/** Defaults Azure fills in for a managed deployment (recorded deployment PUT answer). */
export function defaultDeploymentProperties(): Record<string, unknown> {
  return {
    description: null,
    properties: {},
    environmentVariables: {},
    scaleSettings: { scaleType: "Default" },
    requestSettings: { maxQueueWait: "PT0S", requestTimeout: "PT5S", maxConcurrentRequestsPerInstance: 1 },
    modelMountPath: null,
    appInsightsEnabled: false,
    livenessProbe: { failureThreshold: 30, successThreshold: 1, timeout: "PT2S", period: "PT10S", initialDelay: "PT10S" },
    readinessProbe: { failureThreshold: 30, successThreshold: 1, timeout: "PT2S", period: "PT10S", initialDelay: "PT10S" },
    egressPublicNetworkAccess: "Enabled",
    endpointComputeType: "Managed",
  };
}

function deploymentNotFound(ws: WorkspaceRef, endpointName: string, name: string): ArmError {
  return resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/onlineEndpoints/${endpointName}/deployments`, name, ws.resourceGroup);
}

function requireEndpoint(ctx: RequestContext): { ws: WorkspaceRef; endpoint: EndpointRecord } {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "endpointName");
  const endpoint = findEndpoint(ctx.state, ws, name);
  if (!endpoint) throw endpointNotFound(ws, name);
  return { ws, endpoint };
}

function requireDeployment(ctx: RequestContext): { ws: WorkspaceRef; endpoint: EndpointRecord; deployment: DeploymentRecord } {
  const { ws, endpoint } = requireEndpoint(ctx);
  const name = requireParam(ctx, "deploymentName");
  const deployment = findDeployment(ctx.state, ws, endpoint.name, name);
  if (!deployment) throw deploymentNotFound(ws, endpoint.name, name);
  return { ws, endpoint, deployment };
}

export function deploymentView(state: SimState, d: DeploymentRecord, now: Date, baseUrl: string): Record<string, unknown> {
  const op = latestOperation(state, d.operation);
  const inner = isRecord(d.properties["properties"]) ? { ...d.properties["properties"] } : {};
  if (op) inner["AzureAsyncOperationUri"] = statusUrl(baseUrl, op);
  const view: Record<string, unknown> = {
    id: d.id,
    name: d.name,
    type: DEPLOYMENT_TYPE,
    properties: { ...d.properties, properties: inner, provisioningState: provisioningState(state, d.operation, now) },
    systemData: systemData(d.createdAt, d.lastModifiedAt),
    tags: { ...d.tags },
    location: d.location,
    kind: d.kind,
  };
  const identity = d.identity ? identityView(d.identity) : undefined;
  if (identity) view["identity"] = identity;
  if (d.sku !== undefined) view["sku"] = d.sku;
  return view;
}

/**
 * A user-assigned endpoint identity must hold AcrPull on the workspace registry and Storage Blob Data
 * Reader on its storage (a project's: its hub's) *before* the deployment is created, otherwise the deployment fails
 * (how-to-deploy-for-real-time-inference.md; DESIGN §1). System-assigned identities are not checked.
 */
function missingUserAssignedPermission(state: SimState, endpoint: EndpointRecord, now: Date): { code: string; message: string } | undefined {
  const uais = Object.values(endpoint.identity.userAssigned);
  if (uais.length === 0 || hasSystemAssigned(endpoint.identity)) return undefined;
  const principals = uais.map((u) => u.principalId);
  const acr = containerRegistryId(resourceOwner(state as HubState, endpoint.workspace));
  if (!hasRoleOver(state, principals, ACR_PULL_ROLE_ID, acr, now)) {
    return {
      code: "ImagePullFailure",
      message: `The user-assigned identity of endpoint '${endpoint.name}' (principal ${principals.join(", ")}) has no AcrPull role on the workspace container registry ${acr}, so the inference image cannot be pulled. Grant AcrPull before creating the deployment.`,
    };
  }
  const storage = storageAccountId(resourceOwner(state as HubState, endpoint.workspace));
  if (!hasRoleOver(state, principals, STORAGE_BLOB_DATA_READER_ROLE_ID, storage, now)) {
    return {
      code: "ModelDownloadFailure",
      message: `The user-assigned identity of endpoint '${endpoint.name}' (principal ${principals.join(", ")}) has no Storage Blob Data Reader role on the workspace storage account ${storage}, so the model cannot be downloaded. Grant Storage Blob Data Reader before creating the deployment.`,
    };
  }
  return undefined;
}

/**
 * `properties.codeConfiguration` (OnlineDeployment spec, 2022-10-01 `CodeConfiguration`): `scoringScript`
 * is "[Required] The script to execute on startup. eg. \"score.py\"" with minLength 1 and pattern
 * `[a-zA-Z0-9_]`, and `codeId` the "ARM resource ID of the code asset". The SDK refuses a missing or
 * empty script before sending (its mapper carries the same constraints); a raw PUT without one gets
 * 400 UserError here — the wording of Azure's own refusal is not recorded publicly, so "The
 * ScoringScript field is required." is the simulator's (ASP.NET's validation phrasing). A codeId that
 * names no code version of the workspace gets the answer a missing model or environment gets: 400
 * UserError "Could not find asset with ID: <id>". Other references (registry assets) are not checked.
 */
function validateCodeConfiguration(state: SimState, ws: WorkspaceRef, cc: unknown): void {
  if (cc === undefined || cc === null) return;
  if (!isRecord(cc)) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: properties.codeConfiguration must be an object.");
  const script = cc["scoringScript"];
  if (typeof script !== "string" || script.length === 0 || !/[a-zA-Z0-9_]/.test(script)) {
    throw new ArmError(400, "UserError", "The ScoringScript field is required.");
  }
  const codeId = cc["codeId"];
  if (codeId === undefined || codeId === null) return;
  if (typeof codeId !== "string" || resolveCodeReference(state as unknown as CodeState, ws, codeId) === undefined) {
    throw new ArmError(400, "UserError", `Could not find asset with ID: ${String(codeId)}`);
  }
}

export function createOrUpdateDeployment(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const { ws, endpoint } = requireEndpoint(ctx);
  const name = requireParam(ctx, "deploymentName");
  if (!ENDPOINT_NAME_PATTERN.test(name)) throw badArgument(`Deployment name '${name}' is invalid: use 3-32 letters, digits and hyphens, starting with a letter.`);
  const endpointState = provisioningState(state, endpoint.operation, now);
  if (!endpoint.created || endpointState === "Deleting") {
    throw conflict(`Endpoint '${endpoint.name}' is in provisioning state ${endpointState}; deployments can be created once the endpoint has Succeeded.`);
  }
  const body = ctx.body;
  if (!isRecord(body) || !isRecord(body["properties"])) {
    throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: properties is required.");
  }
  const location = optionalString(body["location"]);
  if (!location) throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  const props = body["properties"];
  const computeType = optionalString(props["endpointComputeType"]);
  if (!computeType || !COMPUTE_TYPES.includes(computeType)) {
    throw badArgument(`properties.endpointComputeType is required and must be one of ${COMPUTE_TYPES.join(", ")}.`);
  }
  const model = optionalString(props["model"]);
  const modelRecord = model === undefined ? undefined : resolveModelReference(state, ws, model);
  if (model !== undefined && modelRecord === undefined) {
    throw new ArmError(400, "UserError", `Could not find asset with ID: ${model}`);
  }
  validateRequestSettings(props["requestSettings"], modelRecord);
  const environmentRef = optionalString(props["environmentId"]);
  const environmentKey = environmentRef === undefined ? undefined : environmentKeyOf(environmentRef, ws);
  const environment = environmentKey === undefined ? undefined : (state as EnvState).environmentVersions?.[environmentKey];
  if (environmentKey !== undefined && !environment) {
    throw new ArmError(400, "UserError", `Could not find asset with ID: ${environmentRef}`);
  }
  validateCodeConfiguration(state, ws, props["codeConfiguration"]);
  const missing = missingPackages(flowRequirements(state as FlowPackageState, modelRecord === "external" ? undefined : modelRecord, ws), environment?.packages);

  const existing = findDeployment(state, ws, endpoint.name, name);
  if (existing && runningOperation(state, existing.operation, now)) {
    throw conflict(`Deployment '${name}' has an operation in progress (${provisioningState(state, existing.operation, now)}); wait for it to finish.`);
  }
  const isUpdate = existing !== undefined && existing.serving;
  const fault = takeProvisioningFault(state, { operation: "onlineDeployments.createOrUpdate", endpoint: endpoint.name, deployment: name }, now);
  if (fault) ctx.appliedFault = "provisioningError";
  const failure = fault
    ? provisioningFailure(fault)
    : ((isUpdate ? undefined : missingUserAssignedPermission(state, endpoint, now)) ??
      (missing.length > 0 ? { code: "ResourceNotReady", message: `User container has crashed or terminated: the flow could not be loaded (ModuleNotFoundError). Check the deployment logs. (simulated)` } : undefined));

  const id = deploymentId(ws, endpoint.name, name);
  const properties: Record<string, unknown> = { ...defaultDeploymentProperties() };
  for (const [k, v] of Object.entries(props)) if (k !== "provisioningState" && v !== undefined) properties[k] = v;
  properties["environmentVariables"] = stringMap(props["environmentVariables"]);
  properties["properties"] = stringMap(props["properties"]);
  const sku = isRecord(body["sku"]) ? { name: "Default", tier: "Standard", ...body["sku"] } : undefined;
  const record: DeploymentRecord = {
    id,
    name,
    endpointKey: resourceKey(endpoint.id),
    workspace: ws,
    location,
    kind: optionalString(body["kind"]) ?? "Managed",
    tags: stringMap(body["tags"]),
    ...(sku ? { sku } : {}),
    ...(existing?.identity
      ? { identity: existing.identity }
      : body["identity"] !== undefined && body["identity"] !== null
        ? { identity: createEndpointIdentity(state, body["identity"], id, now) }
        : {}),
    properties,
    createdAt: existing?.createdAt ?? now.toISOString(),
    lastModifiedAt: now.toISOString(),
    serving: existing?.serving ?? false,
    ...(existing?.flow ? { flow: existing.flow } : {}),
    ...(missing.length > 0 && !fault ? { containerLog: importErrorLog(now.toISOString(), missing) } : {}),
  };
  state.deployments[resourceKey(id)] = record;
  const op = startOperation(state, {
    resourceType: "onlineDeployment",
    resourceKey: resourceKey(id),
    resourceId: id,
    workspace: ws,
    region: endpoint.location,
    action: isUpdate ? "update" : "create",
    now,
    durationSeconds: isUpdate ? state.latency.deploymentUpdateSeconds : state.latency.deploymentSeconds,
    ...(failure ? { failure } : {}),
  });
  record.operation = op.name;
  const headers: Record<string, string> = { "Azure-AsyncOperation": statusUrl(ctx.baseUrl, op), "x-ms-async-operation-timeout": ASYNC_OPERATION_TIMEOUT };
  if (!existing) headers["Location"] = `${ctx.baseUrl}${id}?api-version=${ML_API_VERSION}`;
  return json(existing ? 200 : 201, deploymentView(state, record, now, ctx.baseUrl), headers);
}

export function getDeployment(ctx: RequestContext): SimResponse {
  const { deployment } = requireDeployment(ctx);
  return json(200, deploymentView(ctx.state, deployment, ctx.now, ctx.baseUrl));
}

export function listDeployments(ctx: RequestContext): SimResponse {
  const { endpoint } = requireEndpoint(ctx);
  return json(200, { value: deploymentsOf(ctx.state, endpoint).map((d) => deploymentView(ctx.state, d, ctx.now, ctx.baseUrl)) });
}

/** DELETE: 202 + Location + Retry-After; Azure refuses to delete a deployment that still has traffic. */
export function deleteDeployment(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const { ws, endpoint } = requireEndpoint(ctx);
  const deployment = findDeployment(state, ws, endpoint.name, requireParam(ctx, "deploymentName"));
  if (!deployment) return empty(204);
  const share = Object.entries(endpoint.traffic).find(([n]) => n.toLowerCase() === deployment.name.toLowerCase())?.[1] ?? 0;
  if (share > 0) {
    throw badArgument(`Deployment '${deployment.name}' has ${share}% of the traffic of endpoint '${endpoint.name}'. Set its traffic to 0 before deleting it.`);
  }
  const running = runningOperation(state, deployment.operation, now);
  if (running && running.action !== "delete") {
    throw conflict(`Deployment '${deployment.name}' has an operation in progress (${provisioningState(state, deployment.operation, now)}); wait for it to finish before deleting it.`);
  }
  const op =
    running ??
    startOperation(state, {
      resourceType: "onlineDeployment",
      resourceKey: resourceKey(deployment.id),
      resourceId: deployment.id,
      workspace: ws,
      region: endpoint.location,
      action: "delete",
      now,
      durationSeconds: state.latency.deploymentDeleteSeconds,
    });
  deployment.operation = op.name;
  return acceptedWithLocation(ctx, op, { retryAfter: true });
}

/** getLogs `{containerType, tail}` → `{content}`: a few plausible lines, including a failure reason. */
export function getDeploymentLogs(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const { deployment } = requireDeployment(ctx);
  const body = isRecord(ctx.body) ? ctx.body : {};
  const container = optionalString(body["containerType"]) ?? "InferenceServer";
  const op = latestOperation(state, deployment.operation);
  const status = provisioningState(state, deployment.operation, now);
  const code = codeConfigurationOf(deployment);
  const lines =
    container === "StorageInitializer"
      ? [
          `${deployment.createdAt} storage-initializer: downloading ${code ? `code ${code.codeId ?? "(none)"}` : `model ${String(deployment.properties["model"] ?? "(none)")}`}`,
          `${deployment.createdAt} storage-initializer: done`,
        ]
      : code
        ? [
            // azureml-inference-server-http's start-up lines (how-to-inference-server-http).
            `${deployment.createdAt} azmlinfsrv - Found user script at /var/azureml-app/${code.scoringScript}`,
            `${deployment.createdAt} azmlinfsrv - Invoking user's init function`,
            `${deployment.createdAt} azmlinfsrv - Users's init has completed successfully`,
            `${now.toISOString()} Deployment ${deployment.name} provisioning state: ${status}`,
          ]
        : [
          `${deployment.createdAt} Starting prompt flow serving app (PROMPTFLOW_RUN_MODE=serving)`,
          `${deployment.createdAt} Listening on 0.0.0.0:8080, routes /score and /health`,
          `${now.toISOString()} Deployment ${deployment.name} provisioning state: ${status}`,
        ];
  if (status === "Failed" && deployment.containerLog && container !== "StorageInitializer") lines.push(...deployment.containerLog);
  if (status === "Failed" && op?.failure) lines.push(`${now.toISOString()} ERROR ${op.failure.code}: ${op.failure.message}`);
  const tail = typeof body["tail"] === "number" && body["tail"] > 0 ? body["tail"] : lines.length;
  return json(200, { content: lines.slice(-tail).join("\n") });
}
