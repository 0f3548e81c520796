import { json, type SimResponse } from "./httpResponse";
import { resourceKey, stableGuid, stableSuffix, workspaceId, type WorkspaceRef } from "./ids";
import { hasHubProjects } from "./lroOperations";
import type { RequestContext } from "./requestContext";
import { requireParam } from "./requestContext";

/**
 * Workspaces: every subscription / resource group / workspace name exists. Its dependent resources
 * (container registry, storage account, key vault, application insights) get stable made-up names, so
 * the pipeline can read `properties.containerRegistry` / `properties.storageAccount` and grant AcrPull
 * and Storage Blob Data Reader on them.
 *
 * Foundry hub-based projects (scenario `projects`): a project "does not have a variety of
 * sub-resources directly associated with it. Instead, its parent hub managed these resources"
 * (azure-ai-ml `Project` entity); the hub's storage account and registry "are shared by all child
 * projects" (`Hub`). So a project's GET names its hub (`properties.hubResourceId`, with `kind`:
 * api-version 2024-04-01 and later) and no registry or storage of its own, and image pulls and model
 * downloads of its endpoints go to the hub's.
 */

/** Projects of hubs: workspace key → the hub workspace. */
export type HubState = { hubs?: Record<string, WorkspaceRef> };

export function hubOf(state: HubState, ws: WorkspaceRef): WorkspaceRef | undefined {
  return state.hubs?.[resourceKey(workspaceId(ws))];
}

function isHub(state: HubState, ws: WorkspaceRef): boolean {
  const key = resourceKey(workspaceId(ws));
  return Object.values(state.hubs ?? {}).some((h) => resourceKey(workspaceId(h)) === key);
}

/** The workspace whose registry and storage an endpoint of `ws` uses: its hub for a project. */
export function resourceOwner(state: HubState, ws: WorkspaceRef): WorkspaceRef {
  return hubOf(state, ws) ?? ws;
}

export function workspaceFromParams(ctx: RequestContext): WorkspaceRef {
  return {
    subscriptionId: requireParam(ctx, "subscriptionId"),
    resourceGroup: requireParam(ctx, "resourceGroupName"),
    workspace: requireParam(ctx, "workspaceName"),
  };
}

function suffix(ws: WorkspaceRef): string {
  return stableSuffix(workspaceId(ws).toLowerCase());
}

export function containerRegistryId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/cr${suffix(ws)}`;
}

/** The simulator's storage account names: `st` and a 10-hex-digit suffix of the workspace (3-24 lowercase letters and digits, as Azure requires). */
export const SIM_STORAGE_ACCOUNT = /^st[0-9a-f]{10}$/;

export function storageAccountId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.Storage/storageAccounts/st${suffix(ws)}`;
}

/** Fixed creation time of every simulated workspace (it "existed before the simulator started"). */
const WORKSPACE_CREATED_AT = "2025-01-01T00:00:00.000Z";

/** The workspaces.get body, shaped like shared/fixtures/azure/workspaces.get.json. */
export function workspaceView(ws: WorkspaceRef, location: string, tenantId: string, state: HubState = {}, apiVersion: string | null = null): Record<string, unknown> {
  const id = workspaceId(ws);
  const hub = hubOf(state, ws);
  const s = suffix(ws);
  const rg = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers`;
  const view: Record<string, unknown> = {
    id,
    name: ws.workspace,
    type: "Microsoft.MachineLearningServices/workspaces",
    ...(hasHubProjects(apiVersion) ? { kind: hub ? "Project" : isHub(state, ws) ? "Hub" : "Default" } : {}),
    location,
    identity: {
      principalId: stableGuid(`workspace-identity:${id.toLowerCase()}`),
      tenantId,
      type: "SystemAssigned",
    },
    properties: {
      containerRegistry: containerRegistryId(ws),
      keyVault: `${rg}/Microsoft.KeyVault/vaults/kv${s}`,
      applicationInsights: `${rg}/microsoft.insights/components/appi${s}`,
      storageAccount: storageAccountId(ws),
      discoveryUrl: `https://${location}.api.azureml.ms/discovery`,
      friendlyName: ws.workspace,
      description: "Simulated Azure Machine Learning workspace (flowdeploy simulator)",
      hbiWorkspace: false,
      serviceProvisionedResourceGroup: `${ws.workspace}_${s}`,
      privateLinkCount: 0,
      allowPublicAccessWhenBehindVnet: false,
      publicNetworkAccess: "Enabled",
      privateEndpointConnections: [],
      sharedPrivateLinkResources: [],
      workspaceId: stableGuid(`workspace:${id.toLowerCase()}`),
      provisioningState: "Succeeded",
      ...(hub && hasHubProjects(apiVersion) ? { hubResourceId: workspaceId(hub) } : {}),
    },
    systemData: {
      createdAt: WORKSPACE_CREATED_AT,
      createdBy: "flowdeploy-simulator",
      createdByType: "Application",
      lastModifiedAt: WORKSPACE_CREATED_AT,
      lastModifiedBy: "flowdeploy-simulator",
      lastModifiedByType: "Application",
    },
  };
  if (hub) {
    const props = view["properties"] as Record<string, unknown>;
    delete props["containerRegistry"];
    delete props["storageAccount"];
  }
  return view;
}

export function getWorkspace(ctx: RequestContext): SimResponse {
  return json(200, workspaceView(workspaceFromParams(ctx), ctx.state.location, ctx.state.tenantId, ctx.state as HubState, ctx.query.get("api-version")));
}
