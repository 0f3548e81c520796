// Role Based Access Control Administrator on one Azure OpenAI / Azure AI services account listed in
// FLOWDEPLOY_EXTRA_ROLE_SCOPES, constrained by the AI services condition of docs/pipeline.md: it may
// write only Cognitive Services OpenAI User (5e0bd9bd-…) and Cognitive Services User (a97b65f3-…)
// assignments, only for service principals, and may delete none.

@description('Account name (this module is deployed to its resource group).')
param accountName string

@description('Principal id of the Function App identity.')
param principalId string

var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var aiServicesCondition = '( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR ( @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e0bd9bd-7b93-4f28-af87-19fc36ad61bd, a97b65f3-24c7-4388-baec-2e87135dc908} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'} ) ) AND ( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) )'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: accountName
}

resource roleAdministrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, rbacAdministrator)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: may grant only Cognitive Services OpenAI User and Cognitive Services User here, only to service principals, and delete none'
    condition: aiServicesCondition
    conditionVersion: '2.0'
  }
}
