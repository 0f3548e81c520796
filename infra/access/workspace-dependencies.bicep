// Reads the workspace (or hub) that holds the container registry and storage account a target
// workspace deploys from, and passes their ids on (see workspace-access.bicep for why it takes a hop).
// containerRegistry may still be empty: Azure ML creates a workspace's registry when it first builds an
// image. Then no registry grant is made now; run `azd provision` again once the registry exists.

@description('Resource id of the workspace or hub whose registry and storage the target uses.')
param sourceWorkspaceId string

@description('True when sourceWorkspaceId is the hub of a hub-based project (the target itself otherwise).')
param isHub bool

@description('Principal id of the Function App identity.')
param principalId string

var sourceParts = split(sourceWorkspaceId, '/')

resource source 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: last(sourceParts)
  scope: resourceGroup(sourceParts[2], sourceParts[4])
}

module hubReader 'hub-reader.bicep' = if (isHub) {
  name: take('flowdeploy-hubread-${uniqueString(sourceWorkspaceId, principalId)}', 64)
  scope: resourceGroup(sourceParts[2], sourceParts[4])
  params: {
    hubName: last(sourceParts)
    principalId: principalId
  }
}

module grants 'workspace-dependency-grants.bicep' = {
  name: take('flowdeploy-wsgrants-${uniqueString(sourceWorkspaceId, principalId)}', 64)
  params: {
    containerRegistryId: source.properties.?containerRegistry ?? ''
    storageAccountId: source.properties.?storageAccount ?? ''
    principalId: principalId
  }
}
