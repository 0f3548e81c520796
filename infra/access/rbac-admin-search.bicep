// Role Based Access Control Administrator on one search service listed in FLOWDEPLOY_EXTRA_ROLE_SCOPES,
// constrained by the search service condition of docs/pipeline.md: it may write only Search Index Data
// Reader (1407120a-…) assignments, only for service principals, and may delete none.

@description('Search service name (this module is deployed to its resource group).')
param searchServiceName string

@description('Principal id of the Function App identity.')
param principalId string

var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var searchCondition = '( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR ( @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {1407120a-92aa-4202-b7e9-c0e197c71c8f} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'} ) ) AND ( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) )'

resource searchService 'Microsoft.Search/searchServices@2023-11-01' existing = {
  name: searchServiceName
}

resource roleAdministrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(searchService.id, principalId, rbacAdministrator)
  scope: searchService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: may grant only Search Index Data Reader here, only to service principals, and delete none'
    condition: searchCondition
    conditionVersion: '2.0'
  }
}
