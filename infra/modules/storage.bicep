// The one storage account both Function Apps and their task hub live in: blob containers, queues and tables.
// Shared-key access is off: every client (the Functions host, the app, the KEDA scaler, Event Grid) authenticates with
// Entra ID. The task hub is Durable Functions' own Azure Storage layout; the engine would create it on first start, it
// is created here so the scale rules have queues to watch before any app has run.

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

@description('Tags for every resource.')
param tags object = {}

// Queues and containers take the lower-cased hub name; tables keep its case (DurableTask.AzureStorage convention).
var hub = toLower(hubName)

// azure-webjobs-hosts: the Functions host's locks and blob-trigger receipts; azure-webjobs-secrets: its keys (the
// system key of /runtime/webhooks/durabletask among them).
var appContainers = [
  'files'
  'datasets'
  'models'
  'jobs'
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
  '${hub}-largemessages'
  '${hub}-leases'
]

// One control queue per partition (orchestration messages) and ONE work-item queue that every worker competes for.
var controlQueues = [for i in range(0, partitionCount): '${hub}-control-${padLeft(i, 2, '0')}']
var workItemQueue = '${hub}-workitems'
// webjobs-blobtrigger-poison: where the blob trigger puts a blob that failed five times (Functions convention).
var appQueues = concat(controlQueues, [workItemQueue, 'webjobs-blobtrigger-poison'])

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

@description('The task hub\'s queues a worker scales on: the work-item queue first, then the control queues.')
output taskHubQueues string[] = concat([workItemQueue], controlQueues)
