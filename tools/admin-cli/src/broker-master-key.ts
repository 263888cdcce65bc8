import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatEnvFile } from '@tsp/config-crypto';
import type { KmsProviderRegistry } from '@tsp/kms-core';
// The broker's own code wraps and checks, so the binding (tenant and config id) cannot drift from what the broker unwraps.
import {
  loadBrokerKmsProviders,
  KMS_VARIABLE,
  parseMasterKeyKms,
  PLAIN_VARIABLE,
  resolveMasterKey,
  WRAPPED_VARIABLE,
  wrapMasterKey,
} from '../../../apps/config-broker/src/master-key';

export interface BrokerMasterKeyOptions {
  /** JSON file {type, keyPath, credentials, endpoint?}: the KMS that wraps the key. */
  kmsConfigFile: string;
  /** File holding an existing master key (the value of TSP_BROKER_MASTER_KEY); absent: a new random key. */
  keyFile?: string;
  providers?: KmsProviderRegistry;
  timeoutMs?: number;
}

const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * `tsp-admin broker-master-key`: wraps a broker master key (new, or the existing one of
 * --key-file, so a running broker moves to a wrapped key without re-encrypting its store) with
 * the KMS of --kms-config, checks that the KMS unwraps it again to the same bytes, and returns
 * the variables to set: TSP_BROKER_MASTER_KEY_WRAPPED and TSP_BROKER_MASTER_KEY_KMS (the
 * absolute path of the config file, so its credentials are not copied around). The plain key
 * and the KMS credentials are never in the result.
 */
export async function brokerMasterKey(opts: BrokerMasterKeyOptions): Promise<string> {
  const kmsFile = path.resolve(opts.kmsConfigFile);
  const parsed = parseMasterKeyKms(readText(kmsFile, '--kms-config'), `--kms-config ${kmsFile}`);
  if (parsed.config === undefined) throw new Error(parsed.problems.join('; '));
  const kms = parsed.config;
  const providers = opts.providers ?? (await loadBrokerKmsProviders(opts.timeoutMs));
  const key = opts.keyFile === undefined ? randomBytes(32) : existingKey(path.resolve(opts.keyFile));
  try {
    const kmsOptions = { providers, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) };
    const wrapped = await wrapMasterKey(key, kms, kmsOptions, `--kms-config ${kmsFile}`);
    const back = await resolveMasterKey({ kind: 'kms', wrapped, kms: { config: kms } }, kmsOptions);
    const same = back.length === key.length && timingSafeEqual(back, key);
    back.fill(0);
    if (!same) throw new Error(`the ${kms.type} KMS did not unwrap the wrapped master key to the same bytes`);
    const origin =
      opts.keyFile === undefined
        ? `A NEW master key: only for a new broker store (a store created under another key does not open with it; wrap that key with --key-file).`
        : `The existing master key of ${path.resolve(opts.keyFile)}: the store opens as before, nothing is re-encrypted.`;
    return formatEnvFile(
      { [WRAPPED_VARIABLE]: wrapped.toString('base64'), [KMS_VARIABLE]: kmsFile },
      [
        `Broker master key wrapped by the ${kms.type} KMS of ${kmsFile} (unwrapped again to check).`,
        origin,
        `Set these two variables instead of ${PLAIN_VARIABLE} (then remove that one and any copy of the plain key).`,
        `${KMS_VARIABLE} may also hold the file's JSON itself; the file holds credentials: keep it secret.`,
      ].join('\n'),
    );
  } finally {
    key.fill(0);
  }
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${option}: cannot read ${file}${code === undefined ? '' : ` (${code})`}`);
  }
}

/** The file holds base64 of 32 bytes, alone or as a TSP_BROKER_MASTER_KEY=... line of an env file. */
function existingKey(file: string): Buffer {
  const text = readText(file, '--key-file');
  const line = new RegExp(`^\\s*${PLAIN_VARIABLE}\\s*=\\s*(\\S+)\\s*$`, 'm').exec(text);
  const value = (line?.[1] ?? text).trim().replace(/^(["'])(.*)\1$/, '$2');
  if (!BASE64_32.test(value)) throw new Error(`--key-file ${file} must hold the broker master key: base64 of exactly 32 bytes (the value of ${PLAIN_VARIABLE})`);
  return Buffer.from(value, 'base64');
}
