// flowdeploy on Azure: everything `azd up` provisions (docs/deploy.md).
//
// In the environment's resource group: the Function App (Flex Consumption, Node.js, user-assigned
// identity), its storage, monitoring, the Service Bus queue and topic, the Durable Task Scheduler
// (or the Azure Storage backend), and the Event Grid custom topic for BulkTestPassed events.
// Elsewhere, in each resource's own resource group and subscription: the roles the app identity needs
// on every target workspace (and its registry and storage), on each allowed endpoint identity and each
// extra-role scope, and an Event Grid system topic per workspace whose RunCompleted events start
// deployments. Event Grid subscriptions to the function are created after deploy by
// infra/hooks/postdeploy.sh, because Event Grid checks that the function exists.
//
// Identity-based connections only: no key, connection string with a key, or SAS is read or written.
// Every role assignment is named guid(scope, principal, role) and typed ServicePrincipal.
targetScope = 'subscription'

import { notificationSubscription } from 'app/service-bus.bicep'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the resource group and its resources (Flex Consumption and the Durable Task Scheduler must be available there).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; default rg-<environmentName>.')
param resourceGroupName string = ''

// Node.js 22 only: it is generally available on Azure Functions (support ends 2027-04-30 with the Node
// community's; Azure update 567334 announces the same date for App Service) and it is what the app is
// built and tested with. Node.js 24 is offered on Functions (MicrosoftDocs/azure-docs#128561 documents
// its 64-bit requirement) but was in preview when this was written, and a preview language version is
// "not yet supported" for production (Learn: Supported languages in Azure Functions); nor does CI run
// on it. Once it is GA and tested, adding it is one more allowed value.
@allowed([
  '22'
])
@description('Node.js major version of the Function App.')
param nodeVersion string = '22'

@allowed([
  'scheduler'
  'azureStorage'
])
@description('Durable Functions backend: scheduler (Durable Task Scheduler, recommended) or azureStorage (queues and tables in the app\'s storage account). Must match the host.json the package carries (azure.yaml prepackage hook).')
param durableBackend string = 'scheduler'

@allowed([
  'Consumption'
  'Dedicated'
])
@description('Durable Task Scheduler SKU (scheduler backend only).')
param durableTaskSchedulerSku string = 'Consumption'

@description('Resource ids of the Azure ML workspaces (or Foundry hub-based projects) flowdeploy may deploy to: FLOWDEPLOY_ALLOWED_WORKSPACES, and the roles on each. Each may be in any resource group or subscription.')
param allowedWorkspaceIds string[] = []

@description('Resource ids of the user-assigned identities endpoints may use: FLOWDEPLOY_ALLOWED_IDENTITIES, and Managed Identity Operator on each.')
param allowedIdentityIds string[] = []

@description('Resource ids (AI services accounts, search services, storage accounts) endpoint.extraRoles may grant on: FLOWDEPLOY_EXTRA_ROLE_SCOPES, and the constrained role administrator on each.')
param extraRoleScopes string[] = []

@description('Further event sources (CloudEvents source / Event Grid topic resource ids) BulkTestPassed events may come from; the custom topic is always allowed.')
param allowedEventSources string[] = []

@description('Object ids of the service principals that may publish to the BulkTestPassed topic (EventGrid Data Sender on that topic).')
param eventPublisherPrincipalIds string[] = []

@description('Workspaces whose Azure ML RunCompleted events start deployments (each must also be in allowedWorkspaceIds).')
param runCompletedSources runCompletedSource[] = []

@description('Subscriptions to create on the deployment-notifications topic.')
param notificationSubscriptions notificationSubscription[] = []

@description('Who may approve or reject deployments that wait for approval: principal names (UPNs) or object ids as App Service authentication reports them: FLOWDEPLOY_APPROVERS. Empty: any caller holding the function key. Set: enable App Service authentication on the Function App, or every answer is refused (docs/security.md).')
param approvers string[] = []

@description('FLOWDEPLOY_GATES as an object, e.g. {"accuracy": 0.8, "latency_p95_ms": {"max": 1000}}; empty: BulkTestPassed events are refused.')
param gates object = {}

@description('FLOWDEPLOY_SERVING_IMAGE, pinned by digest; empty: the app\'s default (it warns at start-up).')
param servingImage string = ''

@description('Other app settings (FLOWDEPLOY_MAX_INSTANCES, FLOWDEPLOY_EVENT_MAX_AGE_MINUTES, ...). The settings this template sets win over these.')
param additionalAppSettings object = {}

@description('Also grant Azure Service Bus Data Owner on the deploy-requests queue (only there) so the Service Bus scaler can read the queue length (docs/deploy.md).')
param serviceBusQueueOwnerForScaling bool = false

@description('Memory per Flex Consumption instance, in MB.')
param instanceMemoryMB int = 2048

@description('Most Flex Consumption instances.')
param maximumInstanceCount int = 100

@description('A workspace whose RunCompleted events flowdeploy subscribes to.')
type runCompletedSource = {
  @description('Resource id of the Azure ML workspace.')
  workspaceId: string

  @description('Resource id of the Event Grid system topic that already exists for this workspace (Azure allows one per source). Left out: one is created.')
  existingSystemTopicId: string?
}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-api-${resourceToken}'
// As the Flex quickstarts name it (Azure-Samples/functions-quickstart-typescript-azd infra/main.bicep).
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
// Letters and digits only, starting with a letter: valid for both backends (an Azure Storage task hub
// name is 3-45 letters and digits; a scheduler task hub ^[a-zA-Z0-9-]{3,64}$).
var taskHubName = 'flowdeploy${resourceToken}'
var deployQueueName = 'deploy-requests'
var notificationTopicName = 'deployment-notifications'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    principalId: identity.outputs.principalId
    durableBackend: durableBackend
  }
}

module serviceBus 'app/service-bus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    queueName: deployQueueName
    topicName: notificationTopicName
    subscriptions: notificationSubscriptions
    principalId: identity.outputs.principalId
    queueOwnerForScaling: serviceBusQueueOwnerForScaling
  }
}

module scheduler 'app/durable-task-scheduler.bicep' = if (durableBackend == 'scheduler') {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    taskHubName: taskHubName
    location: location
    tags: tags
    skuName: durableTaskSchedulerSku
    principalId: identity.outputs.principalId
  }
}

module eventGrid 'app/event-grid.bicep' = {
  name: 'event-grid'
  scope: rg
  params: {
    name: 'evgt-bulktest-${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalIds: eventPublisherPrincipalIds
  }
}

// The settings the app reads (src/config.ts), and the host's identity-based connections:
// <connection>__credential = managedidentity and <connection>__clientId select the user-assigned
// identity (Learn: Azure Functions developer guide, "Connecting to host storage with an identity";
// the Flex quickstarts' AzureWebJobsStorage__* settings).
var baseSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  AZURE_CLIENT_ID: identity.outputs.clientId
  TASKHUB_NAME: taskHubName
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.outputs.clientId
  DEPLOY_QUEUE_NAME: serviceBus.outputs.queueName
  NOTIFICATION_TOPIC_NAME: serviceBus.outputs.topicName
  FLOWDEPLOY_ALLOWED_WORKSPACES: join(allowedWorkspaceIds, ',')
  FLOWDEPLOY_ALLOWED_IDENTITIES: join(allowedIdentityIds, ',')
  FLOWDEPLOY_EXTRA_ROLE_SCOPES: join(extraRoleScopes, ',')
  FLOWDEPLOY_ALLOWED_EVENT_SOURCES: join(union([eventGrid.outputs.id], allowedEventSources), ',')
  FLOWDEPLOY_APPROVERS: join(approvers, ',')
}

// Azure Storage backend: the task hub's queues and tables in the same account, through the same
// identity (durable quickstart before DTS; Learn: Durable Functions storage providers).
var azureStorageSettings = durableBackend == 'azureStorage'
  ? {
      AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
      AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
    }
  : {}

// Scheduler backend: host.json's storageProvider {type: azureManaged, connectionStringName:
// DURABLE_TASK_SCHEDULER_CONNECTION_STRING} reads this (durable quickstart src/host.json and
// infra/app/api.bicep). The string holds no secret: the identity's client id authenticates.
var schedulerSettings = durableBackend == 'scheduler'
  ? {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
    }
  : {}

var optionalSettings = union(
  empty(gates) ? {} : { FLOWDEPLOY_GATES: string(gates) },
  empty(servingImage) ? {} : { FLOWDEPLOY_SERVING_IMAGE: servingImage }
)

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appSettings: union(additionalAppSettings, optionalSettings, baseSettings, azureStorageSettings, schedulerSettings)
  }
}

// ---- Roles on resources outside the resource group, each deployed at its own resource group.

module workspaceAccess 'access/workspace-access.bicep' = [
  for workspaceId in allowedWorkspaceIds: {
    name: take('flowdeploy-ws-${uniqueString(workspaceId, environmentName)}', 64)
    scope: resourceGroup(split(workspaceId, '/')[2], split(workspaceId, '/')[4])
    params: {
      workspaceName: last(split(workspaceId, '/'))
      principalId: identity.outputs.principalId
    }
  }
]

module identityOperator 'access/identity-operator.bicep' = [
  for identityId in allowedIdentityIds: {
    name: take('flowdeploy-mi-${uniqueString(identityId, environmentName)}', 64)
    scope: resourceGroup(split(identityId, '/')[2], split(identityId, '/')[4])
    params: {
      identityName: last(split(identityId, '/'))
      principalId: identity.outputs.principalId
    }
  }
]

module extraRoleScopeAccess 'access/extra-role-scope.bicep' = [
  for scopeId in extraRoleScopes: {
    name: take('flowdeploy-x-${uniqueString(scopeId, environmentName)}', 64)
    scope: resourceGroup(split(scopeId, '/')[2], split(scopeId, '/')[4])
    params: {
      scopeResourceId: scopeId
      principalId: identity.outputs.principalId
    }
  }
]

// ---- Azure ML RunCompleted: one system topic per workspace that has none yet.

var runCompletedTopics = [
  for source in runCompletedSources: {
    create: empty(source.?existingSystemTopicId ?? '')
    id: empty(source.?existingSystemTopicId ?? '')
      ? '/subscriptions/${split(source.workspaceId, '/')[2]}/resourceGroups/${split(source.workspaceId, '/')[4]}/providers/Microsoft.EventGrid/systemTopics/egst-flowdeploy-${uniqueString(source.workspaceId)}'
      : source.existingSystemTopicId!
  }
]

module runCompletedTopic 'access/aml-run-completed-source.bicep' = [
  for (source, i) in runCompletedSources: if (runCompletedTopics[i].create) {
    name: take('flowdeploy-rc-${uniqueString(source.workspaceId, environmentName)}', 64)
    scope: resourceGroup(split(source.workspaceId, '/')[2], split(source.workspaceId, '/')[4])
    params: {
      workspaceName: last(split(source.workspaceId, '/'))
      systemTopicName: 'egst-flowdeploy-${uniqueString(source.workspaceId)}'
      tags: tags
    }
  }
]

// ---- Outputs azd stores in the environment (.azure/<env>/.env) and passes to hooks.

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_ID string = functionApp.outputs.id
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
// Not AZURE_CLIENT_ID: in CI that name holds the pipeline's own client id (azd auth login).
output FLOWDEPLOY_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// For the clean-up before `azd down` (docs/deploy.md): the identity's role assignments outside the group.
output FLOWDEPLOY_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output DURABLE_BACKEND string = durableBackend
output TASKHUB_NAME string = taskHubName
output DURABLE_TASK_SCHEDULER_ENDPOINT string = durableBackend == 'scheduler' ? scheduler.outputs.endpoint : ''
output DURABLE_TASK_SCHEDULER_DASHBOARD_URL string = durableBackend == 'scheduler' ? scheduler.outputs.dashboardUrl : ''
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output DEPLOY_QUEUE_NAME string = serviceBus.outputs.queueName
output NOTIFICATION_TOPIC_NAME string = serviceBus.outputs.topicName
output BULK_TEST_TOPIC_ID string = eventGrid.outputs.id
output BULK_TEST_TOPIC_ENDPOINT string = eventGrid.outputs.endpoint
output RUN_COMPLETED_SYSTEM_TOPIC_IDS string = join(map(runCompletedTopics, t => t.id), ',')
// The system topics this template created (outside the resource group, so `azd down` leaves them).
output RUN_COMPLETED_CREATED_SYSTEM_TOPIC_IDS string = join(map(filter(runCompletedTopics, t => t.create), t => t.id), ',')
