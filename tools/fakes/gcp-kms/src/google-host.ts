import type { LoopbackFake } from '@tsp/fake-support';
import type { GeneratedServiceAccount } from './service-accounts';

/** A service account key file as a client is configured with it (a fake's throwaway test key). */
export interface FakeServiceAccount extends GeneratedServiceAccount {
  /** The fake's token endpoint. */
  token_uri: string;
}

/** What a Google API fake tells its clients: its endpoint, its OAuth token endpoint, the account it made up. */
export interface GoogleHost extends LoopbackFake {
  /** http://127.0.0.1:PORT/token: the service account's `token_uri`. */
  readonly tokenUri: string;
  /** The generated service account (when none was configured), ready for a client's credentials. */
  readonly serviceAccount: FakeServiceAccount | undefined;
}

/** The GoogleHost fields of a fake served at `server` (its OAuth token endpoint at /token). */
export function googleHost(server: LoopbackFake, generated: GeneratedServiceAccount | undefined): GoogleHost {
  const tokenUri = `${server.url}/token`;
  return { url: server.url, port: server.port, tokenUri, serviceAccount: generated && { ...generated, token_uri: tokenUri }, stop: () => server.stop() };
}
