// RftFunctions in one resource group: storage (task hub + app data), a Container Apps environment with a GPU workload
// profile, the Function App as two Azure Functions apps on Container Apps sharing one task hub (rft-api: HTTP, blob
// and checkpoint triggers, a client of the hub; rft-training: every orchestrator and activity, on GPU, scaled from
// zero on the hub's queues), identity and least-privilege roles, Key Vault, monitoring, a registry, and Event Grid
// blob events. `azd up` deploys it (see docs/deploy.md).

targetScope = 'resourceGroup'

@description('azd environment name; names and tags derive from it.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource (pick one that offers the GPU workload profile type below).')
param location string = resourceGroup().location

@description('Durable task hub name (host.json extensions.durableTask.hubName).')
param hubName string = 'RftHub'

@description('Control-queue partitions of the task hub (host.json storageProvider.partitionCount).')
@minValue(1)
@maxValue(16)
param partitionCount int = 4

@description('GPU workload profile type, e.g. Consumption-GPU-NC8as-T4 (serverless T4), Consumption-GPU-NC24-A100 (serverless A100), NC24-A100 (dedicated).')
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Dedicated GPU profiles only: nodes kept when idle.')
@minValue(0)
param gpuProfileMinimumCount int = 0

@description('Dedicated GPU profiles only: most nodes.')
@minValue(1)
param gpuProfileMaximumCount int = 2

@description('vCPUs per training replica (the GPU profile fixes the allowed sizes: T4 8 / 56Gi, A100 24 / 220Gi).')
param trainingCpu string = '8'

@description('Memory per training replica.')
param trainingMemory string = '56Gi'

@description('Most training replicas (one GPU each).')
@minValue(1)
param trainingMaxReplicas int = 2

@description('Work items queued in the task hub per training replica before another is added (host.json maxConcurrentActivityFunctions: what one replica runs at once).')
@minValue(1)
param trainingWorkItemsPerReplica int = 4

@description('Most API replicas.')
@minValue(1)
param apiMaxReplicas int = 2

@description('Image of the API app (functionapp.Dockerfile, target api); empty until azd deploys one (a placeholder runs meanwhile).')
param apiImage string = ''

@description('Image of the training app (functionapp.Dockerfile, target training: the same publish output with libtorch\'s CUDA build).')
param trainingImage string = ''

@description('Create the Event Grid blob-event subscriptions. Event Grid validates a webhook when it is created, so turn this on once the API app runs the real image.')
param blobEventsEnabled bool = false

@description('Path of the API app\'s blob-events webhook (an HTTP function; /runtime/... and /admin/... belong to the Functions host).')
param blobEventsWebhookPath string = '/events/blob-created'

@secure()
@description('Shared key Event Grid presents to the app\'s webhook (stored in Key Vault).')
param blobEventsWebhookKey string

// Microsoft's sample Functions image: something that starts as a Functions host until azd deploys ours.
var placeholderImage = 'mcr.microsoft.com/azure-functions/dotnet8-quickstart-demo:1.0'
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }

// Every orchestrator and activity function of the Function App (their [Function] names: the names the orchestrations
// and the self-hosted registry use). The API app disables all of them, so the Durable extension starts no task hub
// worker there: it only starts, queries and controls instances, and every orchestration and activity runs on the
// training app. The infra tests compare this list with the names registered in src/ and fail when they drift.
var durableFunctions = [
  'TrainingJob'
  'Validation'
  'CheckpointEvaluation'
  'ValidateJob'
  'RolloutAndGrade'
  'PolicyUpdate'
  'RecordMetrics'
  'RecordJobStatus'
  'Checkpoint'
  'Finalize'
  'RecordCheckpointEvaluation'
]

// Names are computed here, not read from module outputs, so every module knows its resources' ids before deployment
// (precise what-if, no runtime values in resource identifiers).
var names = {
  identity: 'id-rft-${resourceToken}'
  storage: 'st${resourceToken}'
  workspace: 'log-rft-${resourceToken}'
  appInsights: 'appi-rft-${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  registry: 'cr${resourceToken}'
  environment: 'cae-rft-${resourceToken}'
  eventTopic: 'evgt-rft-${resourceToken}'
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    hubName: hubName
    partitionCount: partitionCount
    tags: tags
  }
}

module storageRoles 'modules/storage-roles.bicep' = {
  name: 'storage-roles'
  dependsOn: [identity, storage]
  params: {
    storageAccountName: names.storage
    identityName: names.identity
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  dependsOn: [identity, monitoring]
  params: {
    name: names.keyVault
    location: location
    readerIdentityName: names.identity
    appInsightsName: names.appInsights
    blobEventsWebhookKey: blobEventsWebhookKey
    tags: tags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  dependsOn: [identity]
  params: {
    name: names.registry
    location: location
    pullIdentityName: names.identity
    tags: tags
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  dependsOn: [monitoring]
  params: {
    name: names.environment
    location: location
    workspaceName: names.workspace
    gpuProfileType: gpuProfileType
    gpuProfileMinimumCount: gpuProfileMinimumCount
    gpuProfileMaximumCount: gpuProfileMaximumCount
    tags: tags
  }
}

// Both apps start only once their identity may read storage and secrets and pull images. They run the same
// functions from the same publish output and share the task hub: same storage account, same hub name and partition
// count (host.json's, overridden here with the template's values so storage and apps cannot drift apart).

// The OpenAI-compatible /v1 API (HTTP triggers), the datasets blob trigger and the checkpoint-manifest trigger: always
// one replica (the blob triggers poll), public HTTPS ingress, platform-managed HTTP scaling. A client of the task hub.
module api 'modules/function-app.bicep' = {
  name: 'app-api'
  dependsOn: [storageRoles, environment]
  params: {
    name: 'rft-api'
    serviceName: 'api'
    location: location
    environmentName: names.environment
    workloadProfileName: 'Consumption'
    image: empty(apiImage) ? placeholderImage : apiImage
    registryServer: registry.outputs.loginServer
    identityName: names.identity
    storageAccountName: names.storage
    hubName: hubName
    partitionCount: partitionCount
    disabledFunctions: durableFunctions
    cpu: '1'
    memory: '2Gi'
    minReplicas: 1
    maxReplicas: apiMaxReplicas
    externalIngress: true
    appInsightsConnectionStringSecretUri: keyVault.outputs.appInsightsConnectionStringSecretUri
    blobEventsWebhookKeySecretUri: keyVault.outputs.blobEventsWebhookKeySecretUri
    tags: tags
  }
}

// Every orchestrator and activity (rollouts, grading, policy updates, bookkeeping) on the GPU profile; GPU work is
// serialized per device inside each replica. No replica exists while the task hub's queues are empty.
module training 'modules/function-app.bicep' = {
  name: 'app-training'
  dependsOn: [storageRoles]
  params: {
    name: 'rft-training'
    serviceName: 'training'
    location: location
    environmentName: names.environment
    workloadProfileName: environment.outputs.gpuProfileName
    image: empty(trainingImage) ? placeholderImage : trainingImage
    registryServer: registry.outputs.loginServer
    identityName: names.identity
    device: 'cuda'
    storageAccountName: names.storage
    hubName: hubName
    partitionCount: partitionCount
    cpu: trainingCpu
    memory: trainingMemory
    minReplicas: 0
    maxReplicas: trainingMaxReplicas
    taskHubQueues: storage.outputs.taskHubQueues
    workItemsPerReplica: trainingWorkItemsPerReplica
    appInsightsConnectionStringSecretUri: keyVault.outputs.appInsightsConnectionStringSecretUri
    tags: tags
  }
}

module blobEvents 'modules/blob-events.bicep' = if (blobEventsEnabled) {
  name: 'blob-events'
  dependsOn: [storage]
  params: {
    name: names.eventTopic
    location: location
    storageAccountName: names.storage
    apiFqdn: api.outputs.fqdn
    webhookPath: blobEventsWebhookPath
    webhookKey: blobEventsWebhookKey
    tags: tags
  }
}

@description('azd pushes images here.')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer

@description('Base URL of the API app (OpenAI-compatible /v1 routes).')
output RFT_API_URL string = 'https://${api.outputs.fqdn}'

@description('Storage account holding files, datasets, models, jobs, the task hub and the Functions hosts\' state.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Key Vault with the app\'s secrets.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Durable task hub name (both apps).')
output RFT_HUB_NAME string = hubName
