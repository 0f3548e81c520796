// The Function App's host storage (AzureWebJobsStorage) and the Flex Consumption deployment container.
// Shared-key access is off: the app reaches it only with its identity (the Flex quickstarts'
// `allowSharedKeyAccess: false`). Data roles for the app identity, on this account only:
//   - Storage Blob Data Owner, always: the host's blobs (keys, leases) and the deployment container
//     (Azure-Samples/functions-quickstart-typescript-azd infra/app/rbac.bicep grants exactly this for Flex);
//   - Storage Queue Data Contributor and Storage Table Data Contributor, only for the Durable Functions
//     Azure Storage backend, which keeps its task hub in queues and tables (docs/pipeline.md;
//     Azure-Samples/durable-functions-quickstart-typescript-azd infra/app/rbac.bicep). The Durable Task
//     Scheduler backend keeps no state here, so it gets neither.

@description('Storage account name (3-24 lowercase letters and digits).')
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object

@description('Blob container Flex Consumption deploys the app package from.')
param deploymentContainerName string

@description('Principal id of the Function App identity.')
param principalId string

@description('Durable Functions backend: azureStorage needs queue and table roles here, scheduler does not.')
@allowed([
  'scheduler'
  'azureStorage'
])
param durableBackend string

// Role ids verified in Azure/bicep-registry-modules builtInRoleNames maps.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var durableStorageRoles = durableBackend == 'azureStorage' ? [storageQueueDataContributor, storageTableDataContributor] : []

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource durableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in durableStorageRoles: {
    name: guid(storage.id, principalId, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
