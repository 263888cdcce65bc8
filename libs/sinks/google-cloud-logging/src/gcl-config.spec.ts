import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { googleCloudLoggingSinkPlugin } from './google-cloud-logging-sink';
import { gclSettings } from './gcl-config';
import { strangerKey } from './spec-support';

const KEY = strangerKey();
const valid = (over: { settings?: Record<string, unknown>; credentials?: Record<string, unknown> } = {}): LoggingSinkConfig => ({
  id: 'g1',
  type: 'google-cloud-logging',
  settings: { projectId: 'tenant-proj-1', ...over.settings },
  credentials: { client_email: 'sa@tenant-proj-1.iam.gserviceaccount.com', private_key: KEY, ...over.credentials },
});
const problems = (c: LoggingSinkConfig): string[] => googleCloudLoggingSinkPlugin.validate(c, { eventsDir: undefined });

describe('google-cloud-logging sink config', () => {
  it('accepts a minimal config and a full service-account key file', () => {
    expect(problems(valid())).toEqual([]);
    const full = valid({
      settings: { logId: 'tsp/events', resource: { type: 'global', labels: { a: 'b' } }, severity: 'INFO', endpoint: 'https://logging.example.internal', timeoutMs: 5000 },
      credentials: { type: 'service_account', project_id: 'p', private_key_id: 'k1', client_id: '1', auth_uri: 'https://x', token_uri: 'https://oauth2.googleapis.com/token', universe_domain: 'googleapis.com' },
    });
    expect(problems(full)).toEqual([]);
  });

  it('names each missing or invalid field, never its value', () => {
    const out = problems({ id: 'g1', type: 'google-cloud-logging', settings: { logId: 'bad id!', severity: 'LOUD', colour: 1 }, credentials: { private_key: 'SECRET-NOT-A-KEY' } });
    expect(out).toEqual(
      expect.arrayContaining([
        'logging.sinks[g1].settings.projectId is required',
        "logging.sinks[g1].settings has unknown property 'colour'",
        'logging.sinks[g1].credentials.client_email is required',
        'logging.sinks[g1].credentials.private_key must be a PEM RSA private key',
      ]),
    );
    expect(out.some((p) => p.startsWith('logging.sinks[g1].settings.logId '))).toBe(true);
    expect(out.some((p) => p.startsWith('logging.sinks[g1].settings.severity must be one of'))).toBe(true);
    expect(out.join('\n')).not.toContain('SECRET-NOT-A-KEY');
    expect(out.join('\n')).not.toContain('bad id!');
  });

  it('refuses http endpoints off loopback, paths, and a bad token_uri', () => {
    expect(problems(valid({ settings: { endpoint: 'http://logging.example.com' } }))).toEqual(['logging.sinks[g1].settings.endpoint may use http:// only for a loopback host']);
    expect(problems(valid({ settings: { endpoint: 'https://logging.example.com/v2' } }))).toEqual([
      'logging.sinks[g1].settings.endpoint must be an origin (scheme, host and port) without a path',
    ]);
    expect(problems(valid({ credentials: { token_uri: 'ftp://x' } }))).toEqual(['logging.sinks[g1].credentials.token_uri must be an https:// URL']);
    expect(problems(valid({ credentials: { type: 'authorized_user' } }))).toEqual(["logging.sinks[g1].credentials.type must be 'service_account'"]);
  });

  it('create refuses an invalid config', () => {
    expect(() => googleCloudLoggingSinkPlugin.create(valid({ settings: { projectId: 'X' } }), { tenantId: 't', sinkId: 's', eventsDir: undefined, stdout: process.stdout })).toThrow(
      'invalid google-cloud-logging sink config',
    );
  });

  it('derives the logName (URL-encoded logId), defaults and the endpoint', () => {
    const d = gclSettings(valid());
    expect(d).toMatchObject({
      logName: 'projects/tenant-proj-1/logs/tenant-security-events',
      resource: { type: 'global', labels: {} },
      severity: 'NOTICE',
      endpoint: undefined,
      tokenUri: 'https://oauth2.googleapis.com/token',
    });
    const s = gclSettings(valid({ settings: { logId: 'a/b.c', endpoint: 'http://127.0.0.1:8123' } }));
    expect(s.logName).toBe('projects/tenant-proj-1/logs/a%2Fb.c');
    expect(s.endpoint).toEqual({ protocol: 'http', host: '127.0.0.1', port: 8123 });
  });

  it('declares limits from the service quotas', () => {
    expect(googleCloudLoggingSinkPlugin.type).toBe('google-cloud-logging');
    expect(googleCloudLoggingSinkPlugin.limits.maxEvents).toBe(1000);
    expect(googleCloudLoggingSinkPlugin.limits.maxBytes).toBeLessThan(10 * 1024 * 1024);
  });
});
