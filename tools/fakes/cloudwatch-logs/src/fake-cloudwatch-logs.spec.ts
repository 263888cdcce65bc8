import { request } from 'node:http';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { FakeCloudWatchLogs, startFakeCloudWatchLogs } from './fake-server';

const CRED = { accessKeyId: 'AKIAFAKECWLFAKE0001', secretAccessKey: 'fake-cwl-secret/0123456789' };
const NOW = 1_800_000_000_000;

describe('fake CloudWatch Logs, through the real SDK', () => {
  let fake: FakeCloudWatchLogs;
  let client: CloudWatchLogsClient;
  beforeAll(async () => {
    fake = await startFakeCloudWatchLogs({ region: 'us-west-2', credentials: [CRED], groups: [{ name: 'g', streams: ['s'] }], eventClock: () => NOW });
    client = new CloudWatchLogsClient({ region: 'us-west-2', endpoint: fake.url, credentials: CRED, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await fake.stop();
  });
  const put = (logEvents: { timestamp: number; message: string }[], logStreamName = 's') =>
    client.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName, logEvents }));
  const errorOf = async (p: Promise<unknown>): Promise<[string, number | undefined, string]> => {
    try {
      await p;
    } catch (e) {
      const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
      return [err.name, err.$metadata?.httpStatusCode, err.message];
    }
    throw new Error('expected an error');
  };

  it('stores sorted events and reports rejected ones by index', async () => {
    const DAY = 86_400_000;
    const old = await put([
      { timestamp: NOW - 14 * DAY - 2, message: 'old1' },
      { timestamp: NOW - 14 * DAY - 1, message: 'old2' },
      { timestamp: NOW - 14 * DAY + 1000, message: 'a' },
    ]);
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 2 });
    const out = await put([
      { timestamp: NOW - 1, message: 'b' },
      { timestamp: NOW, message: 'c' },
      { timestamp: NOW + 3 * 3_600_000, message: 'new' },
    ]);
    expect(out.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 2 });
    expect(typeof out.nextSequenceToken).toBe('string');
    expect(fake.events('g', 's').map((e) => e.message)).toEqual(['a', 'b', 'c']);
  });

  it('refuses unsorted, too large, too long a span and empty batches with InvalidParameterException', async () => {
    expect(await errorOf(put([{ timestamp: NOW, message: 'a' }, { timestamp: NOW - 1, message: 'b' }]))).toEqual([
      'InvalidParameterException',
      400,
      'Log events in a single PutLogEvents request must be in chronological order.',
    ]);
    const big = 'x'.repeat(200_000);
    expect((await errorOf(put(new Array(6).fill(0).map(() => ({ timestamp: NOW, message: big })))))[2]).toBe('Upload too large: 1200156 bytes exceeds limit of 1048576');
    expect((await errorOf(put([{ timestamp: NOW, message: 'x'.repeat(262_119) }])))[2]).toBe('Log event too large: 262145 bytes exceeds limit of 262144');
    expect((await errorOf(put([{ timestamp: NOW - 86_400_001, message: 'a' }, { timestamp: NOW, message: 'b' }])))[0]).toBe('InvalidParameterException');
    expect((await errorOf(put([])))[0]).toBe('InvalidParameterException');
  });

  it('answers ResourceNotFoundException / ResourceAlreadyExistsException like the service', async () => {
    expect(await errorOf(put([{ timestamp: NOW, message: 'a' }], 'nope'))).toEqual(['ResourceNotFoundException', 400, 'The specified log stream does not exist.']);
    await client.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'nope' }));
    expect((await errorOf(client.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'nope' }))))[0]).toBe('ResourceAlreadyExistsException');
    expect((await errorOf(client.send(new CreateLogStreamCommand({ logGroupName: 'missing', logStreamName: 'x' }))))[2]).toBe('The specified log group does not exist.');
    await client.send(new CreateLogGroupCommand({ logGroupName: 'g2' }));
    expect(fake.received()).toBeDefined();
  });

  it('verifies SigV4 for service logs: wrong secret, unknown key, wrong region', async () => {
    const wrong = new CloudWatchLogsClient({ region: 'us-west-2', endpoint: fake.url, credentials: { ...CRED, secretAccessKey: 'nope-nope-nope' }, maxAttempts: 1 });
    expect((await errorOf(wrong.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: NOW, message: 'x' }] }))))[0]).toBe(
      'InvalidSignatureException',
    );
    const unknown = new CloudWatchLogsClient({ region: 'us-west-2', endpoint: fake.url, credentials: { ...CRED, accessKeyId: 'AKIAUNKNOWN00000000' }, maxAttempts: 1 });
    expect((await errorOf(unknown.send(new CreateLogGroupCommand({ logGroupName: 'z' }))))[0]).toBe('UnrecognizedClientException');
    const region = new CloudWatchLogsClient({ region: 'eu-west-1', endpoint: fake.url, credentials: CRED, maxAttempts: 1 });
    expect((await errorOf(region.send(new CreateLogGroupCommand({ logGroupName: 'z' }))))[2]).toContain('scoped to a valid region');
    for (const c of [wrong, unknown, region]) c.destroy();
  });

  it('an unsigned request gets MissingAuthenticationTokenException', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${fake.url}/`,
        { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.PutLogEvents' } },
        (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('injects errors with their AWS status, for a number of requests, and latency', async () => {
    fake.addFault({ operation: 'PutLogEvents', times: 1, action: { type: 'error', error: 'ServiceUnavailableException' } });
    expect(await errorOf(put([{ timestamp: NOW, message: 'a' }]))).toEqual(['ServiceUnavailableException', 500, 'The service cannot complete the request.']);
    fake.addFault({ times: 1, action: { type: 'latency', ms: 150 } });
    const started = Date.now();
    await put([{ timestamp: NOW, message: 'a' }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
