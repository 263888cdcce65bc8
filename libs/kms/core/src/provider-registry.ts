import type { KmsConfig, KmsType } from '@tsp/config-crypto';
import type { KmsProvider, KmsProviderFactory } from './kms-provider';

/** The KMS types this build knows, each from its own lib; the app registers them in main.ts. */
export class KmsProviderRegistry {
  private readonly factories = new Map<KmsType, KmsProviderFactory>();

  register(factory: KmsProviderFactory): this {
    this.factories.set(factory.type, factory);
    return this;
  }

  validate(config: KmsConfig): string[] {
    const f = this.factories.get(config.type);
    if (f === undefined) return [`kmsConfigs id ${config.id}: type '${config.type}' is not supported by this proxy`];
    return f.validate(config).map((p) => `kmsConfigs id ${config.id}: ${p}`);
  }

  /** Precondition: validate(config) returned no problems. */
  create(config: KmsConfig): KmsProvider {
    const f = this.factories.get(config.type);
    if (f === undefined) throw new Error(`no KMS provider for type ${config.type}`);
    return f.create(config);
  }

  types(): KmsType[] {
    return [...this.factories.keys()];
  }
}
