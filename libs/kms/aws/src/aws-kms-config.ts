import type { KmsConfig } from '@tsp/config-crypto';
import { endpointProblems } from '@tsp/kms-core';

/**
 * The `aws` KMS config (documented in docs/config-document.md):
 *   keyPath:     { keyID: key id | key ARN | alias name | alias ARN, region: "eu-central-1" }
 *   credentials: { accessKeyId, secretAccessKey, sessionToken? }  (an IAM user's or role's keys)
 *   endpoint?:   https URL of a private (VPC) KMS endpoint; http only for a loopback fake
 * Unknown fields in keyPath and credentials are rejected. Problems name fields, never values.
 */
export interface AwsKmsSettings {
  keyId: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  endpoint: string | undefined;
}

const KEY_PATH_FIELDS = ['keyID', 'region'];
const CREDENTIAL_FIELDS = ['accessKeyId', 'secretAccessKey', 'sessionToken'];

/** us-east-1, eu-central-1, us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1 */
export const AWS_REGION_RE = /^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/;
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const KEY_ID = `(?:${UUID}|mrk-[0-9a-f]{32})`;
const ALIAS = 'alias/[a-zA-Z0-9/_-]{1,250}';
const KEY_ID_RE = new RegExp(`^(?:${KEY_ID}|${ALIAS})$`);
const ARN_RE = new RegExp(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):\\d{12}:(?:key/${KEY_ID}|${ALIAS})$`);
const ACCESS_KEY_ID_RE = /^[A-Z0-9]{16,128}$/;

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function awsKmsConfigProblems(config: KmsConfig): string[] {
  const problems: string[] = [];
  const { keyPath, credentials } = config;
  for (const f of Object.keys(keyPath)) if (!KEY_PATH_FIELDS.includes(f)) problems.push(`keyPath.${f.slice(0, 40)} is not a field of an aws config (allowed: keyID, region)`);
  const unknownCreds = Object.keys(credentials).filter((f) => !CREDENTIAL_FIELDS.includes(f)).length;
  if (unknownCreds > 0) problems.push(`credentials has ${unknownCreds} unknown field(s) (allowed: accessKeyId, secretAccessKey, sessionToken)`);

  const region = keyPath['region'];
  const regionOk = typeof region === 'string' && region.length <= 32 && AWS_REGION_RE.test(region);
  if (!regionOk) problems.push('keyPath.region must be an AWS region such as eu-central-1');
  const keyId = keyPath['keyID'];
  if (typeof keyId !== 'string' || keyId.length > 2048) {
    problems.push('keyPath.keyID must be a key id, key ARN, alias name or alias ARN');
  } else {
    const arn = ARN_RE.exec(keyId);
    if (arn === null && !KEY_ID_RE.test(keyId)) problems.push('keyPath.keyID must be a key id, key ARN, alias name or alias ARN');
    else if (arn !== null && regionOk && arn[1] !== region) problems.push('keyPath.keyID is an ARN in another region than keyPath.region');
  }

  if (typeof credentials['accessKeyId'] !== 'string' || !ACCESS_KEY_ID_RE.test(credentials['accessKeyId'])) {
    problems.push('credentials.accessKeyId must be an AWS access key id (16 to 128 capital letters and digits)');
  }
  if (!isNonEmptyString(credentials['secretAccessKey'])) problems.push('credentials.secretAccessKey must be a non-empty string');
  const token = credentials['sessionToken'];
  if (token !== undefined && !isNonEmptyString(token)) problems.push('credentials.sessionToken must be a non-empty string when present');
  problems.push(...endpointProblems(config.endpoint, 'endpoint'));
  return problems;
}

/** Precondition: awsKmsConfigProblems(config) is empty (else throws, without values). */
export function awsKmsSettingsOf(config: KmsConfig): AwsKmsSettings {
  if (awsKmsConfigProblems(config).length > 0) throw new Error('invalid aws KMS config');
  const token = config.credentials['sessionToken'];
  return {
    keyId: config.keyPath['keyID'] as string,
    region: config.keyPath['region'] as string,
    accessKeyId: config.credentials['accessKeyId'] as string,
    secretAccessKey: config.credentials['secretAccessKey'] as string,
    sessionToken: typeof token === 'string' ? token : undefined,
    endpoint: config.endpoint,
  };
}
