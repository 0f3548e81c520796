// Service Bus: the deploy-requests queue (input) and the deployment-notifications topic (output), with
// local (SAS) auth disabled so only Entra identities can connect. Standard tier: Basic has no topics.
// The app identity gets the narrowest data roles, each at entity scope (docs/pipeline.md):
//   - Azure Service Bus Data Receiver on the queue only (the queue trigger);
//   - Azure Service Bus Data Sender on the topic only (the notify activity).
// Optionally (serviceBusQueueOwnerForScaling) Azure Service Bus Data Owner on the queue only: the
// Service Bus extension's target-based scaler reads the queue's message count through the management
// API, which needs the Manage claim (azure-sdk-for-net Microsoft.Azure.WebJobs.Extensions.ServiceBus
// ServiceBusMetricsProvider.GetMessageCountAsync rethrows UnauthorizedAccessException); see docs/deploy.md.

@description('Namespace name (6-50 characters).')
param name string

@description('Azure region.')
param location string

@description('Tags for the namespace.')
param tags object

@description('Queue of deploy requests (DEPLOY_QUEUE_NAME).')
param queueName string

@description('Topic of deployment notifications (NOTIFICATION_TOPIC_NAME).')
param topicName string

@description('Subscriptions to create on the notification topic.')
param subscriptions notificationSubscription[]

@description('Principal id of the Function App identity.')
param principalId string

@description('Also grant Azure Service Bus Data Owner on the queue (only the queue) for target-based scaling.')
param queueOwnerForScaling bool

@export()
@description('A subscription on the notification topic.')
type notificationSubscription = {
  @description('Subscription name (1-50 characters).')
  @minLength(1)
  @maxLength(50)
  name: string

  @description('Optional SQL filter on the notification\'s application properties (outcome, workspace, endpoint), e.g. "outcome = \'Failed\'". Left out: every notification.')
  sqlFilter: string?

  @description('Deliveries before a message is dead-lettered (default 10).')
  @minValue(1)
  maxDeliveryCount: int?
}

// Role ids verified in Azure/bicep-registry-modules builtInRoleNames maps.
var serviceBusDataReceiver = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var serviceBusDataOwner = '090c5cfd-751d-490a-894a-3ce6f1109419'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    // A request that keeps failing, or expires, ends in the dead-letter queue instead of vanishing.
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: topicName
  properties: {
    // Notifications nobody read within two weeks are of no use to anyone.
    defaultMessageTimeToLive: 'P14D'
  }
}

resource topicSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [
  for sub in subscriptions: {
    parent: topic
    name: sub.name
    properties: {
      deadLetteringOnMessageExpiration: true
      maxDeliveryCount: sub.?maxDeliveryCount ?? 10
    }
  }
]

// A subscription with a filter gets it as a SQL rule. Service Bus creates every subscription with a
// catch-all $Default rule; adding a rule through ARM removes it (reported in
// hashicorp/terraform-provider-azurerm#20718, with a short window at creation when every message
// matches). Not verified offline: see docs/deploy.md.
resource filters 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [
  for (sub, i) in subscriptions: if (!empty(sub.?sqlFilter ?? '')) {
    parent: topicSubscriptions[i]
    name: 'flowdeploy-filter'
    properties: {
      filterType: 'SqlFilter'
      sqlFilter: {
        sqlExpression: sub.?sqlFilter ?? '1=1'
      }
    }
  }
]

resource queueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, principalId, serviceBusDataReceiver)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataReceiver)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (queueOwnerForScaling) {
  name: guid(queue.id, principalId, serviceBusDataOwner)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, serviceBusDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = namespace.name
// serviceBusEndpoint is https://<namespace>.servicebus.windows.net:443/ (the cloud's suffix elsewhere);
// the host and the SDK want the bare host name.
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
output queueName string = queue.name
output topicName string = topic.name
