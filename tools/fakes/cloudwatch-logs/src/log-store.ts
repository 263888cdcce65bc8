import { randomBytes } from 'node:crypto';
import { CwlError } from './cwl-errors';

/**
 * Log groups, streams and events of the fake, with the PutLogEvents rules of the real service
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html):
 * 1..10,000 events; at most 1,048,576 bytes (UTF-8 messages + 26 bytes per event); each event at
 * most 256 KB (262,144 bytes with its 26); chronological order; a span of at most 24 hours (these
 * fail the whole request with InvalidParameterException). Events more than 2 hours in the future,
 * more than 14 days old or older than the group's retention are not stored but reported in
 * rejectedLogEventsInfo (tooNewLogEventStartIndex inclusive, tooOldLogEventEndIndex and
 * expiredLogEventEndIndex exclusive), the others are stored.
 */
export const MAX_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
export const MAX_EVENT_BYTES = 262_144;
export const MAX_SPAN_MS = 24 * 3600_000;
export const MAX_FUTURE_MS = 2 * 3600_000;
export const MAX_AGE_MS = 14 * 24 * 3600_000;

export interface StoredLogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

export interface RejectedLogEventsInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

interface LogGroup {
  retentionInDays: number | undefined;
  streams: Map<string, StoredLogEvent[]>;
}

const NAME_RE = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_RE = /^[^:*]{1,512}$/;

function param(message: string): CwlError {
  return new CwlError('InvalidParameterException', message);
}

function stringField(input: Record<string, unknown>, name: string, re: RegExp): string {
  const v = input[name];
  if (typeof v !== 'string') throw param(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  if (!re.test(v)) throw param(`1 validation error detected: Value '${v.slice(0, 64)}' at '${name}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${re.source}`);
  return v;
}

export class LogStore {
  private readonly groups = new Map<string, LogGroup>();

  /** `now` is the clock the age rules use (ms). */
  constructor(private readonly now: () => number) {}

  createGroup(name: string, retentionInDays?: number): void {
    if (this.groups.has(name)) throw new CwlError('ResourceAlreadyExistsException', 'The specified log group already exists');
    this.groups.set(name, { retentionInDays, streams: new Map() });
  }

  createStream(group: string, stream: string): void {
    const g = this.groups.get(group);
    if (g === undefined) throw new CwlError('ResourceNotFoundException', 'The specified log group does not exist.');
    if (g.streams.has(stream)) throw new CwlError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    g.streams.set(stream, []);
  }

  /** Every stored event of a stream (copies), oldest arrival first. */
  events(group: string, stream: string): StoredLogEvent[] {
    return (this.groups.get(group)?.streams.get(stream) ?? []).map((e) => ({ ...e }));
  }

  /** Every stored event of every stream, in arrival order per stream. */
  allEvents(): StoredLogEvent[] {
    const out: StoredLogEvent[] = [];
    for (const g of this.groups.values()) for (const s of g.streams.values()) out.push(...s.map((e) => ({ ...e })));
    return out;
  }

  listGroups(): { logGroupName: string; retentionInDays?: number; streams: string[] }[] {
    return [...this.groups].map(([logGroupName, g]) => ({
      logGroupName,
      ...(g.retentionInDays === undefined ? {} : { retentionInDays: g.retentionInDays }),
      streams: [...g.streams.keys()],
    }));
  }

  /** The group name of a request, checked like the service does. */
  static groupOf(input: Record<string, unknown>): string {
    return stringField(input, 'logGroupName', NAME_RE);
  }

  /** Names checked before any fault or event rule (group/stream existence last). */
  static namesOf(input: Record<string, unknown>): { group: string; stream: string } {
    return { group: stringField(input, 'logGroupName', NAME_RE), stream: stringField(input, 'logStreamName', STREAM_RE) };
  }

  /** PutLogEvents: stores the acceptable events; returns the answer body. */
  put(input: Record<string, unknown>): { nextSequenceToken: string; rejectedLogEventsInfo?: RejectedLogEventsInfo } {
    const { group, stream } = LogStore.namesOf(input);
    const raw = input['logEvents'];
    if (!Array.isArray(raw)) throw param("1 validation error detected: Value null at 'logEvents' failed to satisfy constraint: Member must not be null");
    if (raw.length < 1 || raw.length > MAX_EVENTS) {
      throw param(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length ${raw.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_EVENTS}`}`);
    }
    const events: { timestamp: number; message: string }[] = [];
    let bytes = 0;
    for (const [i, e] of (raw as unknown[]).entries()) {
      const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
      const { timestamp, message } = o;
      if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp < 0) {
        throw param(`1 validation error detected: Value null at 'logEvents.${i + 1}.member.timestamp' failed to satisfy constraint: Member must not be null`);
      }
      if (typeof message !== 'string' || message.length < 1) {
        throw param(`1 validation error detected: Value at 'logEvents.${i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
      }
      const size = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
      if (size > MAX_EVENT_BYTES) throw param(`Log event too large: ${size} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
      bytes += size;
      events.push({ timestamp, message });
    }
    if (bytes > MAX_BATCH_BYTES) throw param(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
    for (let i = 1; i < events.length; i++) {
      if ((events[i] as { timestamp: number }).timestamp < (events[i - 1] as { timestamp: number }).timestamp) {
        throw param('Log events in a single PutLogEvents request must be in chronological order.');
      }
    }
    const first = (events[0] as { timestamp: number }).timestamp;
    const last = (events[events.length - 1] as { timestamp: number }).timestamp;
    if (last - first > MAX_SPAN_MS) throw param('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    const g = this.groups.get(group);
    if (g === undefined) throw new CwlError('ResourceNotFoundException', 'The specified log group does not exist.');
    const s = g.streams.get(stream);
    if (s === undefined) throw new CwlError('ResourceNotFoundException', 'The specified log stream does not exist.');

    const now = this.now();
    const expiredBefore = g.retentionInDays === undefined ? -Infinity : now - g.retentionInDays * 24 * 3600_000;
    const tooOldBefore = now - MAX_AGE_MS;
    // Sorted events: the too old / expired form a prefix, the too new a suffix.
    let expiredEnd = 0;
    while (expiredEnd < events.length && (events[expiredEnd] as { timestamp: number }).timestamp < expiredBefore) expiredEnd++;
    let tooOldEnd = expiredEnd;
    while (tooOldEnd < events.length && (events[tooOldEnd] as { timestamp: number }).timestamp < tooOldBefore) tooOldEnd++;
    let tooNewStart = events.length;
    while (tooNewStart > tooOldEnd && (events[tooNewStart - 1] as { timestamp: number }).timestamp > now + MAX_FUTURE_MS) tooNewStart--;
    for (const e of events.slice(tooOldEnd, tooNewStart)) s.push({ ...e, ingestionTime: now });

    const info: RejectedLogEventsInfo = {};
    if (expiredEnd > 0) info.expiredLogEventEndIndex = expiredEnd;
    if (tooOldEnd > expiredEnd) info.tooOldLogEventEndIndex = tooOldEnd;
    if (tooNewStart < events.length) info.tooNewLogEventStartIndex = tooNewStart;
    const token = randomBytes(28).toString('hex').replace(/^./, '4');
    return Object.keys(info).length === 0 ? { nextSequenceToken: token } : { nextSequenceToken: token, rejectedLogEventsInfo: info };
  }
}
