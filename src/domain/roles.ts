/**
 * The built-in roles the pipeline grants to an endpoint's managed identity (prompt flow deployment
 * how-to; GUIDs from the built-in roles table), plus the extra roles a request names from EXTRA_ROLES.
 */
export const RoleIds = {
  /** Azure Machine Learning Workspace Connection Secrets Reader: the flow reads its connections. */
  connectionSecretsReader: "ea01e6af-a1c1-4350-9563-ad00f8c72ec5",
  /** AcrPull on the workspace container registry (user-assigned identities). */
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  /** Storage Blob Data Reader on the workspace storage account (user-assigned identities). */
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  /**
   * AzureML Metrics Writer (preview) on the workspace (user-assigned identities): without it "the
   * endpoint will not be able to log the metrics" (prompt flow deploy how-tos); a system-assigned
   * identity is given it automatically (concept-endpoints-online-auth, automatic role assignment).
   */
  metricsWriter: "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
} as const;

/**
 * Roles a request may add for its flow's Entra ID connections (`endpoint.extraRoles`), each only on
 * the kind of resource it is for, and only on resources listed in FLOWDEPLOY_EXTRA_ROLE_SCOPES. The
 * prompt flow deploy how-tos: a connection that uses Microsoft Entra ID needs "Cognitive Services
 * OpenAI User or Cognitive Services OpenAI Contributor" on the Azure OpenAI resource (the reader role
 * suffices to call it); the others follow the same rule for the other connection kinds. GUIDs from the
 * built-in roles page (ai-machine-learning, storage). Not offered: contributor and owner roles, and
 * AzureML Data Scientist (Index Lookup's datastore read; it also lets the flow deploy and run jobs in
 * the workspace — grant a custom role with `workspaces/datastores/read` yourself).
 */
export const EXTRA_ROLES = {
  "Cognitive Services OpenAI User": { guid: "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd", resourceType: "Microsoft.CognitiveServices/accounts" },
  "Cognitive Services User": { guid: "a97b65f3-24c7-4388-baec-2e87135dc908", resourceType: "Microsoft.CognitiveServices/accounts" },
  "Search Index Data Reader": { guid: "1407120a-92aa-4202-b7e9-c0e197c71c8f", resourceType: "Microsoft.Search/searchServices" },
  "Storage Blob Data Reader": { guid: RoleIds.storageBlobDataReader, resourceType: "Microsoft.Storage/storageAccounts" },
} as const;
export type ExtraRoleName = keyof typeof EXTRA_ROLES;
export const EXTRA_ROLE_NAMES = Object.keys(EXTRA_ROLES) as [ExtraRoleName, ...ExtraRoleName[]];

/** An extra grant as the activity takes it: the role's GUID on one resource. */
export interface ExtraGrant {
  roleDefinitionGuid: string;
  scope: string;
}

export function extraGrants(extraRoles: readonly { role: ExtraRoleName; scope: string }[] | undefined): ExtraGrant[] {
  return (extraRoles ?? []).map((r) => ({ roleDefinitionGuid: EXTRA_ROLES[r.role].guid, scope: r.scope }));
}

export type IdentityType = "SystemAssigned" | "UserAssigned";

/**
 * The roles an agent's endpoint identity gets on the resources its request names (agent.aiServices,
 * agent.keyVault). The Agent Framework workflow calls the model with the identity's Entra ID token:
 * "Cognitive Services User" on the AI Services / Azure OpenAI account lets it call the inference APIs
 * (the migration guide's online-endpoint step; built-in roles page, GUID a97b65f3-…); a workflow that
 * reads secrets needs "Key Vault Secrets User" on the vault (built-in roles page, 4633458b-…; Key Vault
 * RBAC guide: "Read secret contents").
 */
export const AGENT_ROLES = {
  aiServices: { roleName: "Cognitive Services User", guid: EXTRA_ROLES["Cognitive Services User"].guid },
  keyVault: { roleName: "Key Vault Secrets User", guid: "4633458b-17de-408a-b874-0445c86b69e6" },
} as const;

/** The agent resources a request names, as the grant takes them. */
export interface AgentResources {
  aiServices: string;
  keyVault?: string | undefined;
}

export function agentGrants(agent: AgentResources | undefined): ExtraGrant[] {
  if (!agent) return [];
  const grants: ExtraGrant[] = [{ roleDefinitionGuid: AGENT_ROLES.aiServices.guid, scope: agent.aiServices }];
  if (agent.keyVault) grants.push({ roleDefinitionGuid: AGENT_ROLES.keyVault.guid, scope: agent.keyVault });
  return grants;
}

export interface RoleGrant {
  /** Which workspace resource the role is granted on. */
  on: "workspace" | "containerRegistry" | "storageAccount";
  roleDefinitionGuid: string;
}

/**
 * What an endpoint identity needs on the workspace's resources. A prompt flow reads its workspace
 * connections (the secrets reader); an agent does not (it calls its resources with its own identity:
 * `agentGrants`). A system-assigned identity's image pull and model or code download go through the
 * workspace's own identity; a user-assigned identity pulls the image and reads the model or code
 * itself, and must hold those roles *before* the deployment is created or the deployment fails.
 */
export function rolesFor(identity: IdentityType, target: "flow" | "model" | "agent" = "flow"): RoleGrant[] {
  const grants: RoleGrant[] = target === "agent" ? [] : [{ on: "workspace", roleDefinitionGuid: RoleIds.connectionSecretsReader }];
  if (identity === "UserAssigned") {
    grants.push(
      { on: "containerRegistry", roleDefinitionGuid: RoleIds.acrPull },
      { on: "storageAccount", roleDefinitionGuid: RoleIds.storageBlobDataReader },
      { on: "workspace", roleDefinitionGuid: RoleIds.metricsWriter },
    );
  }
  return grants;
}

/** `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` as the PUT body wants it. */
export function roleDefinitionId(subscriptionId: string, roleDefinitionGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`;
}

/** The role GUID at the end of a role definition id (responses drop the subscription prefix: compare GUIDs). */
export function roleGuidOf(roleDefinitionIdValue: string): string {
  return roleDefinitionIdValue.slice(roleDefinitionIdValue.lastIndexOf("/") + 1).toLowerCase();
}
