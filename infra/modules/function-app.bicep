// One Azure Functions app on Container Apps (kind 'functionapp'): the Functions host with the RftFunctions isolated
// worker, from the image infra/docker/functionapp.Dockerfile builds. Both apps of the deployment run the same
// functions.metadata; what each one runs is chosen with AzureWebJobs_<Function>_Disabled settings. Storage is reached
// with the user-assigned identity (no connection string, no key); secrets are Key Vault references.

@description('Container App name (also the Functions host id, so blob-trigger receipts and locks survive revisions).')
@maxLength(32)
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

@description('Name of the user-assigned identity the app runs as (storage, Key Vault, registry and the scale rules).')
param identityName string

@description('Value of Rft__Device: where this app puts its models (cpu, cuda or cuda:N). A replica whose TorchSharp build or node cannot use it fails at start with a message saying so.')
@allowed(['cpu', 'cuda', 'cuda:0'])
param device string = 'cpu'

@description('Storage account of AzureWebJobsStorage: the task hub, the Functions host\'s own containers and the app\'s data.')
param storageAccountName string

@description('Durable task hub name (overrides host.json extensions.durableTask.hubName, the same value in every app).')
param hubName string

@description('Control-queue partitions of the task hub (overrides host.json storageProvider.partitionCount).')
param partitionCount int

@description('Functions this app must not run (AzureWebJobs_<name>_Disabled=true): the API app lists every orchestrator and activity, so it starts no task hub worker and stays a client of the hub.')
param disabledFunctions string[] = []

@description('vCPUs per replica (as a string, e.g. "1" or "8").')
param cpu string

@description('Memory per replica, e.g. "2Gi" (must match the CPU per the workload profile rules).')
param memory string

@description('Fewest replicas (0 lets the app scale to zero).')
@minValue(0)
param minReplicas int

@description('Most replicas.')
@minValue(1)
param maxReplicas int

@description('Public HTTPS ingress (the API app); otherwise ingress is internal to the environment.')
param externalIngress bool = false

@description('Queues of the task hub to scale on (work-item queue first, then control queues). Empty: the platform\'s own Functions scaling, which knows HTTP and blob triggers but not Durable Functions on Azure Storage.')
param taskHubQueues string[] = []

@description('Work items queued per replica before another replica is added (keep it at host.json maxConcurrentActivityFunctions).')
@minValue(1)
param workItemsPerReplica int = 1

@description('Key Vault secret URI of the Application Insights connection string.')
param appInsightsConnectionStringSecretUri string

@description('Key Vault secret URI of the blob-events webhook key; used (and required) only with external ingress.')
param blobEventsWebhookKeySecretUri string = ''

@description('Tags for every resource.')
param tags object = {}

// The Functions host listens on port 80 in Microsoft's base images.
var port = 80

// Control-queue messages only have to wake a replica: orchestrator episodes are short and one replica serves every
// partition, so one replica per this many queued messages (the work-item rule sizes the GPU fleet).
var controlMessagesPerReplica = 100

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' existing = {
  name: environmentName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

// The Functions host and DefaultAzureCredential in the app pick the user-assigned identity by its client id.
var identityClientId = identity.properties.clientId
var identityId = identity.id

var baseSecrets = [
  {
    name: 'appinsights-connection-string'
    keyVaultUrl: appInsightsConnectionStringSecretUri
    identity: identityId
  }
]
// Only the app with public ingress takes Event Grid webhook calls; the condition is a literal so the template engine
// can expand the lists at validation time.
var webhookSecrets = !externalIngress
  ? []
  : [
      {
        name: 'blob-events-webhook-key'
        keyVaultUrl: blobEventsWebhookKeySecretUri
        identity: identityId
      }
    ]

var baseEnv = [
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
  { name: 'AzureFunctionsWebHost__hostid', value: name }
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'AzureFunctionsJobHost__extensions__durableTask__hubName', value: hubName }
  { name: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount', value: string(partitionCount) }
  { name: 'Rft__EmbeddedAzurite', value: 'false' }
  { name: 'Rft__Device', value: device }
  { name: 'OTEL_SERVICE_NAME', value: name }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }
]
var webhookEnv = !externalIngress
  ? []
  : [{ name: 'Rft__BlobEvents__WebhookKey', secretRef: 'blob-events-webhook-key' }]
// Linux environment variables cannot carry the dots of AzureWebJobs.<name>.Disabled; the host also reads this form.
var disabledEnv = map(disabledFunctions, f => { name: 'AzureWebJobs_${f}_Disabled', value: 'true' })

// KEDA azure-queue rules on the task hub, authenticated by the identity. queueLengthStrategy 'all' counts messages
// being processed too (an activity's work item stays invisible while it runs): counting only visible ones would let
// the app scale to zero under a policy update that runs longer than the cool-down, and the replica would be stopped
// mid-step.
var taskHubRules = [
  for (queue, i) in taskHubQueues: {
    name: queue
    custom: {
      type: 'azure-queue'
      identity: identityId
      metadata: {
        accountName: storageAccountName
        queueName: queue
        queueLength: string(i == 0 ? workItemsPerReplica : controlMessagesPerReplica)
        queueLengthStrategy: 'all'
      }
    }
  }
]

resource app 'Microsoft.App/containerApps@2026-03-02-preview' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: workloadProfileName
    configuration: {
      // One revision at a time: revisions of a Functions app must not share a storage account's host state.
      activeRevisionsMode: 'Single'
      secrets: concat(baseSecrets, webhookSecrets)
      registries: [{ server: registryServer, identity: identityId }]
      // Functions on Container Apps needs ingress for its event-driven scaling; internal keeps the app unreachable
      // from outside the environment.
      ingress: {
        external: externalIngress
        targetPort: port
        transport: 'auto'
        allowInsecure: false
      }
    }
    template: {
      containers: [
        {
          name: 'functions'
          image: image
          env: concat(baseEnv, webhookEnv, disabledEnv)
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          probes: [
            {
              // The host answers on its port once it runs; models load lazily in activities, not at start.
              type: 'Startup'
              tcpSocket: { port: port }
              periodSeconds: 5
              failureThreshold: 60
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
      // A replica stopped by scale-in or a new revision gets this long to finish the activity it runs; whatever is
      // cut short is redelivered (activities are at-least-once and idempotent).
      terminationGracePeriodSeconds: empty(taskHubQueues) ? 30 : 600
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        // The Functions platform generates scale rules only for triggers it can watch, and Durable Functions on Azure
        // Storage is not one of them: with task hub queues given, our rules replace the generated ones. The property
        // is documented for this API version but missing from Bicep's type library.
        #disable-next-line BCP037
        allowScalingRuleOverride: !empty(taskHubQueues)
        rules: taskHubRules
      }
    }
  }
}

@description('Host name of the app (public when externalIngress, else environment-internal).')
output fqdn string = app.properties.configuration.ingress.fqdn

@description('Container App name.')
output name string = app.name
