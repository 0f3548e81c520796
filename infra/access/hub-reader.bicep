// Reader on the hub of a Foundry hub-based project, for the Function App identity (docs/pipeline.md,
// "Permissions of the Function App itself"). The app needs it: for a project, src/activities/roles.ts
// (workspaceResources) reads the project, then GETs the hub named in properties.hubResourceId to learn
// the registry and storage the project deploys from, and neither AzureML Data Scientist on the project
// nor anything else granted here allows Microsoft.MachineLearningServices/workspaces/read on the hub.
// Reader is the narrowest built-in role that does (read only: no keys, which are actions, not reads).

@description('Hub name (this module is deployed to its resource group).')
param hubName string

@description('Principal id of the Function App identity.')
param principalId string

// Reader (verified in Azure/bicep-registry-modules builtInRoleNames maps).
var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource hub 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: hubName
}

resource hubReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, principalId, reader)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
