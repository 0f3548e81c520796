// Managed Identity Operator on one user-assigned identity listed in FLOWDEPLOY_ALLOWED_IDENTITIES, and
// on nothing else (issue 13 item 1): the app reads the identity's principal and client id from Azure
// (userAssignedIdentities/read) and attaches it to an endpoint (.../assign/action) (docs/pipeline.md).

@description('Identity name (this module is deployed to its resource group).')
param identityName string

@description('Principal id of the Function App identity.')
param principalId string

// Managed Identity Operator (verified in Azure/bicep-registry-modules builtInRoleNames maps).
var managedIdentityOperator = 'f1a07417-d97a-45cb-824c-7a7467783830'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource operator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(identity.id, principalId, managedIdentityOperator)
  scope: identity
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', managedIdentityOperator)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
