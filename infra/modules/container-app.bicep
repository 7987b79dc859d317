// One role of the `rft` executable as a Container App. The same image serves every role; Rft__Roles picks what the
// process does. Storage is reached with the user-assigned identity (no connection string); secrets come from Key
// Vault references, never from plain environment values.

@description('Container App name.')
param name string

@description('Azure region.')
param location string

@description('azd service name (azure.yaml) this app deploys as.')
param serviceName string

@description('Container Apps environment name.')
param environmentName string

@description('Workload profile: Consumption, or the GPU profile.')
param workloadProfileName string

@description('Image to run; azd replaces it on deploy.')
param image string

@description('Registry login server the image is pulled from with the identity.')
param registryServer string

@description('Name of the user-assigned identity the app runs as (storage, Key Vault, registry and the scale rule).')
param identityName string

@description('Value of Rft__Roles: all, or a comma list of api, orchestrations, pool:gpu, pool:cpu.')
param roles string

@description('Value of Rft__Device: where this app puts its models (cpu, cuda or cuda:N). A replica whose TorchSharp build or node cannot use it fails at start with a message saying so.')
@allowed(['cpu', 'cuda', 'cuda:0'])
param device string = 'cpu'

@description('Storage account the app (and the scale rule) use.')
param storageAccountName string

@description('Durable task hub name.')
param hubName string

@description('Control-queue partitions of the task hub.')
param partitionCount int

@description('vCPUs per replica (as a string, e.g. "0.5" or "8").')
param cpu string

@description('Memory per replica, e.g. "1Gi" (must match the CPU per the workload profile rules).')
param memory string

@description('Fewest replicas (0 lets the app scale to zero).')
@minValue(0)
param minReplicas int

@description('Most replicas.')
@minValue(1)
param maxReplicas int

@description('Expose HTTP ingress (the API host only).')
param ingress bool = false

@description('Scale on the length of this queue (a worker pool\'s work-item queue); empty for HTTP-driven scaling.')
param scaleQueueName string = ''

@description('Queue messages per replica before another replica is added.')
@minValue(1)
param scaleQueueLength int = 1

@description('Key Vault secret URI of the Application Insights connection string.')
param appInsightsConnectionStringSecretUri string

@description('Key Vault secret URI of the blob-events webhook key; used (and required) only when ingress is on.')
param blobEventsWebhookKeySecretUri string = ''

@description('Tags for every resource.')
param tags object = {}

var port = 8080

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' existing = {
  name: environmentName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

// DefaultAzureCredential picks the user-assigned identity by its client id.
var identityClientId = identity.properties.clientId
var identityId = identity.id

var baseSecrets = [
  {
    name: 'appinsights-connection-string'
    keyVaultUrl: appInsightsConnectionStringSecretUri
    identity: identityId
  }
]
// Only the app with ingress takes Event Grid webhook calls; the condition is a literal so the template engine can
// expand the lists at validation time.
var webhookSecrets = !ingress
  ? []
  : [
      {
        name: 'blob-events-webhook-key'
        keyVaultUrl: blobEventsWebhookKeySecretUri
        identity: identityId
      }
    ]

var baseEnv = [
  { name: 'ASPNETCORE_URLS', value: 'http://+:${port}' }
  { name: 'Rft__Roles', value: roles }
  { name: 'Rft__EmbeddedAzurite', value: 'false' }
  { name: 'Rft__Device', value: device }
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'AzureFunctionsJobHost__extensions__durableTask__hubName', value: hubName }
  { name: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount', value: string(partitionCount) }
  { name: 'OTEL_SERVICE_NAME', value: name }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }
]
var webhookEnv = !ingress
  ? []
  : [{ name: 'Rft__BlobEvents__WebhookKey', secretRef: 'blob-events-webhook-key' }]

var queueRules = empty(scaleQueueName)
  ? []
  : [
      {
        name: 'work-items'
        azureQueue: {
          accountName: storageAccountName
          queueName: scaleQueueName
          queueLength: scaleQueueLength
          identity: identityId
        }
      }
    ]

resource app 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: concat(baseSecrets, webhookSecrets)
      registries: [{ server: registryServer, identity: identityId }]
      ingress: ingress
        ? {
            external: true
            targetPort: port
            transport: 'auto'
            allowInsecure: false
          }
        : null
    }
    template: {
      containers: [
        {
          name: 'rft'
          image: image
          args: ['host']
          env: concat(baseEnv, webhookEnv)
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          probes: [
            {
              type: 'Startup'
              httpGet: { path: '/healthz', port: port }
              periodSeconds: 5
              failureThreshold: 60
            }
            {
              type: 'Readiness'
              httpGet: { path: '/healthz', port: port }
              periodSeconds: 10
            }
            {
              // Liveness only asks whether the process answers at all: a storage outage must not restart replicas.
              type: 'Liveness'
              tcpSocket: { port: port }
              periodSeconds: 30
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: queueRules
      }
    }
  }
}

@description('Public host name when ingress is on, else empty.')
output fqdn string = ingress ? app.properties.configuration.ingress.fqdn : ''

@description('Container App name.')
output name string = app.name
