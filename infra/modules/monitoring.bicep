// Log Analytics (container logs) and workspace-based Application Insights (the app's OpenTelemetry exporter target).

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Days logs are kept (30 is the free retention of the pay-as-you-go tier).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Tags for every resource.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

@description('Workspace name (the Container Apps environment sends its logs there).')
output workspaceName string = workspace.name

@description('Application Insights component name (Key Vault stores its connection string).')
output appInsightsName string = appInsights.name
