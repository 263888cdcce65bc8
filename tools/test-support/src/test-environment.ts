import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TenantConfig } from '@tsp/config-crypto';
import { DevEnvironment, ensureDevEnvironment, sealDocument } from '@tsp/dev-environment';

/** A throwaway development environment (keys, demo tenants, document) in a temp dir. */
export class TestEnvironment {
  private constructor(readonly env: DevEnvironment) {}

  static async create(): Promise<TestEnvironment> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsp-test-'));
    const { env } = await ensureDevEnvironment(dir);
    return new TestEnvironment(env);
  }

  get apiKey(): string {
    return this.env.apiKey;
  }

  /** The plain tenant configs and sequence currently sealed in the document. */
  tenants(): { sequence: number; tenants: TenantConfig[] } {
    return JSON.parse(readFileSync(this.env.tenantsFile, 'utf8')) as { sequence: number; tenants: TenantConfig[] };
  }

  /** Re-seals the document after `change` edits the tenants, with the next sequence. */
  update(change: (tenants: TenantConfig[]) => void): number {
    const { sequence, tenants } = this.tenants();
    change(tenants);
    sealDocument(this.env, tenants, sequence + 1);
    return sequence + 1;
  }

  remove(): void {
    rmSync(this.env.dir, { recursive: true, force: true });
  }
}
