// The Function App on the Flex Consumption plan (Linux, Python). Every credential is
// the user-assigned identity: host storage, deployment package, Key Vault references,
// Application Insights ingestion and the app's own Azure SDK clients (AZURE_CLIENT_ID).
param name string
param planName string
param location string
param tags object = {}

param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerUrl string
param appInsightsConnectionString string

param pythonVersion string = '3.11'
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

// fleetdoc settings: exactly the names in shared/settings.py (checked by tests/infra).
param scanSchedule string
param scopeSubscriptions string
param scopeManagementGroup string
param language string
param since string
param shardQueueName string
param stateTableName string
param reportContainerName string
param inlineMaxClusters int
@description('Versionless Key Vault secret URI of the Teams webhook URL; empty disables Teams.')
param teamsWebhookSecretUri string
param notifyMinSeverity string
param reminderHours int
param authorityHost string
param armEndpoint string
param logsEndpoint string
param logsAudience string
param graphEndpoint string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225:A scheduled scan tolerates a zonal outage (the next run catches up through the watermarks); zone redundancy would require always-ready instances.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_222:The HTTP diagnosis API is called from outside Azure; it is protected by function keys and optionally Entra ID authentication (docs/deploy.md).
  //checkov:skip=CKV_AZURE_17:Callers authenticate with function keys or Entra ID tokens, not client certificates.
  //checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero; always-ready instances for a 15-minute timer would cost money for no availability gain.
  //checkov:skip=CKV_AZURE_213:App Service health check does not apply to a scale-to-zero Flex Consumption app; GET /api/health serves external probes.
  name: name
  location: location
  // azd finds the deployment target of service `api` by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Flex Consumption sets the runtime in functionAppConfig; FUNCTIONS_WORKER_RUNTIME
      // and FUNCTIONS_EXTENSION_VERSION are rejected as app settings on this plan.
      appSettings: [
        // Host storage through the identity: no connection string, no key.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        // Local auth is off on the component: ingest with the identity's token.
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        {
          name: 'FLEETDOC_SCAN_SCHEDULE'
          value: scanSchedule
        }
        {
          name: 'FLEETDOC_SCOPE_SUBSCRIPTIONS'
          value: scopeSubscriptions
        }
        {
          name: 'FLEETDOC_SCOPE_MANAGEMENT_GROUP'
          value: scopeManagementGroup
        }
        {
          name: 'FLEETDOC_LANGUAGE'
          value: language
        }
        {
          name: 'FLEETDOC_SINCE'
          value: since
        }
        {
          name: 'FLEETDOC_SHARD_QUEUE'
          value: shardQueueName
        }
        {
          name: 'FLEETDOC_STATE_TABLE'
          value: stateTableName
        }
        {
          name: 'FLEETDOC_REPORT_CONTAINER'
          value: reportContainerName
        }
        {
          name: 'FLEETDOC_INLINE_MAX_CLUSTERS'
          value: string(inlineMaxClusters)
        }
        // A Key Vault reference resolved by the platform with keyVaultReferenceIdentity;
        // the URL itself never appears in the app settings or the deployment history.
        {
          name: 'FLEETDOC_TEAMS_WEBHOOK_URL'
          value: empty(teamsWebhookSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${teamsWebhookSecretUri})'
        }
        {
          name: 'FLEETDOC_NOTIFY_MIN_SEVERITY'
          value: notifyMinSeverity
        }
        {
          name: 'FLEETDOC_REMINDER_HOURS'
          value: string(reminderHours)
        }
        // In Azure the fleet always comes from Azure ('auto' would pick the bundled sample
        // fleet when no scope is set); the local fleet folder is a CLI-only option.
        {
          name: 'FLEETDOC_SOURCE'
          value: 'azure'
        }
        {
          name: 'FLEETDOC_DATA'
          value: ''
        }
        {
          name: 'FLEETDOC_ARM_ENDPOINT'
          value: armEndpoint
        }
        {
          name: 'FLEETDOC_LOGS_ENDPOINT'
          value: logsEndpoint
        }
        {
          name: 'FLEETDOC_LOGS_AUDIENCE'
          value: logsAudience
        }
        {
          name: 'FLEETDOC_GRAPH_ENDPOINT'
          value: graphEndpoint
        }
        // Azure endpoints present public certificates: the system trust store is right.
        {
          name: 'FLEETDOC_CA_BUNDLE'
          value: ''
        }
        // Per-call timeout of the Azure clients, in seconds (the code's default).
        {
          name: 'FLEETDOC_AZURE_TIMEOUT'
          value: '60'
        }
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'AZURE_AUTHORITY_HOST'
          value: authorityHost
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// No FTP and no basic-auth publishing: azd deploys to Flex Consumption with Entra ID.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
