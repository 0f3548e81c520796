// The custom topic flowdeploy's BulkTestPassed events are published to. CloudEvents 1.0 input (the
// app reads both envelopes, README "Using it"), local (key/SAS) auth disabled: publishers need an Entra
// token and the EventGrid Data Sender role on this topic, which is granted here to the given service
// principals and nothing broader. The subscription that delivers to the function is created after the
// code is deployed (infra/hooks/postdeploy.sh): Event Grid checks that the function exists.

@description('Topic name.')
param name string

@description('Azure region.')
param location string

@description('Tags for the topic.')
param tags object

@description('Object ids of the service principals (pipelines, Azure ML compute identities) that may publish events.')
param publisherPrincipalIds string[]

// EventGrid Data Sender (verified in Azure/bicep-registry-modules builtInRoleNames maps).
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource dataSenders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for publisher in publisherPrincipalIds: {
    name: guid(topic.id, publisher, eventGridDataSender)
    scope: topic
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
      principalId: publisher
      principalType: 'ServicePrincipal'
    }
  }
]

output id string = topic.id
output name string = topic.name
output endpoint string = topic.properties.endpoint
