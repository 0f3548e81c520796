// One resource in FLOWDEPLOY_EXTRA_ROLE_SCOPES, in its resource group: the constrained Role Based Access
// Control Administrator its kind takes (docs/pipeline.md "Extra roles"; an agent's aiServices and
// keyVault are listed here too). Only the four kinds flowdeploy grants roles on are handled; any other
// id gets nothing (the app offers no role on it).

@description('Resource id of the resource.')
param scopeResourceId string

@description('Principal id of the Function App identity.')
param principalId string

var parts = split(scopeResourceId, '/')
var kind = toLower('${parts[6]}/${parts[7]}')
var resourceName = last(parts)

module aiServices 'rbac-admin-ai-services.bicep' = if (kind == 'microsoft.cognitiveservices/accounts') {
  name: take('flowdeploy-xai-${uniqueString(scopeResourceId, principalId)}', 64)
  params: {
    accountName: resourceName
    principalId: principalId
  }
}

module search 'rbac-admin-search.bicep' = if (kind == 'microsoft.search/searchservices') {
  name: take('flowdeploy-xsrch-${uniqueString(scopeResourceId, principalId)}', 64)
  params: {
    searchServiceName: resourceName
    principalId: principalId
  }
}

module storage 'rbac-admin-storage.bicep' = if (kind == 'microsoft.storage/storageaccounts') {
  name: take('flowdeploy-xst-${uniqueString(scopeResourceId, principalId)}', 64)
  params: {
    storageAccountName: resourceName
    principalId: principalId
  }
}

module keyVault 'rbac-admin-key-vault.bicep' = if (kind == 'microsoft.keyvault/vaults') {
  name: take('flowdeploy-xkv-${uniqueString(scopeResourceId, principalId)}', 64)
  params: {
    vaultName: resourceName
    principalId: principalId
  }
}
