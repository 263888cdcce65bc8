import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { BrokerRepository } from '@tsp/broker-store';
import { formatEnvFile, generateEncodedKeyPair } from '@tsp/config-crypto';
import { newServiceAccountBody, serviceAccountIdParams } from './api-schemas';
import { BrokerError } from './broker-error';
import { vendorOnly } from './principal';
import { serviceAccountView } from './views';

export interface ServiceAccountRouteDeps {
  repo: BrokerRepository;
  /** base64 SPKI of the broker's Ed25519 signing key (goes into every env file). */
  brokerPublicKey: string;
  /** The broker's public base URL, without a trailing slash. */
  publicUrl: string;
}

/** The path of the config document route, as proxies reach it under `publicUrl`. */
export const CONFIG_DOCUMENT_PATH = '/api/v1/config-document';

/**
 * Service accounts: POST /service-accounts makes both key pairs, stores only the public halves
 * and answers once with the env file (private keys inside; never stored, never shown again);
 * GET list and one; POST /service-accounts/{id}/revoke. The vendor admin's only.
 */
export function registerServiceAccountRoutes(app: FastifyInstance, deps: ServiceAccountRouteDeps): void {
  app.post<{ Body: { id: string; name: string; tenantTags: string[] } }>(
    '/service-accounts',
    { onRequest: vendorOnly, schema: { body: newServiceAccountBody } },
    async (req, reply) => {
      const enc = generateEncodedKeyPair('x25519');
      const sig = generateEncodedKeyPair('ed25519');
      const sa = await deps.repo.createServiceAccount({
        id: req.body.id,
        name: req.body.name,
        tenantTags: req.body.tenantTags,
        encryptionPublicKey: enc.publicKey,
        signingPublicKey: sig.publicKey,
      });
      const envFile = formatEnvFile(
        {
          TSP_SERVICE_CONFIG_ID: sa.id,
          API_KEY: randomBytes(24).toString('base64'),
          TSP_SA_ENCRYPTION_KEY: enc.privateKey,
          TSP_SA_ENCRYPTION_PUBLIC_KEY: enc.publicKey,
          TSP_SA_SIGNING_KEY: sig.privateKey,
          TSP_SA_SIGNING_PUBLIC_KEY: sig.publicKey,
          TSP_BROKER_PUBLIC_KEY: deps.brokerPublicKey,
          TSP_CONFIG_URL: `${deps.publicUrl}${CONFIG_DOCUMENT_PATH}`,
        },
        `Service account ${sa.id}: secrets, keep private.\nShown once by the configuration broker; it keeps only the public keys.`,
      );
      return reply.code(201).header('cache-control', 'no-store').send({ serviceAccount: serviceAccountView(sa), envFile });
    },
  );

  app.get('/service-accounts', { onRequest: vendorOnly }, async () => {
    return { serviceAccounts: (await deps.repo.listServiceAccounts()).map(serviceAccountView) };
  });

  app.get<{ Params: { id: string } }>('/service-accounts/:id', { onRequest: vendorOnly, schema: { params: serviceAccountIdParams } }, async (req) => {
    const sa = await deps.repo.getServiceAccount(req.params.id);
    if (sa === undefined) throw new BrokerError('not-found', `service account '${req.params.id}' does not exist`);
    return serviceAccountView(sa);
  });

  app.post<{ Params: { id: string } }>('/service-accounts/:id/revoke', { onRequest: vendorOnly, schema: { params: serviceAccountIdParams } }, async (req) => {
    return serviceAccountView(await deps.repo.revokeServiceAccount(req.params.id));
  });
}
