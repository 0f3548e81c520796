// Role Based Access Control Administrator on one storage account, constrained by the storage account
// condition of docs/pipeline.md: it may write only Storage Blob Data Reader (2a2b9908-…) assignments,
// only for service principals, and may delete none. Used for a workspace's (or hub's) storage account
// and for a storage account listed in FLOWDEPLOY_EXTRA_ROLE_SCOPES ("A storage account in
// FLOWDEPLOY_EXTRA_ROLE_SCOPES takes the storage account condition above").

@description('Storage account name (this module is deployed to its resource group).')
param storageAccountName string

@description('Principal id of the Function App identity.')
param principalId string

var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var storageCondition = '( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR ( @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {2a2b9908-6ea1-4ae2-8e65-a410df84e7d1} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'} ) ) AND ( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) )'

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource roleAdministrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, rbacAdministrator)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: may grant only Storage Blob Data Reader on this account, only to service principals, and delete none'
    condition: storageCondition
    conditionVersion: '2.0'
  }
}
