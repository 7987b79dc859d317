// Data-plane roles on the storage account only: the app reads and writes blobs, queues and tables and needs nothing
// else (no management-plane role, no account keys, nothing at resource-group scope).

@description('Name of the storage account the roles are scoped to.')
param storageAccountName string

@description('Name of the user-assigned identity the apps run as.')
param identityName string

// Built-in role definition ids (the same in every tenant).
var dataRoles = {
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(dataRoles): {
    name: guid(account.id, identity.id, role.value)
    scope: account
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    }
  }
]
