// An Event Grid system topic on an Azure ML workspace (topic type
// Microsoft.MachineLearningServices.Workspaces; AVM avm/res/event-grid/system-topic uses the same
// properties at this API version).

@description('System topic name.')
param name string

@description('The workspace\'s region.')
param location string

@description('Resource id of the workspace.')
param sourceId string

@description('Tags for the topic.')
param tags object

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: sourceId
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

output id string = systemTopic.id
