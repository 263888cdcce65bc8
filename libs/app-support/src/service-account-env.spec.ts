import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { environmentWithServiceAccountFile, isolateCloudSdkEnvironment } from './service-account-env';

describe('environmentWithServiceAccountFile', () => {
  it('overlays the environment on the file; without a file it is the environment', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsp-saenv-'));
    try {
      const file = path.join(dir, 'sa.env');
      writeFileSync(file, 'TSP_CONFIG_URL=file:///a\nTSP_SERVICE_CONFIG_ID=from-file\n');
      expect(environmentWithServiceAccountFile({ TSP_SERVICE_ACCOUNT_FILE: file, TSP_SERVICE_CONFIG_ID: 'from-env' })).toMatchObject({
        TSP_CONFIG_URL: 'file:///a', TSP_SERVICE_CONFIG_ID: 'from-env',
      });
      expect(environmentWithServiceAccountFile({ A: '1' })).toEqual({ A: '1' });
      expect(() => environmentWithServiceAccountFile({ TSP_SERVICE_ACCOUNT_FILE: path.join(dir, 'missing.env') })).toThrow(/^TSP_SERVICE_ACCOUNT_FILE .*missing\.env: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isolateCloudSdkEnvironment', () => {
  it('turns metadata detection off unless set, and removes AWS endpoint overrides', () => {
    const env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL: 'http://x', AWS_ENDPOINT_URL_KMS: 'http://y', AWS_REGION: 'eu-west-1' };
    expect(isolateCloudSdkEnvironment(env).sort()).toEqual(['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KMS']);
    expect(env).toEqual({ AWS_REGION: 'eu-west-1', METADATA_SERVER_DETECTION: 'none', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    const kept: NodeJS.ProcessEnv = { METADATA_SERVER_DETECTION: 'ping' };
    isolateCloudSdkEnvironment(kept);
    expect(kept['METADATA_SERVER_DETECTION']).toBe('ping');
  });
});
