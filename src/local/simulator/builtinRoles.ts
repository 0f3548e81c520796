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
/** Roles for the resources behind Entra ID connections (built-in roles page: ai-machine-learning, web-and-mobile). */
export const OPENAI_USER_ROLE_ID = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";
export const COGNITIVE_SERVICES_USER_ROLE_ID = "a97b65f3-24c7-4388-baec-2e87135dc908";
export const SEARCH_INDEX_DATA_READER_ROLE_ID = "1407120a-92aa-4202-b7e9-c0e197c71c8f";
/**
 * Roles an Agent Framework agent's identity needs on the resources it calls (agents.ts): "Azure AI
 * User" (built-in roles page, ai-machine-learning: "Grants reader access to AI projects, reader access
 * to AI accounts, and data actions for an AI project", dataActions Microsoft.CognitiveServices/*) and
 * "Key Vault Secrets User" (built-in roles page, security: getSecret/readMetadata data actions).
 */
export const AZURE_AI_USER_ROLE_ID = "53ca6127-db72-4b80-b1b0-d745d6d5456d";
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";

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
  {
    guid: OPENAI_USER_ROLE_ID,
    roleName: "Cognitive Services OpenAI User",
    description: "Read access to view files, models, deployments. The ability to create completion and embedding calls.",
    actions: ["Microsoft.CognitiveServices/*/read", "Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read"],
    notActions: [],
    dataActions: ["Microsoft.CognitiveServices/accounts/OpenAI/*/read", "Microsoft.CognitiveServices/accounts/OpenAI/deployments/completions/action", "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action", "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action"],
    notDataActions: [],
  },
  {
    guid: COGNITIVE_SERVICES_USER_ROLE_ID,
    roleName: "Cognitive Services User",
    description: "Lets you read and list keys of Cognitive Services.",
    actions: ["Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/listkeys/action"],
    notActions: [],
    dataActions: ["Microsoft.CognitiveServices/*"],
    notDataActions: [],
  },
  {
    guid: SEARCH_INDEX_DATA_READER_ROLE_ID,
    roleName: "Search Index Data Reader",
    description: "Grants read access to Azure Cognitive Search index data.",
    actions: [],
    notActions: [],
    dataActions: ["Microsoft.Search/searchServices/indexes/documents/read"],
    notDataActions: [],
  },
  {
    guid: AZURE_AI_USER_ROLE_ID,
    roleName: "Azure AI User",
    description: "Grants reader access to AI projects, reader access to AI accounts, and data actions for an AI project.",
    actions: ["Microsoft.Authorization/*/read", "Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/listkeys/action", "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read"],
    notActions: [],
    dataActions: ["Microsoft.CognitiveServices/*"],
    notDataActions: [],
  },
  {
    guid: KEY_VAULT_SECRETS_USER_ROLE_ID,
    roleName: "Key Vault Secrets User",
    description: "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    actions: [],
    notActions: [],
    dataActions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
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
