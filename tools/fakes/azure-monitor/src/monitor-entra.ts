// The Key Vault fake's Entra ID authority is reused as is (openid configuration, the client
// credentials checks and their AADSTS error bodies, token signing and verification). It is not
// exported from @tsp/fake-azure-keyvault's index, hence the path import.
import { EntraAuthority, EntraReply, VAULT_SCOPE } from '@tsp/fake-azure-keyvault';
import type { AppRegistration, TokenClaims } from '@tsp/fake-azure-keyvault';

/** The audience of the Logs Ingestion API (public cloud) and the scope the SDK asks for. */
export const MONITOR_RESOURCE = 'https://monitor.azure.com';
export const MONITOR_SCOPE = `${MONITOR_RESOURCE}/.default`;

/**
 * The fake's Entra ID authority for the monitor scope, on top of the Key Vault fake's authority.
 * That authority grants only its vault scope, so a request for MONITOR_SCOPE is handed to it
 * as a vault-scope request and any other scope as an unknown one (it answers invalid_scope,
 * after the tenant, client and secret checks, as Entra does). Every token this instance grants
 * was asked for the monitor scope; its signing key is this instance's own, so no token of
 * another fake (e.g. the Key Vault fake's) verifies here. Limitation: the `aud` claim inside
 * the token reads the vault resource; clients treat tokens as opaque, only this fake reads it.
 */
export class MonitorEntraAuthority {
  private readonly authority: EntraAuthority;

  constructor(readonly app: AppRegistration) {
    this.authority = new EntraAuthority(app);
  }

  openIdConfiguration(authorityHost: string, tenant: string): EntraReply {
    return this.authority.openIdConfiguration(authorityHost, tenant);
  }

  /** One client_credentials token request (form already parsed). */
  token(tenant: string, form: URLSearchParams): EntraReply {
    const mapped = new URLSearchParams(form);
    mapped.set('scope', form.get('scope') === MONITOR_SCOPE ? VAULT_SCOPE : `unknown:${form.get('scope') ?? ''}`);
    return this.authority.token(tenant, mapped);
  }

  /** The claims of a valid token this authority granted; undefined otherwise. */
  verify(token: string): TokenClaims | undefined {
    return this.authority.verify(token);
  }
}

export { entraError } from '@tsp/fake-azure-keyvault';
export type { EntraReply } from '@tsp/fake-azure-keyvault';
