// Constrained Role Based Access Control Administrator on a workspace's container registry and storage
// account, each in its own resource group (which may be another subscription's), and Storage Blob Data
// Reader on that storage account for the app itself (a migration's parity inputs file).

@description('Resource id of the container registry, or empty when the workspace has none yet.')
param containerRegistryId string

@description('Resource id of the storage account, or empty.')
param storageAccountId string

@description('Principal id of the Function App identity.')
param principalId string

// A placeholder id keeps the scope expressions valid when an id is empty (the module is then skipped).
var placeholder = '/subscriptions/${subscription().subscriptionId}/resourceGroups/${resourceGroup().name}/providers/none/none/none'
var registryParts = split(empty(containerRegistryId) ? placeholder : containerRegistryId, '/')
var storageParts = split(empty(storageAccountId) ? placeholder : storageAccountId, '/')

module registry 'rbac-admin-container-registry.bicep' = if (!empty(containerRegistryId)) {
  name: take('flowdeploy-acr-${uniqueString(containerRegistryId, principalId)}', 64)
  scope: resourceGroup(registryParts[2], registryParts[4])
  params: {
    registryName: last(registryParts)
    principalId: principalId
  }
}

module storage 'rbac-admin-storage.bicep' = if (!empty(storageAccountId)) {
  name: take('flowdeploy-st-${uniqueString(storageAccountId, principalId)}', 64)
  scope: resourceGroup(storageParts[2], storageParts[4])
  params: {
    storageAccountName: last(storageParts)
    principalId: principalId
  }
}

module blobReader 'storage-blob-reader.bicep' = if (!empty(storageAccountId)) {
  name: take('flowdeploy-stread-${uniqueString(storageAccountId, principalId)}', 64)
  scope: resourceGroup(storageParts[2], storageParts[4])
  params: {
    storageAccountName: last(storageParts)
    principalId: principalId
  }
}
