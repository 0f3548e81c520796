import { resourceNotFound } from "./armErrors";
import { json, type SimResponse } from "./httpResponse";
import { stableGuid, workspaceId, type WorkspaceRef } from "./ids";
import { requireParam, type RequestContext } from "./requestContext";
import { systemData } from "./systemData";
import { resourceOwner, storageAccountId, workspaceFromParams, type HubState } from "./workspaces";

/**
 * A workspace's datastores (`workspaces/{ws}/datastores/{name}`, Datastores_Get). Every workspace has
 * the default ones on its storage account ("Data concepts in Azure Machine Learning", Default
 * datastores): `workspaceblobstore` (the default, a blob container `azureml-blobstore-<workspace id>`),
 * `workspaceartifactstore` (blob container `azureml`) and `workspacefilestore` (an Azure Files share
 * `azureml-filestore-<workspace id>`). A hub-based project's storage is its hub's. The wire shape is
 * the azure-rest-api-specs example Datastore/get.json at 2022-10-01 (what @azure/arm-machinelearning
 * 2.1.1 sends): `properties.datastoreType`, `accountName`, `containerName` (or `fileShareName`),
 * `endpoint: "core.windows.net"`, `protocol: "https"`, and `credentials` with its type only (a GET
 * never returns the secrets; `listSecrets` would). Any other name answers ARM's 404.
 */

export interface DatastoreView {
  name: string;
  datastoreType: "AzureBlob" | "AzureFile";
  accountName: string;
  /** The blob container (AzureBlob) or file share (AzureFile). */
  container: string;
  isDefault: boolean;
}

/** Fixed creation time of the default datastores (they came with the workspace). */
const CREATED_AT = "2025-01-01T00:00:00.000Z";

/** The workspace id Azure ML puts in default container names (the workspace's `properties.workspaceId`). */
function workspaceGuid(ws: WorkspaceRef): string {
  return stableGuid(`workspace:${workspaceId(ws).toLowerCase()}`);
}

/** The default datastores of a workspace, on its (or its hub's) storage account. */
export function defaultDatastores(state: HubState, ws: WorkspaceRef): DatastoreView[] {
  const accountName = storageAccountId(resourceOwner(state, ws)).split("/").pop()!;
  const id = workspaceGuid(ws);
  return [
    { name: "workspaceblobstore", datastoreType: "AzureBlob", accountName, container: `azureml-blobstore-${id}`, isDefault: true },
    { name: "workspaceartifactstore", datastoreType: "AzureBlob", accountName, container: "azureml", isDefault: false },
    { name: "workspacefilestore", datastoreType: "AzureFile", accountName, container: `azureml-filestore-${id}`, isDefault: false },
  ];
}

/** A datastore of the workspace by name (datastore names compare ignoring case, as ARM names do). */
export function findDatastore(state: HubState, ws: WorkspaceRef, name: string): DatastoreView | undefined {
  return defaultDatastores(state, ws).find((d) => d.name.toLowerCase() === name.toLowerCase());
}

function datastoreBody(ws: WorkspaceRef, d: DatastoreView): Record<string, unknown> {
  const location = d.datastoreType === "AzureBlob" ? { containerName: d.container } : { fileShareName: d.container };
  return {
    id: `${workspaceId(ws)}/datastores/${d.name}`,
    name: d.name,
    type: "Microsoft.MachineLearningServices/workspaces/datastores",
    properties: {
      description: null,
      tags: {},
      properties: {},
      isDefault: d.isDefault,
      credentials: { credentialsType: "AccountKey" },
      datastoreType: d.datastoreType,
      accountName: d.accountName,
      ...location,
      endpoint: "core.windows.net",
      protocol: "https",
      serviceDataAccessAuthIdentity: "None",
    },
    systemData: systemData(CREATED_AT, CREATED_AT),
  };
}

export function getDatastore(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "datastoreName");
  const found = findDatastore(ctx.state as HubState, ws, name);
  if (!found) throw resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/datastores`, name, ws.resourceGroup);
  return json(200, datastoreBody(ws, found));
}
