import { parseLogdriverConfig } from './logdriver-config';

const required = { TSP_LOGDRIVER_SPOOL_DIR: '/tmp/s', TSP_LOGDRIVER_EVENTS_DIR: '/tmp/e' };
const source = {
  TSP_CONFIG_URL: 'file:///tmp/doc.json', TSP_SERVICE_CONFIG_ID: 'sa', TSP_BROKER_PUBLIC_KEY: 'b', TSP_SA_ENCRYPTION_KEY: 'e', TSP_SA_SIGNING_KEY: 's',
};

describe('parseLogdriverConfig', () => {
  it('applies the defaults and freezes the result', () => {
    const c = parseLogdriverConfig(required);
    expect(c).toEqual({
      host: '127.0.0.1', port: 9001, spoolDir: '/tmp/s', eventsDir: '/tmp/e', retentionSeconds: 3600,
      maxBodyBytes: 8 * 1024 * 1024, logLevel: 'info', shutdownTimeoutMs: 15000, defaultSink: 'stdout',
      batchMaxEvents: 1000, batchMaxBytes: 4194304, batchMaxAgeMs: 2000, rateLimit: 500, rateBurst: 1000,
      retryBaseMs: 500, retryMaxMs: 300000, sendTimeoutMs: 30000, tenantQuotaBytes: 1073741824, configSource: undefined,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('requires the spool directory, and the events directory only for a file default sink', () => {
    expect(() => parseLogdriverConfig({})).toThrow(/TSP_LOGDRIVER_SPOOL_DIR is required/);
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_SPOOL_DIR: '' })).toThrow(/TSP_LOGDRIVER_SPOOL_DIR/);
    expect(parseLogdriverConfig({ TSP_LOGDRIVER_SPOOL_DIR: '/s' }).eventsDir).toBe('');
    expect(() => parseLogdriverConfig({ TSP_LOGDRIVER_SPOOL_DIR: '/s', TSP_LOGDRIVER_DEFAULT_SINK: 'file' })).toThrow(
      "TSP_LOGDRIVER_DEFAULT_SINK is 'file', so TSP_LOGDRIVER_EVENTS_DIR must be set",
    );
  });

  it('reads the shared config-source variables: all of them or none', () => {
    expect(parseLogdriverConfig({ ...required, ...source, TSP_CONFIG_REFRESH_INTERVAL: '30' }).configSource).toEqual({
      configUrl: 'file:///tmp/doc.json', serviceConfigId: 'sa', brokerPublicKey: 'b', encryptionKey: 'e', signingKey: 's',
      configRefreshSeconds: 30, configFetchTimeoutSeconds: 10, configLongPollSeconds: 25,
    });
    expect(() => parseLogdriverConfig({ ...required, TSP_CONFIG_URL: 'file:///x', TSP_SERVICE_CONFIG_ID: 'sa' })).toThrow(
      'TSP_CONFIG_URL is set, so TSP_BROKER_PUBLIC_KEY, TSP_SA_ENCRYPTION_KEY, TSP_SA_SIGNING_KEY must be set too',
    );
    expect(() => parseLogdriverConfig({ ...required, ...source, TSP_CONFIG_REFRESH_INTERVAL: '0' })).toThrow('TSP_CONFIG_REFRESH_INTERVAL must be an integer from 1');
  });

  it('rejects unknown TSP_LOGDRIVER_ variables and bad values, naming each; ignores other variables', () => {
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_PROT: '1' })).toThrow('TSP_LOGDRIVER_PROT is not a known setting');
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_PORT: '70000' })).toThrow('TSP_LOGDRIVER_PORT must be an integer from 0 to 65535');
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_RETENTION_SECONDS: '1h' })).toThrow('TSP_LOGDRIVER_RETENTION_SECONDS must be an integer');
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_LOG_LEVEL: 'loud' })).toThrow(/TSP_LOGDRIVER_LOG_LEVEL must be one of/);
    expect(parseLogdriverConfig({ ...required, TSP_PORT: '7777', HOME: '/x', TSP_LOGDRIVER_PORT: '9100' }).port).toBe(9100);
  });
});
