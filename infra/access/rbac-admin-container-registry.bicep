// Role Based Access Control Administrator on one container registry, constrained by the registry
// condition of docs/pipeline.md: it may write only AcrPull (7f951dda-…) assignments, only for service
// principals, and may delete none. The endpoint's user-assigned identity needs AcrPull here.

@description('Container registry name (this module is deployed to its resource group).')
param registryName string

@description('Principal id of the Function App identity.')
param principalId string

var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var registryCondition = '( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR ( @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {7f951dda-4ed3-4680-a7ca-43fe172d538d} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'} ) ) AND ( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) )'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource roleAdministrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, rbacAdministrator)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: may grant only AcrPull on this registry, only to service principals, and delete none'
    condition: registryCondition
    conditionVersion: '2.0'
  }
}
