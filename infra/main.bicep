// RftFunctions in one resource group: storage (durable runtime + app data), a Container Apps environment with a GPU
// workload profile, three apps running the same `rft` image in different roles, identity and least-privilege roles,
// Key Vault, monitoring, a registry, and Event Grid blob events. `azd up` deploys it (see docs/deploy.md).

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

@description('vCPUs per GPU worker replica (the GPU profile fixes the allowed sizes: T4 8 / 56Gi, A100 24 / 220Gi).')
param gpuWorkerCpu string = '8'

@description('Memory per GPU worker replica.')
param gpuWorkerMemory string = '56Gi'

@description('Most GPU worker replicas (one GPU each).')
@minValue(1)
param gpuWorkerMaxReplicas int = 2

@description('GPU work items queued per GPU worker replica before KEDA adds another.')
@minValue(1)
param gpuMessagesPerReplica int = 4

@description('Fewest CPU worker replicas (0: graders start on demand; 1: no cold start).')
@minValue(0)
param cpuWorkerMinReplicas int = 0

@description('Most CPU worker replicas.')
@minValue(1)
param cpuWorkerMaxReplicas int = 4

@description('Most API/orchestration host replicas (orchestration partitions are shared among them by lease).')
@minValue(1)
param apiMaxReplicas int = 2

@description('Image of the API/orchestration host; empty until azd deploys one (a placeholder runs meanwhile).')
param apiImage string = ''

@description('Image of the CPU worker (the host image).')
param cpuWorkerImage string = ''

@description('Image of the GPU worker (the CUDA image).')
param gpuWorkerImage string = ''

@description('Create the Event Grid blob-event subscriptions. Event Grid validates a webhook when it is created, so turn this on once the API app runs the real image.')
param blobEventsEnabled bool = false

@description('Path of the app\'s Event Grid webhook.')
param blobEventsWebhookPath string = '/runtime/webhooks/eventgrid'

@secure()
@description('Shared key Event Grid presents to the app\'s webhook (stored in Key Vault).')
param blobEventsWebhookKey string

var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }
// The durable runtime's pools: gpu and cpu workers, and `default` for activities that name no pool (served by the
// always-on host, so such an activity never waits for a scale-out).
var workerPools = ['gpu', 'cpu', 'default']

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
    workerPools: workerPools
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

// Every app starts only once its identity may read storage and secrets and pull images.

// The API and the orchestrations: always on (at least one replica), public ingress.
module api 'modules/container-app.bicep' = {
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
    roles: 'api,orchestrations,pool:default'
    storageAccountName: names.storage
    hubName: hubName
    partitionCount: partitionCount
    cpu: '1'
    memory: '2Gi'
    minReplicas: 1
    maxReplicas: apiMaxReplicas
    ingress: true
    appInsightsConnectionStringSecretUri: keyVault.outputs.appInsightsConnectionStringSecretUri
    blobEventsWebhookKeySecretUri: keyVault.outputs.blobEventsWebhookKeySecretUri
    tags: tags
  }
}

// Rollouts, policy updates, model-graded scoring: GPU replicas exist only while the gpu work-item queue has work.
module gpuWorker 'modules/container-app.bicep' = {
  name: 'app-gpu-worker'
  dependsOn: [storageRoles]
  params: {
    name: 'rft-gpu-worker'
    serviceName: 'gpu-worker'
    location: location
    environmentName: names.environment
    workloadProfileName: environment.outputs.gpuProfileName
    image: empty(gpuWorkerImage) ? placeholderImage : gpuWorkerImage
    registryServer: registry.outputs.loginServer
    identityName: names.identity
    roles: 'pool:gpu'
    device: 'cuda'
    storageAccountName: names.storage
    hubName: hubName
    partitionCount: partitionCount
    cpu: gpuWorkerCpu
    memory: gpuWorkerMemory
    minReplicas: 0
    maxReplicas: gpuWorkerMaxReplicas
    scaleQueueName: storage.outputs.workItemQueues[indexOf(workerPools, 'gpu')]
    scaleQueueLength: gpuMessagesPerReplica
    appInsightsConnectionStringSecretUri: keyVault.outputs.appInsightsConnectionStringSecretUri
    tags: tags
  }
}

// Graders, dataset checks, bookkeeping activities.
module cpuWorker 'modules/container-app.bicep' = {
  name: 'app-cpu-worker'
  dependsOn: [storageRoles, environment]
  params: {
    name: 'rft-cpu-worker'
    serviceName: 'cpu-worker'
    location: location
    environmentName: names.environment
    workloadProfileName: 'Consumption'
    image: empty(cpuWorkerImage) ? placeholderImage : cpuWorkerImage
    registryServer: registry.outputs.loginServer
    identityName: names.identity
    roles: 'pool:cpu'
    storageAccountName: names.storage
    hubName: hubName
    partitionCount: partitionCount
    cpu: '2'
    memory: '4Gi'
    minReplicas: cpuWorkerMinReplicas
    maxReplicas: cpuWorkerMaxReplicas
    scaleQueueName: storage.outputs.workItemQueues[indexOf(workerPools, 'cpu')]
    scaleQueueLength: 8
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

@description('Base URL of the API (OpenAI-compatible /v1 routes, /healthz).')
output RFT_API_URL string = 'https://${api.outputs.fqdn}'

@description('Storage account holding files, datasets, models, jobs and the task hub.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Key Vault with the app\'s secrets.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Durable task hub name.')
output RFT_HUB_NAME string = hubName
