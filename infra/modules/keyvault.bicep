// Key Vault for the app's secrets. RBAC authorisation only (no access policies); the app's identity may read secrets
// of this vault and nothing more. Container Apps resolve the secrets by Key Vault reference with that identity.

@description('Key Vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Name of the user-assigned identity the apps run as (it gets the role below).')
param readerIdentityName string

@description('Application Insights component whose connection string is stored as a secret.')
param appInsightsName string

@secure()
@description('Shared key Event Grid sends in a header when it delivers blob events to the app\'s webhook.')
param blobEventsWebhookKey string

@description('Tags for every resource.')
param tags object = {}

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: readerIdentityName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource appInsightsSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'appinsights-connection-string'
  properties: { value: appInsights.properties.ConnectionString }
}

resource webhookKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'blob-events-webhook-key'
  properties: { value: blobEventsWebhookKey }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

@description('Key Vault name.')
output name string = vault.name

@description('Secret URI (without version, so a rotation is picked up) of the Application Insights connection string.')
output appInsightsConnectionStringSecretUri string = '${vault.properties.vaultUri}secrets/${appInsightsSecret.name}'

@description('Secret URI (without version) of the Event Grid webhook key.')
output blobEventsWebhookKeySecretUri string = '${vault.properties.vaultUri}secrets/${webhookKeySecret.name}'
