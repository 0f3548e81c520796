/**
 * The built-in roles the pipeline grants to an endpoint's managed identity (prompt flow deployment
 * how-to; GUIDs from the built-in roles table). Nothing else is ever granted.
 */
export const RoleIds = {
  /** Azure Machine Learning Workspace Connection Secrets Reader: the flow reads its connections. */
  connectionSecretsReader: "ea01e6af-a1c1-4350-9563-ad00f8c72ec5",
  /** AcrPull on the workspace container registry (user-assigned identities). */
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  /** Storage Blob Data Reader on the workspace storage account (user-assigned identities). */
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
} as const;

export type IdentityType = "SystemAssigned" | "UserAssigned";

export interface RoleGrant {
  /** Which workspace resource the role is granted on. */
  on: "workspace" | "containerRegistry" | "storageAccount";
  roleDefinitionGuid: string;
}

/**
 * What an endpoint identity needs. A system-assigned identity's image pull and model download go
 * through the workspace's own identity, so it needs only the secrets reader; a user-assigned identity
 * pulls the image and reads the model itself, and must hold those roles *before* the deployment is
 * created or the deployment fails.
 */
export function rolesFor(identity: IdentityType): RoleGrant[] {
  const grants: RoleGrant[] = [{ on: "workspace", roleDefinitionGuid: RoleIds.connectionSecretsReader }];
  if (identity === "UserAssigned") {
    grants.push({ on: "containerRegistry", roleDefinitionGuid: RoleIds.acrPull }, { on: "storageAccount", roleDefinitionGuid: RoleIds.storageBlobDataReader });
  }
  return grants;
}

/** `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` as the PUT body wants it. */
export function roleDefinitionId(subscriptionId: string, roleDefinitionGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`;
}

/** The role GUID at the end of a role definition id (responses drop the subscription prefix: compare GUIDs). */
export function roleGuidOf(roleDefinitionIdValue: string): string {
  return (roleDefinitionIdValue.split("/").pop() ?? "").toLowerCase();
}
