import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand, RejectedLogEventsInfo } from '@aws-sdk/client-cloudwatch-logs';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { credentialsOf, DeliveryOutcome, ItemFailure, secretStrings, settingsOf, Sink, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { CloudWatchLogsCredentials, cloudWatchLogsConfigProblems, CloudWatchLogsSettings, DEFAULT_CLOUDWATCH_TIMEOUT_MS } from './cloudwatch-config';
import { CWL_EVENT_OVERHEAD_BYTES, CWL_MAX_EVENTS, CWL_MAX_REQUEST_BYTES, planPuts, PutChunk } from './cloudwatch-batching';
import { classifyCloudWatchError, sdkErrorFacts } from './cloudwatch-errors';

/** The answer to one PutLogEvents call: accepted (maybe with rejected items), or a whole-call outcome. */
type PutResult = { ok: true; rejected: RejectedLogEventsInfo | undefined } | { ok: false; outcome: Extract<DeliveryOutcome, { kind: 'retry' | 'reject' }> };

const TOO_OLD = 'log event more than 14 days old';
const EXPIRED = 'log event older than the log group retention';
const TOO_NEW = 'log event more than 2 hours in the future';

/**
 * `cloudwatch-logs`: PutLogEvents into one log group and stream with the AWS SDK
 * (docs/sinks/cloudwatch-logs.md). Each event is {timestamp: timestampMillis, message: the
 * delivered JSON}; the batch is sorted by timestamp and cut by the service's limits (planPuts),
 * failures are mapped back to batch indices. maxAttempts 1: the pipeline owns retries.
 */
export class CloudWatchLogsSink implements Sink {
  readonly type = 'cloudwatch-logs';
  private readonly client: CloudWatchLogsClient;
  private readonly secrets: string[];

  /** `settings` and `credentials` must have passed cloudWatchLogsConfigProblems. */
  constructor(
    private readonly settings: CloudWatchLogsSettings,
    credentials: CloudWatchLogsCredentials,
  ) {
    this.secrets = secretStrings({ secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken });
    const timeout = settings.timeoutMs ?? DEFAULT_CLOUDWATCH_TIMEOUT_MS;
    // Explicit region and credentials: the SDK never reads the environment, files or IMDS.
    this.client = new CloudWatchLogsClient({
      region: settings.region,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
      },
      maxAttempts: 1,
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 8 }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 8 }),
        connectionTimeout: timeout,
        requestTimeout: timeout,
      },
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    });
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const plan = planPuts(batch);
    const failures: ItemFailure[] = plan.oversized.map((index) => ({ index, retry: false, reason: 'log event larger than 256 KB' }));
    const wholeOutcomes: Extract<DeliveryOutcome, { kind: 'retry' | 'reject' }>[] = [];
    let itemLevel = failures.length;
    let accepted = 0;
    for (let c = 0; c < plan.chunks.length; c++) {
      const chunk = plan.chunks[c] as PutChunk;
      const r = await this.putWithStream(chunk, signal);
      if (r.ok) {
        const rejected = rejectedItems(chunk, r.rejected);
        failures.push(...rejected);
        itemLevel += rejected.length;
        accepted += chunk.indices.length - rejected.length;
        continue;
      }
      wholeOutcomes.push(r.outcome);
      const retry = r.outcome.kind === 'retry';
      // After a retry (throttled, down, bad credentials) the later calls would fail alike.
      const affected = retry ? plan.chunks.slice(c).flatMap((k) => k.indices) : chunk.indices;
      for (const index of affected) failures.push({ index, retry, reason: r.outcome.reason });
      if (retry) break;
    }
    if (failures.length === 0) return { kind: 'delivered' };
    const first = wholeOutcomes[0];
    if (accepted === 0 && itemLevel === 0 && first !== undefined && wholeOutcomes.every((o) => o.kind === first.kind)) return first;
    return { kind: 'partial', failed: failures };
  }

  /** PutLogEvents; with createLogStream, a missing stream is created once and the call resent. */
  private async putWithStream(chunk: PutChunk, signal: AbortSignal): Promise<PutResult> {
    const first = await this.put(chunk, signal);
    if (first.ok || this.settings.createLogStream !== true || !first.notFound) return first.result;
    try {
      await this.client.send(new CreateLogStreamCommand({ logGroupName: this.settings.logGroupName, logStreamName: this.settings.logStreamName }), { abortSignal: signal });
    } catch (e) {
      // Created meanwhile by another sender: resend.
      if (sdkErrorFacts(e).name !== 'ResourceAlreadyExistsException') return this.failed(e);
    }
    return (await this.put(chunk, signal)).result;
  }

  private async put(chunk: PutChunk, signal: AbortSignal): Promise<{ ok: boolean; notFound: boolean; result: PutResult }> {
    try {
      const out = await this.client.send(
        new PutLogEventsCommand({ logGroupName: this.settings.logGroupName, logStreamName: this.settings.logStreamName, logEvents: chunk.logEvents }),
        { abortSignal: signal },
      );
      return { ok: true, notFound: false, result: { ok: true, rejected: out.rejectedLogEventsInfo } };
    } catch (e) {
      const name = sdkErrorFacts(e).name;
      // Obsolete since 2023, but its meaning is "this batch is stored already".
      if (name === 'DataAlreadyAcceptedException') return { ok: true, notFound: false, result: { ok: true, rejected: undefined } };
      return { ok: false, notFound: name === 'ResourceNotFoundException', result: this.failed(e) };
    }
  }

  private failed(e: unknown): PutResult {
    return { ok: false, outcome: classifyCloudWatchError(e, this.secrets) as Extract<DeliveryOutcome, { kind: 'retry' | 'reject' }> };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * The items of one call that rejectedLogEventsInfo names, as batch indices: [0, expiredEnd) and
 * [0, tooOldEnd) (exclusive ends) for good, [tooNewStart, n) (inclusive) for a later retry (a
 * sender's clock running ahead catches up).
 */
export function rejectedItems(chunk: PutChunk, info: RejectedLogEventsInfo | undefined): ItemFailure[] {
  if (info === undefined) return [];
  const n = chunk.indices.length;
  const clamp = (v: number | undefined, dflt: number): number => (v === undefined || !Number.isInteger(v) ? dflt : Math.max(0, Math.min(n, v)));
  const expiredEnd = clamp(info.expiredLogEventEndIndex, 0);
  const tooOldEnd = clamp(info.tooOldLogEventEndIndex, 0);
  const tooNewStart = clamp(info.tooNewLogEventStartIndex, n);
  const out: ItemFailure[] = [];
  for (let i = 0; i < n; i++) {
    const index = chunk.indices[i] as number;
    if (i < expiredEnd) out.push({ index, retry: false, reason: EXPIRED });
    else if (i < tooOldEnd) out.push({ index, retry: false, reason: TOO_OLD });
    else if (i >= tooNewStart) out.push({ index, retry: true, reason: TOO_NEW });
  }
  return out;
}

export const cloudWatchLogsSinkPlugin: SinkPlugin = {
  type: 'cloudwatch-logs',
  // 10,000 events per call; bytes such that a full batch of ASCII events (json + 26 each) fits one
  // call. Bigger UTF-8 batches and batches spanning over 24 hours are split by planPuts.
  limits: { maxEvents: CWL_MAX_EVENTS, maxBytes: CWL_MAX_REQUEST_BYTES - CWL_MAX_EVENTS * CWL_EVENT_OVERHEAD_BYTES },
  validate: (config: LoggingSinkConfig) => cloudWatchLogsConfigProblems(config),
  create: (config: LoggingSinkConfig) =>
    new CloudWatchLogsSink(settingsOf<CloudWatchLogsSettings>(config), credentialsOf<CloudWatchLogsCredentials>(config)),
};
