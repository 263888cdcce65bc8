import type { KmsConfig } from '@tsp/config-crypto';
import { awsKmsFactory } from './aws-kms-provider';
import { awsKmsConfigProblems, awsKmsSettingsOf } from './aws-kms-config';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';

function config(keyPath: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}, endpoint?: string): KmsConfig {
  return {
    id: 3,
    type: 'aws',
    active: true,
    primary: true,
    keyPath: { keyID: KEY, region: 'eu-central-1', ...keyPath },
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, ...credentials },
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

describe('aws KMS config validation', () => {
  it.each([
    ['a key id', {}],
    ['a key ARN', { keyID: `arn:aws:kms:eu-central-1:111122223333:key/${KEY}` }],
    ['a multi-region key id', { keyID: 'mrk-1234abcd12ab34cd56ef1234567890ab' }],
    ['an alias', { keyID: 'alias/tenant/a_b-c' }],
    ['an alias ARN', { keyID: 'arn:aws:kms:eu-central-1:111122223333:alias/tenant' }],
    ['a GovCloud ARN', { region: 'us-gov-west-1', keyID: `arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/${KEY}` }],
    ['a China region', { region: 'cn-north-1' }],
  ])('accepts keyPath with %s', (_n, keyPath) => {
    expect(awsKmsConfigProblems(config(keyPath))).toEqual([]);
  });

  it('accepts a session token and an https or loopback endpoint', () => {
    expect(awsKmsConfigProblems(config({}, { sessionToken: 'FwoGZXIvYXdzEXAMPLE' }, 'https://vpce-0123.kms.eu-central-1.vpce.amazonaws.com'))).toEqual([]);
    expect(awsKmsConfigProblems(config({}, {}, 'http://127.0.0.1:4599'))).toEqual([]);
  });

  it.each([
    ['missing', { region: undefined }],
    ['not a region', { region: 'Frankfurt' }],
    ['not a string', { region: 7 }],
  ])('rejects a region that is %s', (_n, keyPath) => {
    expect(awsKmsConfigProblems(config(keyPath))).toEqual(['keyPath.region must be an AWS region such as eu-central-1']);
  });

  it.each([
    ['missing', { keyID: undefined }],
    ['a name', { keyID: 'my-key' }],
    ['an S3 ARN', { keyID: 'arn:aws:s3:::bucket' }],
    ['a number', { keyID: 42 }],
  ])('rejects a keyID that is %s', (_n, keyPath) => {
    expect(awsKmsConfigProblems(config(keyPath))).toEqual(['keyPath.keyID must be a key id, key ARN, alias name or alias ARN']);
  });

  it('rejects an ARN of another region than keyPath.region', () => {
    expect(awsKmsConfigProblems(config({ keyID: `arn:aws:kms:us-east-1:111122223333:key/${KEY}` }))).toEqual(['keyPath.keyID is an ARN in another region than keyPath.region']);
  });

  it('rejects unknown fields in keyPath and credentials', () => {
    expect(awsKmsConfigProblems(config({ keyId: KEY }, { roleArn: 'x', profile: 'y' }))).toEqual([
      'keyPath.keyId is not a field of an aws config (allowed: keyID, region)',
      'credentials has 2 unknown field(s) (allowed: accessKeyId, secretAccessKey, sessionToken)',
    ]);
  });

  it('rejects bad credentials', () => {
    expect(awsKmsConfigProblems(config({}, { accessKeyId: 'short', secretAccessKey: '', sessionToken: 5 }))).toEqual([
      'credentials.accessKeyId must be an AWS access key id (16 to 128 capital letters and digits)',
      'credentials.secretAccessKey must be a non-empty string',
      'credentials.sessionToken must be a non-empty string when present',
    ]);
    expect(awsKmsConfigProblems(config({}, { secretAccessKey: undefined }))).toEqual(['credentials.secretAccessKey must be a non-empty string']);
  });

  it('rejects an endpoint over http to a non-loopback host', () => {
    expect(awsKmsConfigProblems(config({}, {}, 'http://kms.example.com'))).toEqual(['endpoint may use http:// only for a loopback host']);
  });

  it('problems never contain the values', () => {
    const secretish = 'AKIA-not-valid-SECRETVALUE';
    const problems = awsKmsConfigProblems(config({ region: secretish, keyID: secretish }, { accessKeyId: secretish, secretAccessKey: 9, [SECRET]: SECRET }, `https://u:${SECRET}@h`));
    expect(problems.length).toBeGreaterThanOrEqual(5);
    expect(problems.join('\n')).not.toContain(secretish);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('create refuses an invalid config without echoing it', () => {
    expect(() => awsKmsFactory.create(config({}, { secretAccessKey: '' }))).toThrow(/^invalid aws KMS config$/);
  });

  it('settings carry exactly the config values', () => {
    expect(awsKmsSettingsOf(config({}, { sessionToken: 'tok' }, 'http://127.0.0.1:1'))).toEqual({
      keyId: KEY,
      region: 'eu-central-1',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: SECRET,
      sessionToken: 'tok',
      endpoint: 'http://127.0.0.1:1',
    });
  });
});
