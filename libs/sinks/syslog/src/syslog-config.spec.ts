import { configProblems } from '@tsp/sink-conformance';
import { escapeParamValue, headerField } from './syslog-message';
import { syslogSinkPlugin } from './syslog-sink';

const validate = configProblems(syslogSinkPlugin, 'sl');
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecretkeymaterial\n-----END PRIVATE KEY-----\n';

describe('syslog sink config', () => {
  it('accepts a minimal and a full config', () => {
    expect(validate({ host: 'syslog.internal', port: 6514 })).toEqual([]);
    expect(
      validate(
        {
          transport: 'tls', host: '10.0.0.5', port: 6514, facility: 'local4', appName: 'tsp', hostname: 'ld-1', sdId: 'tsp@32473',
          maxMessageBytes: 8192, caCertificate: CERT, serverName: 'syslog.internal', handshakeSettleMs: 0, utf8Bom: true,
        },
        { clientCertificate: CERT, clientKey: KEY },
      ),
    ).toEqual([]);
    expect(validate({ transport: 'tcp', host: '127.0.0.1', port: 514 })).toEqual([]);
  });

  it('names missing and malformed fields, never their values', () => {
    expect(validate({})).toEqual(['logging.sinks[sl].settings.host is required', 'logging.sinks[sl].settings.port is required']);
    const problems = validate({ host: 'h', port: 70000, transport: 'udp', facility: 'security', appName: 'has space', maxMessageBytes: 100, colour: 1 });
    expect(problems).toEqual(
      expect.arrayContaining([
        "logging.sinks[sl].settings has unknown property 'colour'",
        expect.stringMatching(/^logging\.sinks\[sl\]\.settings\.port /),
        expect.stringMatching(/^logging\.sinks\[sl\]\.settings\.transport must be one of 'tcp', 'tls'$/),
        expect.stringMatching(/^logging\.sinks\[sl\]\.settings\.facility must be one of 'kern'/),
        expect.stringMatching(/^logging\.sinks\[sl\]\.settings\.appName /),
        expect.stringMatching(/^logging\.sinks\[sl\]\.settings\.maxMessageBytes /),
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(validate({ host: 'h', port: 1, sdId: 'bad=id' })).toEqual([expect.stringMatching(/^logging\.sinks\[sl\]\.settings\.sdId /)]);
  });

  it('checks the client certificate pair and TLS-only fields, without echoing the key', () => {
    const onlyKey = validate({ host: 'h', port: 6514 }, { clientKey: KEY });
    expect(onlyKey).toEqual(['logging.sinks[sl].credentials.clientCertificate is required with clientKey']);
    expect(validate({ host: 'h', port: 6514 }, { clientCertificate: CERT })).toEqual(['logging.sinks[sl].credentials.clientKey is required with clientCertificate']);
    expect(validate({ transport: 'tcp', host: 'h', port: 514, caCertificate: CERT, serverName: 'x' }, { clientCertificate: CERT, clientKey: KEY })).toEqual([
      "logging.sinks[sl].settings.caCertificate is only valid with transport 'tls'",
      "logging.sinks[sl].settings.serverName is only valid with transport 'tls'",
      "logging.sinks[sl].credentials.clientCertificate is only valid with transport 'tls'",
    ]);
    const badKey = validate({ host: 'h', port: 6514 }, { clientCertificate: CERT, clientKey: 'secretkeymaterial' });
    expect(badKey).toEqual([expect.stringMatching(/^logging\.sinks\[sl\]\.credentials\.clientKey /)]);
    expect(badKey.join()).not.toContain('secretkeymaterial');
  });
});

describe('syslog message fields', () => {
  it('escapes exactly ", \\ and ] in PARAM-VALUE', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
  });

  it('sanitises header fields to printable US-ASCII and NILVALUE when empty', () => {
    expect(headerField('host name\u00e9', 255)).toBe('host_name_');
    expect(headerField('', 32)).toBe('-');
    expect(headerField('x'.repeat(40), 32)).toBe('x'.repeat(32));
  });
});
