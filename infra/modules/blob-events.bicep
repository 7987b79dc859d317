// Event Grid system topic on the storage account: BlobCreated events for dataset uploads and for checkpoint
// manifests (written last, so the event means the checkpoint is complete) are pushed to the API app's webhook, an
// HTTP function that checks a shared header key (the same handler the self-hosted host serves). This is the
// low-latency path; the blob triggers' scans stay as the fallback that catches anything missed (and a scan of the
// large jobs container is slow, which is why the manifest event matters).

@description('System topic name.')
param name string

@description('Azure region (the storage account\'s).')
param location string

@description('Storage account the topic listens to.')
param storageAccountName string

@description('Public host name of the API app.')
param apiFqdn string

@description('Path of the app\'s Event Grid webhook, e.g. /events/blob-created.')
param webhookPath string

@secure()
@description('Shared key sent in the x-rft-webhook-key header; the app rejects deliveries without it.')
param webhookKey string

@description('Tags for every resource.')
param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

var webhook = {
  endpointType: 'WebHook'
  properties: {
    endpointUrl: 'https://${apiFqdn}${webhookPath}'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
    deliveryAttributeMappings: [
      {
        name: 'x-rft-webhook-key'
        type: 'Static'
        properties: { value: webhookKey, isSecret: true }
      }
    ]
  }
}

var retry = { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }

resource datasets 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'datasets-blob-created'
  properties: {
    destination: webhook
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: retry
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/datasets/blobs/'
    }
  }
}

resource checkpointManifests 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'checkpoint-manifest-created'
  properties: {
    destination: webhook
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: retry
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      // jobs/{jobId}/checkpoints/{step}/manifest.json
      subjectBeginsWith: '/blobServices/default/containers/jobs/blobs/'
      subjectEndsWith: '/manifest.json'
      advancedFilters: [
        { operatorType: 'StringContains', key: 'subject', values: ['/checkpoints/'] }
      ]
    }
  }
}
