import { KmsConfig, TenantConfig, TenantSecret, validateTenantConfig } from './tenant-config';

function kms(id: number, over: Partial<KmsConfig> = {}): KmsConfig {
  return { id, type: 'local', active: true, primary: false, keyPath: {}, credentials: { kek: 'c2VjcmV0' }, ...over };
}

function secret(id: number, over: Partial<TenantSecret> = {}): TenantSecret {
  return { id, secretPath: 'p', secretType: 'deterministic', status: 'current', encryptedSecret: 'AAAA', ...over };
}

function config(over: Partial<TenantConfig> = {}): TenantConfig {
  return { tenantId: 't1', kmsConfigs: [kms(1, { primary: true }), kms(2)], secrets: [secret(1)], ...over };
}

describe('validateTenantConfig', () => {
  it('accepts a valid config', () => {
    expect(validateTenantConfig(config(), 't1')).toEqual([]);
  });

  it('accepts a config without a primary (unwrap only) and with leasing settings', () => {
    const c = config({ kmsConfigs: [kms(1, { leasing: { enabled: true, lifetimeSeconds: 60 } }), kms(2, { active: false })] });
    expect(validateTenantConfig(c, 't1')).toEqual([]);
  });

  it('rejects two primaries', () => {
    const c = config({ kmsConfigs: [kms(1, { primary: true }), kms(2, { primary: true })] });
    expect(validateTenantConfig(c, 't1')).toEqual(['kmsConfigs has more than one primary']);
  });

  it('rejects a primary that is not active', () => {
    const c = config({ kmsConfigs: [kms(1, { primary: true, active: false })] });
    expect(validateTenantConfig(c, 't1')).toEqual(['kmsConfigs id 1 is primary but not active']);
  });

  it('rejects duplicate kms config ids', () => {
    const c = config({ kmsConfigs: [kms(1, { primary: true }), kms(1)] });
    expect(validateTenantConfig(c, 't1')).toEqual(['kmsConfigs id 1 appears twice']);
  });

  it('rejects duplicate secret ids', () => {
    const c = config({ secrets: [secret(4), secret(4, { status: 'inRotation' })] });
    expect(validateTenantConfig(c, 't1')).toEqual(['secrets id 4 appears twice']);
  });

  it('rejects a tenantId that is not the tenant it was sealed for', () => {
    expect(validateTenantConfig(config(), 't2')).toEqual(['tenantId does not match the tenant it was sealed for']);
  });

  it('reports several cross-field problems at once', () => {
    const c = config({ tenantId: 'x', kmsConfigs: [kms(1, { primary: true }), kms(1, { primary: true })] });
    expect(validateTenantConfig(c, 't1').sort()).toEqual(
      ['kmsConfigs has more than one primary', 'kmsConfigs id 1 appears twice', 'tenantId does not match the tenant it was sealed for'].sort(),
    );
  });

  it('rejects an unknown property, naming it', () => {
    expect(validateTenantConfig({ ...config(), extra: 1 }, 't1')).toEqual(["config has unknown property 'extra'"]);
    const c = config({ kmsConfigs: [{ ...kms(1, { primary: true }), region: 'x' } as KmsConfig] });
    expect(validateTenantConfig(c, 't1')).toEqual(["kmsConfigs.0 has unknown property 'region'"]);
  });

  it('rejects wrong types and out-of-range values, naming the field', () => {
    expect(validateTenantConfig(config({ kmsConfigs: [kms(0)] }), 't1')).toEqual(['kmsConfigs.0.id must be >= 1']);
    expect(validateTenantConfig(config({ kmsConfigs: [kms(2147483648)] }), 't1')).toEqual(['kmsConfigs.0.id must be <= 2147483647']);
    expect(validateTenantConfig(config({ kmsConfigs: [kms(1, { type: 'vault' as KmsConfig['type'] })] }), 't1')).toEqual([
      "kmsConfigs.0.type must be one of 'local', 'aws', 'gcp', 'azure'",
    ]);
    expect(validateTenantConfig(config({ secrets: [secret(1, { status: 'old' as TenantSecret['status'] })] }), 't1')).toHaveLength(1);
    expect(validateTenantConfig(config({ secrets: [secret(1, { encryptedSecret: '' })] }), 't1')).toEqual([
      'secrets.0.encryptedSecret must NOT have fewer than 1 characters',
    ]);
  });

  it('rejects a missing required field and non-objects', () => {
    const { secrets: _s, ...noSecrets } = config();
    expect(validateTenantConfig(noSecrets, 't1')).toEqual(['secrets is required']);
    expect(validateTenantConfig(null, 't1')).toEqual(['config must be object']);
    expect(validateTenantConfig('t1', 't1')).toEqual(['config must be object']);
  });

  it('problems never contain credential values', () => {
    const value = { ...config(), kmsConfigs: [{ ...kms(1, { primary: true }), credentials: 'do-not-echo-kek' }] };
    const problems = validateTenantConfig(value, 't1');
    expect(problems).toEqual(['kmsConfigs.0.credentials must be object']);
    expect(problems.join()).not.toContain('do-not-echo-kek');
  });
});
