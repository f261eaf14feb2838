// Key Vault in RBAC mode holding the Teams webhook URL; the app reads it through
// a Key Vault reference with its user-assigned identity (Key Vault Secrets User).
param name string
param location string
param tags object = {}

@description('Principal id of the app identity, granted Key Vault Secrets User on this vault only.')
param principalId string

@description('Teams Workflows webhook URL; empty creates no secret and leaves Teams disabled.')
@secure()
param teamsWebhookUrl string

param teamsWebhookSecretName string = 'teams-webhook-url'

@description('Purge protection cannot be turned off once on; leave it on in production.')
param enablePurgeProtection bool = true

var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  //checkov:skip=CKV_AZURE_109:Firewall default Allow: the Flex Consumption app has no VNet in this template and resolves its Key Vault reference over the public endpoint; the vault is RBAC-only and only the app identity holds a data role.
  //checkov:skip=CKV_AZURE_189:Public network access is needed for the same reason as CKV_AZURE_109; access is Entra ID + RBAC only.
  //checkov:skip=CKV_AZURE_110:Purge protection is on by default (enablePurgeProtection parameter, default true); checkov cannot evaluate the conditional the API requires (true or absent). tests/infra asserts the default.
  //checkov:skip=CKV_AZURE_42:Soft delete is always on (7 days) and purge protection defaults to on; checkov cannot evaluate the conditional, see CKV_AZURE_110.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // The API accepts only true or an absent property.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource teamsWebhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(teamsWebhookUrl)) {
  //checkov:skip=CKV_AZURE_41:A Workflows webhook URL does not expire; an expiry date would silently break the Key Vault reference and stop Teams notifications. Rotation is documented in docs/deploy.md.
  //checkov:skip=CKV_AZURE_114:contentType is set (text/uri-list); checkov 3.3.30 does not read the properties of a conditional (if) resource. tests/infra asserts it.
  parent: vault
  name: teamsWebhookSecretName
  properties: {
    value: teamsWebhookUrl
    contentType: 'text/uri-list'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
// Versionless URI: the app follows rotations without a redeployment.
output teamsWebhookSecretUri string = empty(teamsWebhookUrl) ? '' : '${vault.properties.vaultUri}secrets/${teamsWebhookSecretName}'
