import { json, type SimResponse } from "./httpResponse";
import { stableGuid, stableSuffix, workspaceId, type WorkspaceRef } from "./ids";
import type { RequestContext } from "./requestContext";
import { requireParam } from "./requestContext";

/**
 * Workspaces: every subscription / resource group / workspace name exists. Its dependent resources
 * (container registry, storage account, key vault, application insights) get stable made-up names, so
 * the pipeline can read `properties.containerRegistry` / `properties.storageAccount` and grant AcrPull
 * and Storage Blob Data Reader on them.
 */

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

export function storageAccountId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.Storage/storageAccounts/st${suffix(ws)}`;
}

/** Fixed creation time of every simulated workspace (it "existed before the simulator started"). */
const WORKSPACE_CREATED_AT = "2025-01-01T00:00:00.000Z";

/** The workspaces.get body, shaped like shared/fixtures/azure/workspaces.get.json. */
export function workspaceView(ws: WorkspaceRef, location: string, tenantId: string): Record<string, unknown> {
  const id = workspaceId(ws);
  const s = suffix(ws);
  const rg = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers`;
  return {
    id,
    name: ws.workspace,
    type: "Microsoft.MachineLearningServices/workspaces",
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
}

export function getWorkspace(ctx: RequestContext): SimResponse {
  return json(200, workspaceView(workspaceFromParams(ctx), ctx.state.location, ctx.state.tenantId));
}
