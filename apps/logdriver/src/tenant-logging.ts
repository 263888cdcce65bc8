import { createHash } from 'node:crypto';
import type { LoggingConfig, LoggingSinkConfig, OpenedTenant } from '@tsp/config-crypto';
import type { SinkPlugin } from '@tsp/sinks-core';

/** The id of the logdriver's default sink, used for tenants without a logging config. */
export const DEFAULT_SINK_ID = '_default';

/** Logdriver-wide defaults a tenant's logging config may override. */
export interface LoggingDefaults {
  /** Sink type for tenants without a logging config ('stdout' as the original, or 'file'). */
  defaultSink: string;
  maxEvents: number;
  maxBytes: number;
  maxAgeMs: number;
  ratePerSecond: number;
  burst: number;
}

export interface ResolvedSink {
  id: string;
  plugin: SinkPlugin;
  config: LoggingSinkConfig;
  maxEvents: number;
  maxBytes: number;
}

/**
 * How one tenant's events are delivered right now:
 * - ok: to these sinks (the tenant's own, or the default sink when it has no logging config);
 * - held: its config failed to open or validate: events stay in the spool (within the tenant's
 *   quota) until a valid config arrives; they never go to a destination the tenant did not choose.
 */
export type TenantRoute =
  | { kind: 'ok'; fingerprint: string; sinks: ResolvedSink[]; maxAgeMs: number; ratePerSecond: number; burst: number }
  | { kind: 'held'; fingerprint: string; problems: string[] };

/**
 * The tenants' logging configs from the latest config document, validated by the sink plug-ins.
 * Tenants absent from the document (or every tenant, when the logdriver has no config source)
 * use the default sink.
 */
export class TenantLogging {
  private tenants = new Map<string, TenantRoute>();
  private readonly defaultRoute: TenantRoute;

  constructor(
    private readonly plugins: ReadonlyMap<string, SinkPlugin>,
    private readonly defaults: LoggingDefaults,
    private readonly eventsDir: string | undefined,
  ) {
    const plugin = plugins.get(defaults.defaultSink);
    if (plugin === undefined) throw new Error(`default sink type '${defaults.defaultSink}' is not a known sink`);
    const config: LoggingSinkConfig = { id: DEFAULT_SINK_ID, type: defaults.defaultSink };
    const problems = plugin.validate(config, { eventsDir });
    if (problems.length > 0) throw new Error(`default sink: ${problems.join('; ')}`);
    this.defaultRoute = {
      kind: 'ok', fingerprint: `default:${defaults.defaultSink}`, sinks: [this.resolveSink(plugin, config, undefined)],
      maxAgeMs: defaults.maxAgeMs, ratePerSecond: defaults.ratePerSecond, burst: defaults.burst,
    };
  }

  route(tenantId: string): TenantRoute {
    return this.tenants.get(tenantId) ?? this.defaultRoute;
  }

  /**
   * Takes the tenants of a newly loaded document; returns the ids whose route changed (added,
   * removed or different), so only their pipelines are rebuilt.
   */
  apply(opened: readonly OpenedTenant[]): string[] {
    const next = new Map<string, TenantRoute>();
    for (const t of opened) {
      if (!t.ok) next.set(t.tenantId, { kind: 'held', fingerprint: `held:${t.problems.join(';')}`, problems: t.problems });
      else if (t.config.logging !== undefined) next.set(t.tenantId, this.resolve(t.config.logging));
    }
    const changed: string[] = [];
    for (const [id, r] of next) if (this.route(id).fingerprint !== r.fingerprint) changed.push(id);
    for (const id of this.tenants.keys()) if (!next.has(id) && this.tenants.get(id)?.fingerprint !== this.defaultRoute.fingerprint) changed.push(id);
    this.tenants = next;
    return changed;
  }

  /** Tenants whose logging config is held back, with why (no values). */
  heldTenants(): { tenantId: string; problems: string[] }[] {
    const out: { tenantId: string; problems: string[] }[] = [];
    for (const [tenantId, r] of this.tenants) if (r.kind === 'held') out.push({ tenantId, problems: r.problems });
    return out;
  }

  private resolve(logging: LoggingConfig): TenantRoute {
    const fingerprint = createHash('sha256').update(JSON.stringify(logging)).digest('base64');
    const problems: string[] = [];
    const sinks: ResolvedSink[] = [];
    for (const s of logging.sinks) {
      const plugin = this.plugins.get(s.type);
      if (plugin === undefined) {
        problems.push(`logging.sinks[${s.id}].type '${s.type}' is not a sink this logdriver knows`);
        continue;
      }
      const p = plugin.validate(s, { eventsDir: this.eventsDir });
      if (p.length > 0) problems.push(...p);
      else sinks.push(this.resolveSink(plugin, s, logging.batch));
    }
    if (problems.length > 0) return { kind: 'held', fingerprint, problems };
    return {
      kind: 'ok', fingerprint, sinks,
      maxAgeMs: logging.batch?.maxAgeMs ?? this.defaults.maxAgeMs,
      ratePerSecond: logging.rateLimit?.eventsPerSecond ?? this.defaults.ratePerSecond,
      burst: logging.rateLimit?.burst ?? Math.max(this.defaults.burst, logging.rateLimit?.eventsPerSecond ?? 0),
    };
  }

  private resolveSink(plugin: SinkPlugin, config: LoggingSinkConfig, batch: LoggingConfig['batch']): ResolvedSink {
    return {
      id: config.id, plugin, config,
      maxEvents: Math.min(plugin.limits.maxEvents, batch?.maxEvents ?? this.defaults.maxEvents),
      maxBytes: Math.min(plugin.limits.maxBytes, batch?.maxBytes ?? this.defaults.maxBytes),
    };
  }
}
