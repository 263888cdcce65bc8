import { randomUUID } from 'node:crypto';
import type { AppRegistration } from './entra-token';

/**
 * The Entra ID app registration a fake serves (shared by the Key Vault and Azure Monitor fakes,
 * which host the same Entra v2.0 endpoints next to their service).
 */

/** What a fake hosting the Entra endpoints tells its clients: where it is and the app registration. */
export interface EntraHost extends Readonly<AppRegistration> {
  /** The service's base URL, e.g. https://127.0.0.1:PORT. */
  readonly url: string;
  /** Entra authority host (a client's authorityHost); the same server. */
  readonly authorityHost: string;
  readonly port: number;
}

/** The EntraHost fields of a fake served at `server` (its url and port). */
export function entraHost(server: { url: string; port: number }, app: AppRegistration): EntraHost {
  return { url: server.url, authorityHost: server.url, port: server.port, ...app };
}

/** The registration from what was given, the rest made up (random GUIDs, a throwaway secret). */
export function fakeAppRegistration(given: Partial<AppRegistration>): AppRegistration {
  return {
    tenantGuid: given.tenantGuid ?? randomUUID(),
    clientId: given.clientId ?? randomUUID(),
    clientSecret: given.clientSecret ?? `fake-secret-${randomUUID()}`,
  };
}

/** An Entra ID v2.0 endpoint a request is for, and the tenant in its path. */
export interface EntraEndpoint {
  /** GET /<tenant>/v2.0/.well-known/openid-configuration, or POST /<tenant>/oauth2/v2.0/token. */
  kind: 'openid-configuration' | 'token';
  tenant: string;
}

/** Which Entra endpoint `method` + path `segments` (the path split on '/', without the first '') is; undefined for none. */
export function entraEndpoint(method: string, segments: readonly string[]): EntraEndpoint | undefined {
  if (segments.length !== 4) return undefined;
  const [tenant, a, b, c] = segments as [string, string, string, string];
  if (method === 'GET' && a === 'v2.0' && b === '.well-known' && c === 'openid-configuration') return { kind: 'openid-configuration', tenant };
  if (method === 'POST' && a === 'oauth2' && b === 'v2.0' && c === 'token') return { kind: 'token', tenant };
  return undefined;
}

/** --tenant, --client-id, --client-secret for node:util parseArgs (see entraAppOptions). */
export const ENTRA_APP_CLI_OPTIONS = { tenant: { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' } } as const;

/** The fake's options for the registration given on the command line (only what was given). */
export function entraAppOptions(values: { tenant?: string | undefined; 'client-id'?: string | undefined; 'client-secret'?: string | undefined }): Partial<AppRegistration> {
  return {
    ...(values.tenant !== undefined ? { tenantGuid: values.tenant } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
  };
}
