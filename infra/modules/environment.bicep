// The Container Apps environment: a Consumption profile for the API app and one GPU workload profile for the training
// app. Serverless GPU profiles (Consumption-GPU-*) bill per second and scale to zero;
// dedicated ones (e.g. NC24-A100) bill per node between minimum and maximum node counts.

@description('Environment name.')
param name string

@description('Azure region (GPU workload profiles exist only in some regions).')
param location string

@description('Log Analytics workspace the environment sends container logs to.')
param workspaceName string

@description('GPU workload profile type: Consumption-GPU-NC8as-T4, Consumption-GPU-NC24-A100 (serverless) or a dedicated NC24-A100 / NC48-A100 / NC96-A100.')
param gpuProfileType string

@description('Dedicated GPU profiles only: nodes kept even when idle (0 lets the profile scale to zero).')
@minValue(0)
param gpuProfileMinimumCount int

@description('Dedicated GPU profiles only: most nodes.')
@minValue(1)
param gpuProfileMaximumCount int

@description('Tags for every resource.')
param tags object = {}

var gpuServerless = startsWith(gpuProfileType, 'Consumption-')
var gpuProfile = gpuServerless
  ? { name: 'gpu', workloadProfileType: gpuProfileType }
  : {
      name: 'gpu'
      workloadProfileType: gpuProfileType
      minimumCount: gpuProfileMinimumCount
      maximumCount: gpuProfileMaximumCount
    }

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      gpuProfile
    ]
  }
}

@description('Environment resource id.')
output id string = environment.id

@description('Environment name.')
output name string = environment.name

@description('Name of the GPU workload profile apps select.')
output gpuProfileName string = gpuProfile.name
