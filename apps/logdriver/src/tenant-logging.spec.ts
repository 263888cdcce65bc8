import type { OpenedTenant, TenantConfig } from '@tsp/config-crypto';
import { fileSinkPlugin } from '@tsp/sink-file';
import { stdoutSinkPlugin } from '@tsp/sink-stdout';
import { TenantLogging } from './tenant-logging';

const plugins = new Map([stdoutSinkPlugin, fileSinkPlugin].map((p) => [p.type, p]));
const defaults = { defaultSink: 'stdout', maxEvents: 1000, maxBytes: 4 << 20, maxAgeMs: 2000, ratePerSecond: 500, burst: 1000 };

function tenant(tenantId: string, logging?: TenantConfig['logging']): OpenedTenant {
  return { tenantId, ok: true, fingerprint: 'fp', config: { tenantId, kmsConfigs: [], secrets: [], ...(logging ? { logging } : {}) } };
}

describe('TenantLogging', () => {
  it('routes tenants without a logging config (or not in the document) to the default sink', () => {
    const l = new TenantLogging(plugins, defaults, '/tmp/events');
    l.apply([tenant('plain')]);
    for (const id of ['plain', 'unknown']) {
      const r = l.route(id);
      expect(r.kind === 'ok' ? r.sinks.map((s) => [s.id, s.plugin.type]) : r).toEqual([['_default', 'stdout']]);
    }
  });

  it('takes a tenant config: its sinks, rate limit and batch caps under the sink limits', () => {
    const l = new TenantLogging(plugins, defaults, '/tmp/events');
    l.apply([tenant('t', { sinks: [{ id: 'f', type: 'file' }, { id: 'o', type: 'stdout' }], rateLimit: { eventsPerSecond: 50 }, batch: { maxEvents: 20000, maxAgeMs: 100 } })]);
    const r = l.route('t');
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.sinks.map((s) => [s.id, s.maxEvents])).toEqual([['f', 10000], ['o', 10000]]);
    expect([r.ratePerSecond, r.burst, r.maxAgeMs]).toEqual([50, 1000, 100]);
  });

  it('holds a tenant whose config is invalid or did not open, naming the problems; others are unaffected', () => {
    const l = new TenantLogging(plugins, defaults, undefined);
    l.apply([
      tenant('needs-dir', { sinks: [{ id: 'f', type: 'file' }] }),
      tenant('typo', { sinks: [{ id: 's', type: 'splunk-hek' }] }),
      { tenantId: 'sealed-badly', ok: false, problems: ['part does not open'] },
      tenant('fine'),
    ]);
    expect(l.heldTenants()).toEqual([
      { tenantId: 'needs-dir', problems: ['logging.sinks[f] is a file sink, but this logdriver has no TSP_LOGDRIVER_EVENTS_DIR'] },
      { tenantId: 'typo', problems: ["logging.sinks[s].type 'splunk-hek' is not a sink this logdriver knows"] },
      { tenantId: 'sealed-badly', problems: ['part does not open'] },
    ]);
    expect(l.route('fine').kind).toBe('ok');
  });

  it('apply reports exactly the tenants whose route changed', () => {
    const l = new TenantLogging(plugins, defaults, '/tmp/events');
    expect(l.apply([tenant('a', { sinks: [{ id: 'f', type: 'file' }] }), tenant('b')])).toEqual(['a']);
    expect(l.apply([tenant('a', { sinks: [{ id: 'f', type: 'file' }] }), tenant('b')])).toEqual([]);
    expect(l.apply([tenant('a', { sinks: [{ id: 'f', type: 'file', settings: { maxFiles: 2 } }] }), tenant('b', { sinks: [{ id: 'o', type: 'stdout' }] })])).toEqual(['a', 'b']);
    expect(l.apply([tenant('b', { sinks: [{ id: 'o', type: 'stdout' }] })])).toEqual(['a']);
  });

  it('refuses an unknown or invalid default sink at startup', () => {
    expect(() => new TenantLogging(plugins, { ...defaults, defaultSink: 'kafka' }, undefined)).toThrow("default sink type 'kafka' is not a known sink");
    expect(() => new TenantLogging(plugins, { ...defaults, defaultSink: 'file' }, undefined)).toThrow(/no TSP_LOGDRIVER_EVENTS_DIR/);
  });
});
