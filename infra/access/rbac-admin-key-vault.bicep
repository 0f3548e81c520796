// Role Based Access Control Administrator on one Key Vault listed in FLOWDEPLOY_EXTRA_ROLE_SCOPES (an
// agent's agent.keyVault), constrained by the Key Vault condition of docs/pipeline.md: it may write only
// Key Vault Secrets User (4633458b-…) assignments, only for service principals, and may delete none.

@description('Key Vault name (this module is deployed to its resource group).')
param vaultName string

@description('Principal id of the Function App identity.')
param principalId string

var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var keyVaultCondition = '( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR ( @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4633458b-17de-408a-b874-0445c86b69e6} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'} ) ) AND ( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) )'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource roleAdministrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, rbacAdministrator)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: may grant only Key Vault Secrets User here, only to service principals, and delete none'
    condition: keyVaultCondition
    conditionVersion: '2.0'
  }
}
