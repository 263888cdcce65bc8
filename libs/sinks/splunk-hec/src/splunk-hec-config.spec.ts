import { sinkConfigCases } from '@tsp/sink-conformance';
import { classifyHecAnswer, parseHecReply } from './hec-outcome';
import { hecTime } from './hec-request';
import { hecEventEndpoint } from './splunk-hec-config';
import { splunkHecSinkPlugin } from './splunk-hec-sink';

const URL_PATTERN = 'logging.sinks[hec].settings.url must match pattern "^https?://[^/@\\s?#]+(/[^\\s?#]*)?$"';

describe('splunk-hec config', () => {
  sinkConfigCases(splunkHecSinkPlugin, 'hec', [
    {
      name: 'accepts a full config',
      settings: { url: 'https://splunk.example:8088', index: 'sec', source: 's', sourcetype: 'st', host: 'h', caCertificate: '-----BEGIN CERTIFICATE-----\nx', compress: true, timeoutMs: 5000 },
      credentials: { token: 'abc' },
      problems: [],
    },
    { name: 'names missing url and token', problems: ['logging.sinks[hec].settings.url is required', 'logging.sinks[hec].credentials.token is required'] },
    {
      name: 'names bad fields without echoing their values',
      settings: { url: 'https://user:s3cretpw@splunk.example', index: '', compress: 'yes', colour: 1 },
      credentials: { token: 'abc', extra: 'zz' },
      problems: [
        "logging.sinks[hec].settings has unknown property 'colour'",
        URL_PATTERN,
        'logging.sinks[hec].settings.index must NOT have fewer than 1 characters',
        'logging.sinks[hec].settings.compress must be boolean',
        "logging.sinks[hec].credentials has unknown property 'extra'",
      ],
      neverEchoes: ['s3cretpw'],
    },
    {
      name: 'refuses a url that is not http(s) and a caCertificate that is not PEM',
      settings: { url: 'ftp://x', caCertificate: 'nope' },
      credentials: { token: 't' },
      problems: [URL_PATTERN, 'logging.sinks[hec].settings.caCertificate must match pattern "-----BEGIN CERTIFICATE-----"'],
    },
  ]);

  it('derives the event endpoint from a base url, keeping one that names it', () => {
    expect(hecEventEndpoint('https://h:8088')).toBe('https://h:8088/services/collector/event');
    expect(hecEventEndpoint('https://h:8088/proxy/')).toBe('https://h:8088/proxy/services/collector/event');
    expect(hecEventEndpoint('https://h:8088/services/collector')).toBe('https://h:8088/services/collector');
    expect(hecEventEndpoint('https://h/services/collector/event')).toBe('https://h/services/collector/event');
  });

  it('has limits under Splunk Cloud\'s 1 MB request cap', () => {
    expect(splunkHecSinkPlugin.type).toBe('splunk-hec');
    expect(splunkHecSinkPlugin.limits.maxBytes + splunkHecSinkPlugin.limits.maxEvents * 200).toBeLessThanOrEqual(1_000_000);
  });
});

describe('splunk-hec answer classification', () => {
  const body = (o: Record<string, unknown>): string => JSON.stringify(o);

  it('writes time as epoch seconds with milliseconds', () => {
    expect(hecTime(1_780_000_000_007)).toBe('1780000000.007');
    expect(hecTime(1_780_000_000_000)).toBe('1780000000.000');
  });

  it('reads text, code and invalid-event-number, tolerating a non-JSON body', () => {
    expect(parseHecReply(body({ text: 'Invalid data format', code: 6, 'invalid-event-number': 3 }))).toEqual({ text: 'Invalid data format', code: 6, invalidEventNumber: 3 });
    expect(parseHecReply('<html>busy</html>')).toEqual({ text: undefined, code: undefined, invalidEventNumber: undefined });
  });

  it('2xx is delivered; 400 without an event number (No data) is a reject; 401 a retry marked auth', () => {
    expect(classifyHecAnswer(200, undefined, body({ text: 'Success', code: 0 }), 3)).toEqual({ kind: 'delivered' });
    expect(classifyHecAnswer(400, undefined, body({ text: 'No data', code: 5 }), 3)).toEqual({ kind: 'reject', reason: 'splunk-hec answered 400: No data (code 5)' });
    expect(classifyHecAnswer(401, undefined, body({ text: 'Token is required', code: 2 }), 3)).toEqual({
      kind: 'retry',
      auth: true,
      reason: 'splunk-hec answered 401: Token is required (code 2)',
    });
  });

  it('an invalid-event-number outside the batch falls back to the status', () => {
    expect(classifyHecAnswer(400, undefined, body({ text: 'Invalid data format', code: 6, 'invalid-event-number': 9 }), 3).kind).toBe('reject');
  });

  it('event 0 invalid in a batch of three: 0 rejected, 1 and 2 retried', () => {
    expect(classifyHecAnswer(400, undefined, body({ text: 'Event field is required', code: 12, 'invalid-event-number': 0 }), 3)).toEqual({
      kind: 'partial',
      failed: [
        { index: 0, retry: false, reason: 'splunk-hec answered 400: Event field is required (code 12)' },
        { index: 1, retry: true, reason: 'splunk-hec stopped at event 0 (not processed)' },
        { index: 2, retry: true, reason: 'splunk-hec stopped at event 0 (not processed)' },
      ],
    });
  });

  it('413 is a reject; 503 busy without a number is a retry with its Retry-After', () => {
    expect(classifyHecAnswer(413, undefined, 'Content-Length of 2000000 too large (maximum is 1000000)', 3)).toEqual({ kind: 'reject', reason: 'splunk-hec answered 413' });
    expect(classifyHecAnswer(503, '3', body({ text: 'Server is busy', code: 9 }), 3)).toEqual({
      kind: 'retry',
      reason: 'splunk-hec answered 503: Server is busy (code 9)',
      retryAfterMs: 3000,
    });
  });
});
