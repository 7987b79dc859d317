// The user-assigned identity every app runs as; roles are granted to it resource by resource, never wider.

@description('Identity name.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id (apps, scale rules and Key Vault references name the identity by it).')
output id string = identity.id

@description('Client id (AzureWebJobsStorage__clientId and AZURE_CLIENT_ID for DefaultAzureCredential).')
output clientId string = identity.properties.clientId

@description('Principal id (role assignments).')
output principalId string = identity.properties.principalId
