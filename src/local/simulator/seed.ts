import { MANAGED_TAG } from "../../activities/managed";
import { BUILTIN_ROLES, CONNECTION_SECRETS_READER_ROLE_ID, findBuiltinRole } from "./builtinRoles";
import { issueEndpointKeys } from "./credentials";
import type { EnvState } from "./environments";
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
  if (!scenario) return state;

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
  (state as FlowPackageState).flowFolders = scenario.flows.map((f) => ({ uri: normalizeFolderUri(f.path, ws), requirements: [...f.requirements], connections: [...f.connections] }));
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

/** The inference routes of a prompt flow serving image (the product registers the same). */
const PROMPT_FLOW_ROUTES = {
  livenessRoute: { path: "/health", port: 8080 },
  readinessRoute: { path: "/health", port: 8080 },
  scoringRoute: { path: "/score", port: 8080 },
};

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
    const [modelName, modelVersion] = d.model ? (d.model.split(":") as [string, string]) : [`${seed.endpoint}-${d.name}-flow`, "1"];
    if (!d.model) {
      const properties: Record<string, string> = d.flow ? { "azureml.promptflow.mode": d.flow } : {};
      putModelVersion(state, ws, modelName, modelVersion, modelInput(modelName, null, properties), at);
    }
    const depId = deploymentId(ws, seed.endpoint, d.name);
    const deployment: DeploymentRecord = {
      id: depId,
      name: d.name,
      endpointKey: resourceKey(id),
      workspace: ws,
      location: state.location,
      kind: "Managed",
      tags: d.managed ? { [MANAGED_TAG]: "true" } : {},
      sku: { name: "Default", tier: "Standard", capacity: d.instanceCount },
      properties: {
        ...defaultDeploymentProperties(),
        model: modelVersionId(ws, modelName, modelVersion),
        instanceType: d.instanceType,
        environmentVariables: { PROMPTFLOW_RUN_MODE: "serving" },
      },
      createdAt: at.toISOString(),
      lastModifiedAt: at.toISOString(),
      serving: true,
      ...(d.flow ? { flow: d.flow } : {}),
    };
    state.deployments[resourceKey(depId)] = deployment;
  }

  if (seed.grantConnectionSecretsReader) {
    const principal = identity.principalId ?? Object.values(identity.userAssigned)[0]?.principalId ?? newGuid();
    const scope = workspaceId(ws);
    const name = stableGuid(`${scope.toLowerCase()}|${principal}|${CONNECTION_SECRETS_READER_ROLE_ID}`);
    const raId = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    state.roleAssignments[resourceKey(raId)] = {
      id: raId,
      name,
      scope,
      roleGuid: CONNECTION_SECRETS_READER_ROLE_ID,
      principalId: principal,
      principalType: "ServicePrincipal",
      createdOn: at.toISOString(),
      updatedOn: at.toISOString(),
      createdBy: SIMULATOR_ACTOR,
      updatedBy: SIMULATOR_ACTOR,
    };
  }
}
