// On one target Azure ML workspace (or Foundry hub-based project), in that workspace's resource group
// (any subscription), for the Function App identity:
//   - AzureML Data Scientist: endpoints, deployments, model and environment versions, keys and tokens;
//   - Monitoring Reader: the endpoints' Azure Monitor metrics a canary's analysis reads
//     (Microsoft.Insights/metrics/read, which AzureML Data Scientist does not include);
//   - Role Based Access Control Administrator, constrained by the workspace condition of
//     docs/pipeline.md ("Permissions of the Function App itself"): it may write only Azure Machine
//     Learning Workspace Connection Secrets Reader and AzureML Metrics Writer assignments, only for
//     service principals, and may delete none;
// then the same constrained right on the workspace's container registry and storage account, read from
// the workspace itself (or from its hub for a hub-based project, whose registry and storage the hub
// holds: docs/pipeline.md "Roles") by the nested modules below, and for a project Reader on its hub
// (hub-reader.bicep: the app reads the hub to find them).
//
// The registry and storage ids are known only when this deployment runs, and a module's scope must be
// known when its own deployment starts, so each hop passes them down as parameters of the next module.

@description('Name of the workspace (this module is deployed to its resource group).')
param workspaceName string

@description('Principal id of the Function App identity.')
param principalId string

var azureMLDataScientist = 'f6c7c914-8db3-469d-8ca1-694a8f32e121'
var monitoringReader = '43d0d8ad-25c7-4714-9337-8ba259a9fe05'
var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'

// docs/pipeline.md, "On the workspace" (Workspace Connection Secrets Reader ea01e6af-…, AzureML Metrics
// Writer 635dd51f-…), on one line. Condition syntax: Learn "Delegate Azure role assignment management
// to others with conditions" / "Azure role assignment condition format".
var workspaceCondition = '( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR ( @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ea01e6af-a1c1-4350-9563-ad00f8c72ec5, 635dd51f-9968-44d3-b7fb-6d9a6bd613ae} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'} ) ) AND ( !(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) )'

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

resource dataScientist 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, azureMLDataScientist)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', azureMLDataScientist)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, monitoringReader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource roleAdministrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, rbacAdministrator)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: may grant only the endpoint roles on this workspace, only to service principals, and delete none'
    condition: workspaceCondition
    conditionVersion: '2.0'
  }
}

// properties.hubResourceId (workspaces API 2024-10-01, stable from 2024-04-01) names the hub of a
// Foundry hub-based project; the hub holds the registry and storage the project uses.
module dependencies 'workspace-dependencies.bicep' = {
  name: take('flowdeploy-wsdeps-${uniqueString(workspace.id, principalId)}', 64)
  params: {
    sourceWorkspaceId: empty(workspace.properties.?hubResourceId ?? '') ? workspace.id : workspace.properties.hubResourceId
    isHub: !empty(workspace.properties.?hubResourceId ?? '')
    principalId: principalId
  }
}
