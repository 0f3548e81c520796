// The Durable Task Scheduler backend: a scheduler and the app's task hub, and Durable Task Data
// Contributor for the app identity on that task hub only (a role at scheduler scope would reach every
// task hub in it). Shapes from Azure-Samples/durable-functions-quickstart-typescript-azd
// infra/app/dts.bicep and infra/app/dts-Access.bicep; properties checked against azure-rest-api-specs
// durabletask stable/2026-02-01/durabletask.json (SchedulerProperties: ipAllowlist and sku required;
// SchedulerSkuName Dedicated | Consumption; taskHub names ^[a-zA-Z0-9-]{3,64}$).
// Data Contributor, not the narrower Durable Task Worker: the app's HTTP routes also start, query and
// raise events on orchestrations through the durable client ("Most Durable Functions apps require the
// Durable Task Data Contributor role", Learn: Configure managed identity for Durable Task Scheduler,
// which also documents task hub scope).

@description('Scheduler name (3-64 letters, digits, hyphens).')
param name string

@description('Task hub name (TASKHUB_NAME).')
param taskHubName string

@description('Azure region.')
param location string

@description('Tags for the scheduler.')
param tags object

@description('Consumption: billed per action, no base fee. Dedicated: billed per capacity unit.')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string

@description('Principal id of the Function App identity.')
param principalId string

// Durable Task Data Contributor (the durable quickstart's infra/main.bicep dtsRoleDefinitionId).
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // Flex Consumption apps have no fixed outbound addresses without a virtual network, so the list
    // admits every address; every call still needs an Entra token with the role below. An empty list
    // would deny all traffic.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
    sku: skuName == 'Dedicated'
      ? {
          name: 'Dedicated'
          capacity: 1
        }
      : {
          name: 'Consumption'
        }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(taskHub.id, principalId, durableTaskDataContributor)
  scope: taskHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
output dashboardUrl string = taskHub.properties.dashboardUrl
