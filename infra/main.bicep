// fleetdoc: one `azd up` deploys the Function App (Flex Consumption, Python), its
// storage, telemetry, Key Vault and identity into a new resource group, and grants the
// identity read access to the subscriptions it scans. For a management group scope,
// deploy mg-roles.bicep separately (see docs/deploy.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; part of every resource name.')
param environmentName string

@minLength(1)
@description('Azure region of every resource (one that offers Flex Consumption).')
param location string

@description('Comma-separated subscription ids to scan; the identity gets read roles on each. Empty with no management group: this subscription.')
param scopeSubscriptions string = ''

@description('Management group id to scan. Grant the roles with mg-roles.bicep; no subscription roles are granted here then.')
param scopeManagementGroup string = ''

@description('NCRONTAB schedule (six fields, UTC) of the fleet scan.')
param scanSchedule string = '0 */15 * * * *'

@allowed([
  'en'
  'zh-Hans'
  'zh-Hant'
  'de'
])
param language string = 'en'

@description('Look-back window of a scan when no watermark exists yet.')
param since string = '24h'

@minValue(0)
param inlineMaxClusters int = 25

@allowed([
  'critical'
  'high'
  'medium'
  'low'
  'info'
])
param notifyMinSeverity string = 'medium'

@minValue(0)
@description('Re-post open high and critical findings after this many hours; 0 turns reminders off.')
param reminderHours int = 0

@description('Log Analytics query API endpoint; change for sovereign clouds (ARM and sign-in endpoints follow the cloud of the deployment).')
param logsEndpoint string = 'https://api.loganalytics.io'

@description('Token audience of the Log Analytics endpoint when it differs from the endpoint; empty = the endpoint.')
param logsAudience string = ''

@description('Microsoft Graph endpoint (ARC004/ARC014); change for sovereign clouds.')
param graphEndpoint string = 'https://graph.microsoft.com'

@secure()
@description('Teams Workflows webhook URL; stored in Key Vault only. Empty: no Teams notifications.')
param teamsWebhookUrl string = ''

@description('Key Vault purge protection (cannot be turned off later). Off only for throwaway environments.')
param enableKeyVaultPurgeProtection bool = true

var tags = {
  'azd-env-name': environmentName
  application: 'fleetdoc'
}
var resourceManager = environment().resourceManager
var armEndpoint = endsWith(resourceManager, '/') ? substring(resourceManager, 0, length(resourceManager) - 1) : resourceManager
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var functionAppName = 'func-fleetdoc-${resourceToken}'
var shardQueueName = 'fleetdoc-shards'
var stateTableName = 'fleetdocstate'
var reportContainerName = 'fleetdoc-reports'
var deploymentContainerName = 'app-package'
var requestedSubscriptions = empty(trim(scopeSubscriptions)) ? [] : split(replace(scopeSubscriptions, ' ', ''), ',')
var defaultSubscriptions = empty(scopeManagementGroup) ? [
  subscription().subscriptionId
] : []
var readerSubscriptions = empty(requestedSubscriptions) ? defaultSubscriptions : requestedSubscriptions
// The app gets an explicit scope: with neither list nor group, the deployment subscription.
var effectiveScopeSubscriptions = empty(requestedSubscriptions) ? join(defaultSubscriptions, ',') : join(requestedSubscriptions, ',')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-fleetdoc-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-fleetdoc-${resourceToken}'
    appInsightsName: 'appi-fleetdoc-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stfleetdoc${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    deploymentContainerName: deploymentContainerName
    reportContainerName: reportContainerName
    shardQueueName: shardQueueName
    stateTableName: stateTableName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-fd-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    teamsWebhookUrl: teamsWebhookUrl
    enablePurgeProtection: enableKeyVaultPurgeProtection
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-fleetdoc-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    scanSchedule: scanSchedule
    scopeSubscriptions: effectiveScopeSubscriptions
    scopeManagementGroup: scopeManagementGroup
    language: language
    since: since
    shardQueueName: shardQueueName
    stateTableName: stateTableName
    reportContainerName: reportContainerName
    inlineMaxClusters: inlineMaxClusters
    teamsWebhookSecretUri: keyVault.outputs.teamsWebhookSecretUri
    notifyMinSeverity: notifyMinSeverity
    reminderHours: reminderHours
    authorityHost: environment().authentication.loginEndpoint
    armEndpoint: armEndpoint
    logsEndpoint: logsEndpoint
    logsAudience: logsAudience
    graphEndpoint: graphEndpoint
  }
}

// Reader, Monitoring Reader and Log Analytics Reader at each scanned subscription.
module scanReaderRoles 'modules/scan-reader-roles.bicep' = [for subscriptionId in readerSubscriptions: {
  name: 'fleetdoc-scanroles-${uniqueString(resourceToken, subscriptionId)}'
  scope: subscription(subscriptionId)
  params: {
    principalId: identity.outputs.principalId
  }
}]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = subscription().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_PRINCIPAL_ID string = identity.outputs.principalId
output FLEETDOC_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output FLEETDOC_API_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
