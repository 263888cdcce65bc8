import * as s from './api-schemas';
import * as secrets from './tenant-secret-schemas';

/**
 * The OpenAPI 3.1 description of the broker API, built from the same JSON schemas the routes
 * validate with. A test checks that every registered route appears here.
 */
type Schema = Record<string, unknown>;

const json = (schema: Schema): Schema => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: Schema): Schema => ({ description, ...json(schema) });
const error = (description: string): Schema => ({ description, ...json({ $ref: '#/components/schemas/Error' }) });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const listOf = (key: string, name: string): Schema => ({ type: 'object', required: [key], properties: { [key]: { type: 'array', items: ref(name) } } });

const ADMIN_ERRORS = {
  '401': error('Missing or wrong admin token, or no valid session'),
  '403': error("A tenant admin asked for another tenant's resource or a vendor-only route"),
  '400': error('Invalid request; the message names the field'),
};
const NOT_FOUND = { '404': error('Not found') };
const CONFLICT = { '409': error('Conflict (already exists, or a rule across objects)') };

const pathParam = (name: string, schema: Schema, description: string): Schema => ({ name, in: 'path', required: true, description, schema });
const TENANT_ID = pathParam('id', s.tenantIdParams.properties.id, 'Tenant id');
const KMS_ID = pathParam('id', s.kmsConfigIdParams.properties.id, 'KMS config id');
const SA_ID = pathParam('id', s.serviceAccountIdParams.properties.id, 'Service account id');
const SECRET_ID = pathParam('id', secrets.tenantSecretIdParams.properties.id, 'Tenant secret id');
const ADMIN_ID = pathParam('id', s.tenantAdminIdParams.properties.id, 'Tenant admin id');

function op(summary: string, extra: Schema, responses: Schema, admin = true): Schema {
  return { summary, ...(admin ? { security: [{ adminToken: [] }] } : {}), ...extra, responses: { ...responses, ...(admin ? ADMIN_ERRORS : {}) } };
}

export function openApiDocument(publicUrl: string): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'TSP configuration broker',
      version: '1',
      description: 'Vendor-admin API (tenants, KMS configs, logging configs, service accounts) and the signed config document that proxies fetch. Secrets (KMS and sink credentials) are write-only.',
    },
    servers: [{ url: publicUrl }],
    components: {
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'TSP_BROKER_ADMIN_TOKEN (vendor admin), or a session token from POST /api/v1/login (vendor admin, or a tenant admin who may see and change its own tenant only)',
        },
        serviceAccountSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'TSP-SA id=<service account>,ts=<unix seconds>,nonce=<32 hex>,sig=<base64 Ed25519(message)>; GET: message = "GET\\n" + path and query + "\\n" + ts + "\\n" + nonce; with a body (POST): METHOD + "\\n" + path and query + "\\n" + ts + "\\n" + nonce + "\\n" + base64(SHA-256(raw body bytes)); |now - ts| <= 60 s; each nonce is accepted once',
        },
      },
      schemas: {
        Error: s.errorBody,
        Tenant: s.tenant,
        NewTenant: s.newTenantBody,
        TenantPatch: s.tenantPatchBody,
        KmsConfig: s.kmsConfig,
        NewKmsConfig: s.newKmsConfigBody,
        KmsConfigPatch: s.kmsConfigPatchBody,
        LoggingConfigInput: s.loggingConfigBody,
        LoggingConfig: s.loggingConfig,
        NewServiceAccount: s.newServiceAccountBody,
        ServiceAccount: s.serviceAccount,
        CreatedServiceAccount: s.createdServiceAccount,
        ConfigDocument: s.documentEnvelope,
        NewTenantSecret: secrets.newTenantSecretBody,
        CreatedTenantSecret: secrets.createdTenantSecret,
        TenantSecret: secrets.tenantSecret,
        Session: s.session,
        TenantAdmin: s.tenantAdmin,
        CreatedInvite: s.createdInvite,
      },
    },
    paths: {
      '/api/v1/tenants': {
        post: op('Create a tenant', { requestBody: { required: true, ...json(ref('NewTenant')) } }, { '201': ok('Created', ref('Tenant')), ...CONFLICT }),
        get: op(
          'List tenants',
          {
            parameters: [
              { name: 'tag', in: 'query', required: false, schema: s.tenantListQuery.properties.tag },
              { name: 'includeArchived', in: 'query', required: false, schema: s.tenantListQuery.properties.includeArchived },
            ],
          },
          { '200': ok('Tenants', listOf('tenants', 'Tenant')) },
        ),
      },
      '/api/v1/tenants/{id}': {
        get: op('Get a tenant', { parameters: [TENANT_ID] }, { '200': ok('The tenant', ref('Tenant')), ...NOT_FOUND }),
        patch: op('Change a tenant', { parameters: [TENANT_ID], requestBody: { required: true, ...json(ref('TenantPatch')) } }, { '200': ok('Changed', ref('Tenant')), ...NOT_FOUND }),
        delete: op('Delete a tenant and everything of it', { parameters: [TENANT_ID] }, { '204': { description: 'Deleted' }, ...NOT_FOUND }),
      },
      '/api/v1/tenants/{id}/kms-configs': {
        post: op(
          'Add a KMS config to a tenant',
          { parameters: [TENANT_ID], requestBody: { required: true, ...json(ref('NewKmsConfig')) } },
          { '201': ok('Created (credentials are not returned)', ref('KmsConfig')), ...NOT_FOUND, ...CONFLICT },
        ),
        get: op("List a tenant's KMS configs", { parameters: [TENANT_ID] }, { '200': ok('KMS configs', listOf('kmsConfigs', 'KmsConfig')), ...NOT_FOUND }),
      },
      '/api/v1/kms-configs/{id}': {
        get: op('Get a KMS config', { parameters: [KMS_ID] }, { '200': ok('The KMS config', ref('KmsConfig')), ...NOT_FOUND }),
        patch: op(
          'Change a KMS config (keyPath and type are immutable)',
          { parameters: [KMS_ID], requestBody: { required: true, ...json(ref('KmsConfigPatch')) } },
          { '200': ok('Changed', ref('KmsConfig')), ...NOT_FOUND },
        ),
        delete: op('Delete a KMS config', { parameters: [KMS_ID] }, { '204': { description: 'Deleted' }, ...NOT_FOUND }),
      },
      '/api/v1/tenants/{id}/logging-config': {
        put: op(
          "Set a tenant's logging config",
          { parameters: [TENANT_ID], requestBody: { required: true, ...json(ref('LoggingConfigInput')) } },
          { '200': ok('Stored (sink credentials are not returned)', ref('LoggingConfig')), ...NOT_FOUND },
        ),
        get: op("Get a tenant's logging config", { parameters: [TENANT_ID] }, { '200': ok('The logging config', ref('LoggingConfig')), ...NOT_FOUND }),
        delete: op(
          "Delete a tenant's logging config (refused while a KMS config allows leasing)",
          { parameters: [TENANT_ID] },
          { '204': { description: 'Deleted' }, ...NOT_FOUND, ...CONFLICT },
        ),
      },
      '/api/v1/service-accounts': {
        post: op(
          'Create a service account: its key pairs are generated, the public halves stored, and the env file answered once',
          { requestBody: { required: true, ...json(ref('NewServiceAccount')) } },
          { '201': ok('Created; envFile holds the private keys and is never shown again', ref('CreatedServiceAccount')), ...CONFLICT },
        ),
        get: op('List service accounts', {}, { '200': ok('Service accounts', listOf('serviceAccounts', 'ServiceAccount')) }),
      },
      '/api/v1/service-accounts/{id}': {
        get: op('Get a service account', { parameters: [SA_ID] }, { '200': ok('The service account', ref('ServiceAccount')), ...NOT_FOUND }),
      },
      '/api/v1/service-accounts/{id}/revoke': {
        post: op('Revoke a service account (its document requests get 403)', { parameters: [SA_ID] }, { '200': ok('Revoked', ref('ServiceAccount')), ...NOT_FOUND }),
      },
      '/api/v1/config-document': {
        get: op(
          "The signed config document of the calling service account (docs/config-document.md)",
          {
            security: [{ serviceAccountSignature: [] }],
            parameters: [
              { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
              {
                name: 'wait',
                in: 'query',
                required: false,
                description:
                  'Long poll, seconds: when If-None-Match equals the current ETag, hold the request until the document changes (200) or this many seconds pass (304). Part of the signed path and query.',
                schema: { type: 'integer', minimum: 1, maximum: 60 },
              },
            ],
          },
          {
            '200': { ...ok('The document, tenants sealed for the account', ref('ConfigDocument')), headers: { ETag: { schema: { type: 'string' } } } },
            '304': { description: 'Unchanged since the ETag given (with wait: unchanged for wait seconds, or the broker is shutting down)' },
            '400': error('wait is not an integer from 1 to 60'),
            '401': error('Malformed, stale, replayed or unverifiable signature, or unknown service account'),
            '403': error('The service account is revoked'),
            '503': error('Too many signed requests within the replay window, or too many requests waiting (Retry-After: 1)'),
          },
          false,
        ),
      },
      '/api/v1/login': {
        post: op(
          'Log in: a tenant admin with email and password, or the vendor admin with the admin token (5 failures in 15 minutes lock the account for the rest of the window)',
          { requestBody: { required: true, ...json(s.loginBody) } },
          { '200': ok('A session token', ref('Session')), '400': error('Invalid request'), '401': error('Wrong email, password or token'), '429': error('Too many failed logins') },
          false,
        ),
      },
      '/api/v1/invitations/accept': {
        post: op(
          'Accept a tenant admin invitation: set the password (12 characters or more)',
          { requestBody: { required: true, ...json(s.acceptInviteBody) } },
          { '200': ok('The admin, now active', ref('TenantAdmin')), '400': error('Invalid request'), '404': error('Unknown, used or expired invitation') },
          false,
        ),
      },
      '/api/v1/tenants/{id}/admins': {
        post: op(
          "Invite a tenant admin (the vendor admin or one of the tenant's admins)",
          { parameters: [TENANT_ID], requestBody: { required: true, ...json(s.inviteBody) } },
          { '201': ok('Invited; the invitation token is shown once', ref('CreatedInvite')), ...NOT_FOUND, ...CONFLICT },
        ),
        get: op("List a tenant's admins", { parameters: [TENANT_ID] }, { '200': ok('Admins', listOf('admins', 'TenantAdmin')), ...NOT_FOUND }),
      },
      '/api/v1/tenant-admins/{id}': {
        delete: op('Remove a tenant admin (its sessions end at once)', { parameters: [ADMIN_ID] }, { '204': { description: 'Removed' }, ...NOT_FOUND }),
      },
      '/api/v1/tenant-secrets': {
        post: op(
          "A proxy creates a tenant secret (its derive found no Current secret of the path): at most one Current secret per tenant, path and type; a proxy that was not first gets the existing one and uses it",
          { security: [{ serviceAccountSignature: [] }], requestBody: { required: true, ...json(ref('NewTenantSecret')) } },
          {
            '201': ok('Created: the new Current secret', ref('CreatedTenantSecret')),
            '200': ok('A Current secret of this path and type existed: that one (created: false)', ref('CreatedTenantSecret')),
            '400': error('Invalid request; the message names the field (encryptedSecret not an EncryptedDeks of an active KMS config of the tenant)'),
            '401': error('Malformed, stale, replayed or unverifiable signature (over the raw body), or unknown service account'),
            '403': error('The service account is revoked, or the tenant is archived'),
            '404': error('The tenant is not served by this service account'),
            '503': error('Too many signed requests within the replay window (Retry-After: 1)'),
          },
          false,
        ),
      },
      '/api/v1/tenants/{id}/secrets': {
        get: op("List a tenant's secrets with their status (never their material)", { parameters: [TENANT_ID] }, { '200': ok('Tenant secrets', listOf('secrets', 'TenantSecret')), ...NOT_FOUND }),
      },
      '/api/v1/tenant-secrets/{id}/rotate': {
        post: op(
          'Begin rotation: current -> inRotation. The next derive of its path creates a new Current secret; this one is still served, with current: false',
          { parameters: [SECRET_ID] },
          { '200': ok('In rotation', ref('TenantSecret')), ...NOT_FOUND, '409': error('The secret is not current') },
        ),
      },
      '/api/v1/tenant-secrets/{id}/restore': {
        post: op(
          'Cancel a rotation: inRotation -> current',
          { parameters: [SECRET_ID] },
          { '200': ok('Current again', ref('TenantSecret')), ...NOT_FOUND, '409': error('The secret is not in rotation, or another Current secret of its path exists') },
        ),
      },
      '/api/v1/tenant-secrets/{id}/archive': {
        post: op(
          'End a rotation: inRotation -> archived (no longer served; final)',
          { parameters: [SECRET_ID] },
          { '200': ok('Archived', ref('TenantSecret')), ...NOT_FOUND, '409': error('The secret is not in rotation') },
        ),
      },
      '/api/v1/openapi.json': {
        get: op('This document', {}, { '200': ok('OpenAPI 3.1', { type: 'object' }) }, false),
      },
      '/live': {
        get: op('Liveness', {}, { '200': ok('Live', { type: 'object', properties: { status: { type: 'string' } } }) }, false),
      },
    },
  };
}
