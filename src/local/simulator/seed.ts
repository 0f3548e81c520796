import { MANAGED_TAG } from "../../activities/managed";
import { agentFolderOf, agentPrincipal, type AgentState } from "./agents";
import { seedBlobs } from "./blobStorage";
import { BUILTIN_ROLES, COGNITIVE_SERVICES_USER_ROLE_ID, CONNECTION_SECRETS_READER_ROLE_ID, KEY_VAULT_SECRETS_USER_ROLE_ID, findBuiltinRole } from "./builtinRoles";
import { codeVersionId, putCodeVersion, type CodeState } from "./codes";
import { issueEndpointKeys } from "./credentials";
import type { EnvironmentVersionRecord, EnvState } from "./environments";
import { addFault } from "./faults";
import { normalizeFolderUri, type FlowPackageState } from "./flowPackages";
import type { HubState } from "./workspaces";
import { deploymentId, endpointId, modelVersionId, newGuid, resourceKey, stableGuid, workspaceId, type WorkspaceRef } from "./ids";
import { createEndpointIdentity, userAssignedIdentity } from "./identities";
import { putModelVersion, type ModelVersionInput } from "./models";
import { defaultDeploymentProperties } from "./onlineDeployments";
import type { Scenario } from "./scenario";
import { DEFAULT_LATENCY, DEFAULT_POLLING, STATE_FORMAT, type DeploymentRecord, type EndpointRecord, type SimState } from "./stateStore";
import { noteRoutedTraffic, seedTelemetry } from "./scoringTelemetry";
import { SIMULATOR_ACTOR } from "./systemData";

/** Builds the starting state from a scenario: durations, existing endpoints/deployments/models, faults. */

/** Where `existing` and `models` go when the scenario names no workspace. */
/** The workspace of the bundled sample request (samples/deploy-request.json), so seeds and sample meet. */
export const DEFAULT_WORKSPACE: Readonly<WorkspaceRef> = {
  subscriptionId: "00000000-1111-2222-3333-444444444444",
  resourceGroup: "rg-promptflow",
  workspace: "ws-promptflow",
};

export const DEFAULT_TENANT_ID = "5e1a7c0d-2b6f-4c3e-9a1d-0f10d3f10d00";

/** Seeded resources were created a day before the simulator started, so their roles are effective. */
const SEED_AGE_MS = 24 * 3600 * 1000;

export function createInitialState(scenario: Scenario | undefined, now: Date): SimState {
  const latency = { ...DEFAULT_LATENCY, ...(scenario?.latency ?? {}) };
  if (scenario?.latency?.deploymentUpdateSeconds === undefined) latency.deploymentUpdateSeconds = latency.deploymentSeconds;
  const ws: WorkspaceRef = scenario?.workspace
    ? { subscriptionId: scenario.workspace.subscriptionId, resourceGroup: scenario.workspace.resourceGroup, workspace: scenario.workspace.name }
    : { ...DEFAULT_WORKSPACE };
  const state: SimState = {
    format: STATE_FORMAT,
    version: 1,
    startedAt: now.toISOString(),
    lastNow: now.toISOString(),
    location: scenario?.location ?? "eastus",
    tenantId: scenario?.tenantId ?? DEFAULT_TENANT_ID,
    defaultWorkspace: ws,
    latency,
    polling: {
      locationRetryAfterSeconds: scenario?.polling?.locationRetryAfterSeconds ?? DEFAULT_POLLING.locationRetryAfterSeconds,
      statusRetryAfterSeconds:
        scenario?.polling?.statusRetryAfterSeconds === undefined ? DEFAULT_POLLING.statusRetryAfterSeconds : scenario.polling.statusRetryAfterSeconds,
    },
    takenEndpointNames: [...(scenario?.takenEndpointNames ?? [])],
    callerAssignableIdentities: scenario?.callerAssignableIdentities ?? "*",
    endpoints: {},
    deployments: {},
    modelContainers: {},
    modelVersions: {},
    roleAssignments: {},
    principals: {},
    userAssignedIdentities: {},
    operations: {},
    tokens: [],
    secrets: [],
    faults: [],
    routing: {},
    requestLog: [],
    nextRequestSeq: 1,
  };
  seedTelemetry(state, scenario, now);
  if (!scenario) {
    seedBlobs(state, undefined, ws, new Date(now.getTime() - SEED_AGE_MS));
    return state;
  }

  const seededAt = new Date(now.getTime() - SEED_AGE_MS);
  for (const uai of scenario.userAssignedIdentities) {
    const record = userAssignedIdentity(state, uai.id);
    if (uai.principalId) {
      delete state.principals[record.principalId];
      record.principalId = uai.principalId;
      state.principals[uai.principalId] = { principalId: uai.principalId, source: uai.id, existsFrom: new Date(0).toISOString() };
    }
    if (uai.clientId) record.clientId = uai.clientId;
  }
  for (const m of scenario.models) {
    const properties = { ...(m.properties ?? {}) };
    if (m.flow) properties["azureml.promptflow.mode"] = m.flow;
    putModelVersion(state, ws, m.name, m.version, modelInput(m.name, m.description ?? null, properties), seededAt);
  }
  (state as HubState).hubs = Object.fromEntries(
    scenario.projects.map((p) => [
      resourceKey(workspaceId({ subscriptionId: ws.subscriptionId, resourceGroup: p.resourceGroup ?? ws.resourceGroup, workspace: p.name })),
      { subscriptionId: ws.subscriptionId, resourceGroup: p.hub.resourceGroup ?? p.resourceGroup ?? ws.resourceGroup, workspace: p.hub.name },
    ]),
  );
  // The default blob containers and the scenario's datastore files, on each workspace's (or hub's) storage.
  seedBlobs(state, scenario, ws, seededAt);
  (state as FlowPackageState).flowFolders = scenario.flows.map((f) => ({ uri: normalizeFolderUri(f.path, ws), requirements: [...f.requirements], connections: [...f.connections] }));
  (state as AgentState).agentFolders = scenario.agents.map((a) => ({
    uri: normalizeFolderUri(a.code, ws),
    aiServices: a.aiServices,
    ...(a.keyVault !== undefined ? { keyVault: a.keyVault } : {}),
    contract: a.contract,
    answers: a.answers.map((answer) => ({ when: { ...answer.when }, output: structuredClone(answer.output) })),
  }));
  (state as FlowPackageState).entraConnections = scenario.connections.map((c) => ({ name: c.name, target: c.target, roleGuid: roleGuidNamed(c.role) }));
  for (const env of scenario.environments) seedEnvironment(state, ws, env, seededAt);
  for (const seed of scenario.existing) seedEndpoint(state, ws, seed, seededAt);
  for (const fault of scenario.faults) addFault(state, fault);
  return state;
}

function modelInput(name: string, description: string | null, properties: Record<string, string>): ModelVersionInput {
  return {
    description,
    tags: {},
    properties,
    isAnonymous: false,
    isArchived: false,
    flavors: {},
    modelType: "CustomModel",
    modelUri: `azureml://datastores/workspaceblobstore/paths/promptflow/${name}/`,
  };
}

/** A built-in role by GUID or name (scenario connections name the role they need). */
function roleGuidNamed(role: string): string {
  const found = findBuiltinRole(role) ?? BUILTIN_ROLES.find((r) => r.roleName.toLowerCase() === role.toLowerCase());
  if (!found) throw new Error(`scenario connection role '${role}' is not a built-in role the simulator knows (${BUILTIN_ROLES.map((r) => r.roleName).join(", ")})`);
  return found.guid;
}

/** The inference routes of a prompt flow serving image (the product registers the same); seeded custom images get them too. */
const PROMPT_FLOW_ROUTES = {
  livenessRoute: { path: "/health", port: 8080 },
  readinessRoute: { path: "/health", port: 8080 },
  scoringRoute: { path: "/score", port: 8080 },
};

/**
 * The images seeded deployments run unless `image` says otherwise: the prompt flow runtime image the
 * deploy-to-code how-to serves flows with (src/domain/promptFlowRuntime.ts DEFAULT_SERVING_IMAGE), and
 * for agents the curated minimal Python 3.11 inference image (Azure/azureml-assets
 * assets/inference/environments/minimal-py311-inference), which runs a scoring script with the azureml
 * inference server and takes the workflow's packages from a conda file.
 */
export const SEED_PROMPT_FLOW_IMAGE = "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest";
export const SEED_AGENT_IMAGE = "mcr.microsoft.com/azureml/minimal-py311-inference:latest";

/** The conda file of a seeded agent environment (Agent Framework on the inference server). */
export const SEED_AGENT_CONDA_FILE = [
  "name: agent-framework",
  "channels:",
  "  - conda-forge",
  "dependencies:",
  "  - python=3.11",
  "  - pip",
  "  - pip:",
  "      - azureml-inference-server-http",
  "      - agent-framework",
  "      - azure-identity",
  "",
].join("\n");

/** `azureml://datastores/<ds>/paths/<p>` → the long workspace-scoped form (case kept), as azure-ai-ml registers it. */
function longFolderUri(uri: string, ws: WorkspaceRef): string {
  const short = /^azureml:\/\/datastores\/(.+)$/i.exec(uri);
  return short ? `azureml://subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.workspace}/datastores/${short[1]}` : uri;
}

function putSeedEnvironment(state: SimState, record: EnvironmentVersionRecord): void {
  const store = ((state as EnvState).environmentVersions ??= {});
  store[resourceKey(record.id)] = record;
}

function seedAssignment(state: SimState, scope: string, roleGuid: string, principal: string, at: Date): void {
  const name = stableGuid(`${scope.toLowerCase()}|${principal}|${roleGuid}`);
  const raId = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  state.roleAssignments[resourceKey(raId)] = {
    id: raId,
    name,
    scope,
    roleGuid,
    principalId: principal,
    principalType: "ServicePrincipal",
    createdOn: at.toISOString(),
    updatedOn: at.toISOString(),
    createdBy: SIMULATOR_ACTOR,
    updatedBy: SIMULATOR_ACTOR,
  };
}

function seedEnvironment(state: SimState, ws: WorkspaceRef, env: Scenario["environments"][number], at: Date): void {
  const id = `${workspaceId(ws)}/environments/${env.name}/versions/${env.version}`;
  const store = ((state as EnvState).environmentVersions ??= {});
  store[resourceKey(id)] = {
    id,
    name: env.name,
    version: env.version,
    image: env.image,
    inferenceConfig: env.inferenceRoutes ? structuredClone(PROMPT_FLOW_ROUTES) : null,
    osType: "Linux",
    description: "Seeded by the scenario",
    tags: {},
    createdAt: at.toISOString(),
    packages: [...env.packages],
  };
}

function seedEndpoint(state: SimState, ws: WorkspaceRef, seed: Scenario["existing"][number], at: Date): void {
  const id = endpointId(ws, seed.endpoint);
  const requestedIdentity =
    seed.identity === "SystemAssigned" ? { type: "SystemAssigned" } : { type: "UserAssigned", userAssignedIdentities: { [seed.identity.userAssigned]: {} } };
  const identity = createEndpointIdentity(state, requestedIdentity, id, at);
  const traffic = Object.fromEntries(seed.deployments.map((d) => [d.name, d.traffic]));
  const endpoint: EndpointRecord = {
    id,
    name: seed.endpoint,
    workspace: ws,
    location: state.location,
    kind: "Managed",
    tags: seed.managed ? { [MANAGED_TAG]: "true" } : {},
    identity,
    description: null,
    properties: {},
    authMode: seed.authMode,
    compute: null,
    publicNetworkAccess: seed.publicNetworkAccess,
    mirrorTraffic: Object.fromEntries(seed.deployments.filter((d) => d.mirrorTraffic > 0).map((d) => [d.name, d.mirrorTraffic])),
    traffic,
    effectiveTraffic: { ...traffic },
    keys: issueEndpointKeys(state),
    createdAt: at.toISOString(),
    lastModifiedAt: at.toISOString(),
    created: true,
  };
  state.endpoints[resourceKey(id)] = endpoint;
  noteRoutedTraffic(state, resourceKey(id), at, traffic);

  for (const d of seed.deployments) {
    const runtime = d.agent ? "agent" : (d.runtime ?? "promptflow");
    const depId = deploymentId(ws, seed.endpoint, d.name);
    const properties: Record<string, unknown> = { ...defaultDeploymentProperties(), instanceType: d.instanceType };
    const environmentVariables: Record<string, string> = runtime === "promptflow" ? { PROMPTFLOW_RUN_MODE: "serving" } : {};
    if (d.agent) {
      // The agent's code folder as a code version, and its code configuration (as flowdeploy deploys one).
      const codeName = `${seed.endpoint}-${d.name}`;
      putCodeVersion(
        state as unknown as CodeState,
        ws,
        codeName,
        "1",
        { description: "Seeded by the scenario", tags: {}, properties: {}, isAnonymous: false, isArchived: false, codeUri: longFolderUri(d.agent.code, ws) },
        at,
      );
      properties["codeConfiguration"] = { codeId: codeVersionId(ws, codeName, "1"), scoringScript: d.agent.scoringScript };
      // DefaultAzureCredential picks a user-assigned identity by AZURE_CLIENT_ID.
      const uai = Object.values(identity.userAssigned)[0];
      if (uai && !identity.principalId) environmentVariables["AZURE_CLIENT_ID"] = uai.clientId;
    } else {
      const [modelName, modelVersion] = d.model ? (d.model.split(":") as [string, string]) : [`${seed.endpoint}-${d.name}-${runtime === "custom" ? "model" : "flow"}`, "1"];
      if (!d.model) {
        const modelProperties: Record<string, string> = d.flow ? { "azureml.promptflow.mode": d.flow } : {};
        putModelVersion(state, ws, modelName, modelVersion, modelInput(modelName, null, modelProperties), at);
      }
      properties["model"] = modelVersionId(ws, modelName, modelVersion);
    }
    // Every seeded deployment names an environment version of the workspace holding its image.
    const envName = `${seed.endpoint}-${d.name}`;
    const envId = `${workspaceId(ws)}/environments/${envName}/versions/1`;
    putSeedEnvironment(state, {
      id: envId,
      name: envName,
      version: "1",
      image: d.image ?? (runtime === "agent" ? SEED_AGENT_IMAGE : SEED_PROMPT_FLOW_IMAGE),
      inferenceConfig: runtime === "agent" ? null : structuredClone(PROMPT_FLOW_ROUTES),
      ...(runtime === "agent" ? { condaFile: SEED_AGENT_CONDA_FILE } : {}),
      osType: "Linux",
      description: "Seeded by the scenario",
      tags: {},
      createdAt: at.toISOString(),
      packages: [],
    });
    properties["environmentId"] = envId;
    properties["environmentVariables"] = { ...environmentVariables, ...(d.environmentVariables ?? {}) };
    const deployment: DeploymentRecord = {
      id: depId,
      name: d.name,
      endpointKey: resourceKey(id),
      workspace: ws,
      location: state.location,
      kind: "Managed",
      tags: d.managed ? { [MANAGED_TAG]: "true" } : {},
      sku: { name: "Default", tier: "Standard", capacity: d.instanceCount },
      properties,
      createdAt: at.toISOString(),
      lastModifiedAt: at.toISOString(),
      serving: true,
      ...(d.flow ? { flow: d.flow } : {}),
    };
    state.deployments[resourceKey(depId)] = deployment;

    const folder = d.agent ? agentFolderOf(state, deployment) : undefined;
    const principal = folder ? agentPrincipal(endpoint, deployment) : undefined;
    if (seed.grantAgentRoles && folder && principal) {
      seedAssignment(state, folder.aiServices, COGNITIVE_SERVICES_USER_ROLE_ID, principal.principalId, at);
      if (folder.keyVault !== undefined) seedAssignment(state, folder.keyVault, KEY_VAULT_SECRETS_USER_ROLE_ID, principal.principalId, at);
    }
  }

  if (seed.grantConnectionSecretsReader) {
    const principal = identity.principalId ?? Object.values(identity.userAssigned)[0]?.principalId ?? newGuid();
    seedAssignment(state, workspaceId(ws), CONNECTION_SECRETS_READER_ROLE_ID, principal, at);
  }
}
