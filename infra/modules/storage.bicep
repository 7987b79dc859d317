// The one storage account the app and its durable runtime live in: blob containers, queues and tables.
// Shared-key access is off: every client (the app, the KEDA scaler, Event Grid) authenticates with Entra ID.

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Durable task hub name as the app configures it (host.json extensions.durableTask.hubName).')
param hubName string

@description('Control-queue partitions of the task hub (host.json storageProvider.partitionCount, 1..16).')
@minValue(1)
@maxValue(16)
param partitionCount int

@description('Worker pools; each gets its own work-item queue {hub}-workitems-{pool}, except the durable runtime\'s default pool, which keeps upstream\'s {hub}-workitems.')
param workerPools string[]

@description('Tags for every resource.')
param tags object = {}

// Queues and containers take the lower-cased hub name; tables keep its case (DurableTask.AzureStorage convention).
var hub = toLower(hubName)

var appContainers = [
  'files'
  'datasets'
  'models'
  'jobs'
  'azure-webjobs-hosts'
  '${hub}-largemessages'
  '${hub}-leases'
]

var controlQueues = [for i in range(0, partitionCount): '${hub}-control-${padLeft(i, 2, '0')}']
var workItemQueues = [for pool in workerPools: pool == 'default' ? '${hub}-workitems' : '${hub}-workitems-${pool}']
// {hub}-poison: where the durable runtime moves messages that failed too often; webjobs-blobtrigger-poison: the blob
// trigger's equivalent (Functions convention).
var appQueues = concat(controlQueues, workItemQueues, ['${hub}-poison', 'webjobs-blobtrigger-poison'])

var appTables = [
  '${hubName}History'
  '${hubName}Instances'
  '${hubName}Partitions'
  'Files'
  'Jobs'
  'JobEvents'
  'Checkpoints'
  'ApiKeys'
]

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for container in appContainers: {
    parent: blobService
    name: container
    properties: { publicAccess: 'None' }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = [
  for queue in appQueues: {
    parent: queueService
    name: queue
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2024-01-01' = [
  for table in appTables: {
    parent: tableService
    name: table
  }
]

@description('The storage account name (the app reads it as AzureWebJobsStorage__accountName).')
output name string = account.name

@description('The storage account resource id.')
output id string = account.id

@description('The work-item queue of each worker pool, in the order of workerPools.')
output workItemQueues string[] = workItemQueues
