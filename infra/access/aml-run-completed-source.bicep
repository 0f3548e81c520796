// The Event Grid system topic of one Azure ML workspace, for its RunCompleted events, created in the
// workspace's resource group and region (a system topic lives with its source; Azure allows one system
// topic per source, so a workspace that already has one passes its id instead and this module is not
// deployed). The subscription to the deployed function is created after deploy
// (infra/hooks/postdeploy.sh). Creating a system topic on a workspace needs Contributor or Owner on it
// (MicrosoftDocs/azure-ai-docs how-to-use-event-grid.md, Prerequisites): a deployer permission.

@description('Workspace name (this module is deployed to its resource group).')
param workspaceName string

@description('System topic name.')
param systemTopicName string

@description('Tags for the system topic.')
param tags object

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

// The workspace's region is known only at deployment time: it reaches the topic as a parameter.
module topic 'aml-system-topic.bicep' = {
  name: take('flowdeploy-egst-${uniqueString(workspace.id)}', 64)
  params: {
    name: systemTopicName
    location: workspace.location
    sourceId: workspace.id
    tags: tags
  }
}

output id string = topic.outputs.id
