// The Function App's user-assigned identity: every role below is granted to it, and every
// identity-based connection names its client id. User-assigned (not system-assigned) so the roles,
// several of them on resources in other resource groups, exist before the app does and survive it
// (docs/pipeline.md, "a user-assigned managed identity is recommended"; the Functions azd quickstarts
// Azure-Samples/functions-quickstart-typescript-azd infra/main.bicep do the same).

@description('Name of the identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
