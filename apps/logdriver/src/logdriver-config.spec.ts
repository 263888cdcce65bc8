import { parseLogdriverConfig } from './logdriver-config';

const required = { TSP_LOGDRIVER_SPOOL_DIR: '/tmp/s', TSP_LOGDRIVER_EVENTS_DIR: '/tmp/e' };

describe('parseLogdriverConfig', () => {
  it('applies the defaults and freezes the result', () => {
    const c = parseLogdriverConfig(required);
    expect(c).toEqual({
      host: '127.0.0.1', port: 9001, spoolDir: '/tmp/s', eventsDir: '/tmp/e', retentionSeconds: 3600,
      maxBodyBytes: 8 * 1024 * 1024, logLevel: 'info', shutdownTimeoutMs: 15000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('requires the spool and events directories', () => {
    expect(() => parseLogdriverConfig({})).toThrow(/TSP_LOGDRIVER_SPOOL_DIR is required[\s\S]*TSP_LOGDRIVER_EVENTS_DIR is required/);
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_SPOOL_DIR: '' })).toThrow(/TSP_LOGDRIVER_SPOOL_DIR/);
  });

  it('rejects unknown TSP_LOGDRIVER_ variables and bad values, naming each; ignores other variables', () => {
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_PROT: '1' })).toThrow('TSP_LOGDRIVER_PROT is not a known setting');
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_PORT: '70000' })).toThrow('TSP_LOGDRIVER_PORT must be an integer from 0 to 65535');
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_RETENTION_SECONDS: '1h' })).toThrow('TSP_LOGDRIVER_RETENTION_SECONDS must be an integer');
    expect(() => parseLogdriverConfig({ ...required, TSP_LOGDRIVER_LOG_LEVEL: 'loud' })).toThrow(/TSP_LOGDRIVER_LOG_LEVEL must be one of/);
    expect(parseLogdriverConfig({ ...required, TSP_PORT: '7777', HOME: '/x', TSP_LOGDRIVER_PORT: '9100' }).port).toBe(9100);
  });
});
