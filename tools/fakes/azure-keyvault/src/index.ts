/**
 * A loopback fake of Azure Key Vault (keys: GET, wrapkey, unwrapkey) together with the Entra ID
 * v2.0 endpoints the real @azure/identity ClientSecretCredential uses, on ONE port of 127.0.0.1.
 *
 * Auth, as the service does it: a vault request without a token gets 401 with
 *   WWW-Authenticate: Bearer authorization="<authorityHost>/<tenant>", resource="https://vault.azure.net"
 * the SDK then asks the credential for a token: MSAL reads
 *   GET  /<tenant>/v2.0/.well-known/openid-configuration
 *   POST /<tenant>/oauth2/v2.0/token   (client_credentials; client_id, client_secret, scope checked)
 * and retries with `Authorization: Bearer <token>`; tokens are HS256 JWTs only this fake can mint.
 * MSAL refuses an http authority, so the real credential flow needs `tls: true` (a self-signed
 * certificate made with the openssl CLI; trust `caCert`).
 *
 * Keys: RSA-2048, several versions per key, real RSA-OAEP-256 / RSA-OAEP in node:crypto.
 * GET /keys/{name}[/{version}] DOES return the public key (n, e), as Key Vault does. The SDK
 * cannot wrap RSA-OAEP-256 locally (its local RSA provider supports RSA1_5 and RSA-OAEP only), so
 * with RSA-OAEP-256 both wrapkey and unwrapkey are remote; a client that wraps locally with the
 * public key still unwraps here (tested).
 *
 * Faults (constructor `faults`, `addFault`, or POST /_fake/faults): missing, disabled, forbidden,
 * throttle (429 + Retry-After), drop (socket destroyed), unavailable (503), app-disabled (token
 * endpoint, AADSTS7000112) and latencyMs; per operation (token/get/wrapkey/unwrapkey), per key,
 * and for the next N requests (`times`). Control API: GET /_fake/state, POST /_fake/counts/reset,
 * POST|DELETE /_fake/faults, PUT /_fake/keys/{name} {versions}, POST /_fake/keys/{name}/rotate,
 * PATCH /_fake/keys/{name} {enabled}. Run: node dist/tools/fakes/azure-keyvault/main.js --port N --tls
 */
export * from './fake-server';
export * from './faults';
// The loopback certificate now lives in the fakes' shared support; re-exported for its users.
export { generateLoopbackCertificate } from '@tsp/fake-support';
export type { LoopbackCertificate } from '@tsp/fake-support';
export * from './entra-app';
export { VAULT_RESOURCE, VAULT_SCOPE, EntraAuthority, entraError } from './entra-token';
export type { AppRegistration, TokenClaims, EntraReply } from './entra-token';
export type { WrapAlgorithm } from './key-store';
