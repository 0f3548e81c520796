// Log Analytics + workspace-based Application Insights, both with local (key) auth disabled, and
// Monitoring Metrics Publisher for the app identity so the Functions host can send telemetry with
// Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING = 'ClientId=<client id>;Authorization=AAD', as
// Azure-Samples/durable-functions-quickstart-typescript-azd infra/app/api.bicep and infra/app/rbac.bicep).

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags for both resources.')
param tags object

@description('Principal id of the Function App identity (gets Monitoring Metrics Publisher on Application Insights).')
param principalId string

// Monitoring Metrics Publisher (verified in Azure/bicep-registry-modules builtInRoleNames maps and the
// durable quickstart's infra/app/rbac.bicep).
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      // WorkspaceFeatures.disableLocalAuth, azure-rest-api-specs operationalinsights stable/2023-09-01/Workspaces.json
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Property names are capitalised in this API version (AVM avm/res/insights/component main.bicep).
    DisableLocalAuth: true
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output applicationInsightsName string = applicationInsights.name
// The connection string carries the instrumentation key, an identifier rather than a secret: with
// DisableLocalAuth the component accepts only Entra-authenticated telemetry.
output connectionString string = applicationInsights.properties.ConnectionString
