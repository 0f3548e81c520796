// Storage Blob Data Reader on a workspace's (or its hub's) storage account, for the Function App
// identity itself (docs/pipeline.md, "Permissions of the Function App itself"). The app needs it for a
// migration's parity.inputsFile: the readParityInputs activity reads that JSONL file from the
// workspace's blob datastore (workspaceblobstore: a container on this account) with its own Entra
// token, and Azure Storage answers 403 AuthorizationPermissionMismatch without a data role
// (Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read). Reader is the narrowest
// built-in data role that reads blobs; on this one account, never its resource group. No key: the app
// never reads the datastore's credentials (listSecrets) or the account's keys.

@description('Storage account name (this module is deployed to its resource group).')
param storageAccountName string

@description('Principal id of the Function App identity.')
param principalId string

// Storage Blob Data Reader (verified in Azure/bicep-registry-modules builtInRoleNames maps).
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource blobReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataReader)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'flowdeploy: reads a migration\'s parity inputs file from the workspace\'s blob datastore'
  }
}
