// The Flex Consumption plan (FC1) and the Function App (Linux, Node.js) running as the user-assigned
// identity. Flex Consumption takes the runtime, the deployment container and scaling from
// functionAppConfig instead of app settings (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and
// WEBSITE_RUN_FROM_PACKAGE are not used there), and reads the package from a blob container with the
// app's identity. Shapes from the Flex quickstarts (Azure-Samples/functions-quickstart-typescript-azd
// infra/app/api.bicep, through AVM avm/res/web/site 0.15.1, which deploys Microsoft.Web/sites@2024-04-01
// with functionAppConfig). The tag azd-service-name: api is how azd finds the app to deploy to.

@description('Function App name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for both resources.')
param tags object

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Blob endpoint of the storage account holding the deployment container, ending in /.')
param storageBlobEndpoint string

@description('Deployment container name.')
param deploymentContainerName string

@description('Node.js major version.')
param nodeVersion string

@description('Memory per instance in MB.')
param instanceMemoryMB int

@description('Most instances the app scales out to.')
param maximumInstanceCount int

@description('App settings (the whole set: settings not listed here are removed).')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// App settings as their own resource (as AVM's config--appsettings does), so they are applied after the
// site exists. A PUT replaces the whole set.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// No basic (user name and password) publishing credentials for FTP or the SCM site: azd publishes to a
// Flex Consumption app with an Entra token (Azure/azure-dev cli/azd/pkg/azapi/function_app.go,
// DeployFunctionAppUsingZipFileFlexConsumption), so the site keeps no deployment password.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
