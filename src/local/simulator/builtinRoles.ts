/**
 * The built-in roles the pipeline assigns (GUIDs: shared/fixtures/azure/builtinRoleDefinitions.json,
 * README wire facts (c)). Permission lists are abridged from the built-in roles table: enough for a
 * realistic `roleDefinitions.get` answer, not an authorization engine.
 */
export interface BuiltinRole {
  guid: string;
  roleName: string;
  description: string;
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export const CONNECTION_SECRETS_READER_ROLE_ID = "ea01e6af-a1c1-4350-9563-ad00f8c72ec5";
export const ACR_PULL_ROLE_ID = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
export const STORAGE_BLOB_DATA_READER_ROLE_ID = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
export const METRICS_WRITER_ROLE_ID = "635dd51f-9968-44d3-b7fb-6d9a6bd613ae";
export const DATA_SCIENTIST_ROLE_ID = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  {
    guid: CONNECTION_SECRETS_READER_ROLE_ID,
    roleName: "Azure Machine Learning Workspace Connection Secrets Reader",
    description: "Allows read access to workspace connection secrets.",
    actions: [
      "Microsoft.MachineLearningServices/workspaces/connections/listsecrets/action",
      "Microsoft.MachineLearningServices/workspaces/metadata/secrets/read",
      "Microsoft.MachineLearningServices/workspaces/read",
    ],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    guid: ACR_PULL_ROLE_ID,
    roleName: "AcrPull",
    description: "acr pull",
    actions: ["Microsoft.ContainerRegistry/registries/pull/read"],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    guid: STORAGE_BLOB_DATA_READER_ROLE_ID,
    roleName: "Storage Blob Data Reader",
    description: "Allows for read access to Azure Storage blob containers and data",
    actions: [
      "Microsoft.Storage/storageAccounts/blobServices/containers/read",
      "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
    ],
    notActions: [],
    dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    notDataActions: [],
  },
  {
    guid: METRICS_WRITER_ROLE_ID,
    roleName: "AzureML Metrics Writer (preview)",
    description: "Lets you write metrics to AzureML workspace",
    actions: ["Microsoft.MachineLearningServices/workspaces/metrics/*/write"],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    guid: DATA_SCIENTIST_ROLE_ID,
    roleName: "AzureML Data Scientist",
    description:
      "Can perform all actions within an Azure Machine Learning workspace, except for creating or deleting compute resources and modifying the workspace itself.",
    actions: ["Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/workspaces/*/action"],
    notActions: ["Microsoft.MachineLearningServices/workspaces/delete", "Microsoft.MachineLearningServices/workspaces/computes/*/write"],
    dataActions: [],
    notDataActions: [],
  },
];

export function findBuiltinRole(guid: string): BuiltinRole | undefined {
  const g = guid.toLowerCase();
  return BUILTIN_ROLES.find((r) => r.guid === g);
}

/** The role GUID at the end of a role definition id (`.../roleDefinitions/{guid}`), or the value itself. */
export function roleGuidFromDefinitionId(roleDefinitionId: string): string {
  const parts = roleDefinitionId.split("/").filter(Boolean);
  return (parts[parts.length - 1] ?? "").toLowerCase();
}
