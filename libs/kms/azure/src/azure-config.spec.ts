import type { KmsConfig } from '@tsp/config-crypto';
import { azureKmsFactory } from './azure-provider';
import { readAzureConfig } from './azure-config';

const SECRET = 'client-secret-value-7Q~x';

function config(keyPath: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}, endpoint?: string): KmsConfig {
  return {
    id: 7,
    type: 'azure',
    active: true,
    primary: true,
    keyPath: { vaultBaseUrl: 'https://tenant-vault.vault.azure.net', keyName: 'tsp-kek', ...keyPath },
    credentials: { tenantGuid: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: 'fad7d5b3-69d6-4b48-9259-8d12124e1cf1', clientSecret: SECRET, ...credentials },
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

describe('azure KMS config validation', () => {
  it('accepts a public-cloud config and defaults the authority', () => {
    expect(azureKmsFactory.validate(config())).toEqual([]);
    expect(readAzureConfig(config()).authorityHost).toBe('https://login.microsoftonline.com');
  });

  it('accepts a sovereign cloud (vault and authority override)', () => {
    const c = config({ vaultBaseUrl: 'https://v.vault.usgovcloudapi.net/' }, { authorityHost: 'https://login.microsoftonline.us' });
    expect(azureKmsFactory.validate(c)).toEqual([]);
    expect(readAzureConfig(c)).toMatchObject({ vaultBaseUrl: 'https://v.vault.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' });
  });

  it('accepts an http vault only on loopback', () => {
    expect(azureKmsFactory.validate(config({ vaultBaseUrl: 'http://127.0.0.1:8443' }))).toEqual([]);
    expect(azureKmsFactory.validate(config({ vaultBaseUrl: 'http://vault.example.com' }))).toEqual(['keyPath.vaultBaseUrl may use http:// only for a loopback host']);
  });

  it.each([
    [{ vaultBaseUrl: undefined }, {}, 'keyPath.vaultBaseUrl is required'],
    [{ vaultBaseUrl: 'not a url' }, {}, 'keyPath.vaultBaseUrl is not a URL'],
    [{ vaultBaseUrl: 'https://v.vault.azure.net/keys/x' }, {}, 'keyPath.vaultBaseUrl must not have a path'],
    [{ vaultBaseUrl: 'https://u:p@v.vault.azure.net' }, {}, 'keyPath.vaultBaseUrl must not carry credentials'],
    [{ keyName: 'bad/name' }, {}, 'keyPath.keyName must be 1-127 letters, digits or dashes'],
    [{ keyName: 5 }, {}, 'keyPath.keyName must be 1-127 letters, digits or dashes'],
    [{ extra: 1 }, {}, 'keyPath.extra is not a field of the azure provider'],
    [{}, { tenantGuid: 'contoso.onmicrosoft.com' }, 'credentials.tenantGuid must be a GUID'],
    [{}, { clientId: '' }, 'credentials.clientId must be a non-empty string'],
    [{}, { clientSecret: '' }, 'credentials.clientSecret must be a non-empty string'],
    [{}, { clientSecret: undefined }, 'credentials.clientSecret must be a non-empty string'],
    [{}, { authorityHost: 'http://127.0.0.1:9' }, 'credentials.authorityHost must be an https:// URL (Entra ID clients refuse http)'],
    [{}, { authorityHost: 'http://login.example.com' }, 'credentials.authorityHost may use http:// only for a loopback host'],
    [{}, { authorityHost: 'https://login.microsoftonline.com/tenant' }, 'credentials.authorityHost must not have a path'],
    [{}, { authorityHost: 'https://login.microsoftonline.com?x=1' }, 'credentials.authorityHost must not have a query or fragment'],
    [{}, { password: 'x' }, 'credentials.password is not a field of the azure provider'],
  ])('keyPath %j credentials %j: %s', (kp, cr, problem) => {
    const c = config(kp, cr);
    for (const [k, v] of Object.entries(kp)) if (v === undefined) delete c.keyPath[k];
    for (const [k, v] of Object.entries(cr)) if (v === undefined) delete c.credentials[k];
    expect(azureKmsFactory.validate(c)).toEqual([problem]);
    expect(() => azureKmsFactory.create(c)).toThrow('invalid azure KMS config');
  });

  it('rejects the generic endpoint field (the overrides are vaultBaseUrl and authorityHost)', () => {
    expect(azureKmsFactory.validate(config({}, {}, 'https://x.example.com'))).toEqual([
      'endpoint is not used by the azure provider (use keyPath.vaultBaseUrl and credentials.authorityHost)',
    ]);
  });

  it('problems never contain the secret or other values', () => {
    const c = config({ vaultBaseUrl: `http://${SECRET}.example.com` }, { tenantGuid: SECRET, authorityHost: `ftp://${SECRET}` });
    const text = azureKmsFactory.validate(c).join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.toLowerCase());
  });

  it('create builds a provider of type azure (loopback addresses: nothing is contacted)', () => {
    const p = azureKmsFactory.create(config({ vaultBaseUrl: 'http://127.0.0.1:9' }, { authorityHost: 'https://127.0.0.1:9' }));
    expect(p.type).toBe('azure');
    p.close();
  });
});
