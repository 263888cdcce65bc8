import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { SecurityEventRecord } from '@tsp/events';

/**
 * The sink plug-in contract (docs/logging-sinks.md). A sink is small: it turns a batch of
 * delivered events into one request (or SDK call) to one logging system and classifies the
 * answer. Batching, grouping per tenant, rate limits, retry with backoff, the disk spool and
 * dead letters live once, in the logdriver's pipeline, never in a sink.
 */

/** One event handed to a sink, in sequence order within its batch. */
export interface SinkEvent {
  /** The event with iclFields.logdriverRayId set. */
  readonly record: SecurityEventRecord;
  /** The delivered shape (tsp-api.md) as one line of JSON, without a trailing newline. */
  readonly json: string;
}

/** Why one item of a batch failed (for partial outcomes). */
export interface ItemFailure {
  /** Index into the batch that was sent. */
  index: number;
  /** true: worth sending again later; false: rejected for good (dead letter). */
  retry: boolean;
  /** Short reason from the remote system; never a credential. */
  reason: string;
}

/**
 * What became of one send, as the sink classified the remote answer:
 * - delivered: every event was durably accepted by the remote system;
 * - retry: none was (or the sink cannot tell): send the whole batch again after a backoff,
 *   no sooner than retryAfterMs when the remote said so (Retry-After, throttling);
 *   `auth` marks a credential failure (retried too: a tenant may fix its credentials, and
 *   the events wait in the spool meanwhile);
 * - reject: the remote refused the batch for good (malformed for it, too large): dead letter;
 * - partial: the items listed failed, every other item was accepted.
 */
export type DeliveryOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number; auth?: boolean }
  | { kind: 'reject'; reason: string }
  | { kind: 'partial'; failed: readonly ItemFailure[] };

/** Most events and bytes (sum of SinkEvent.json lengths) one send may carry. */
export interface SinkLimits {
  maxEvents: number;
  maxBytes: number;
}

/** One configured sink of one tenant. */
export interface Sink {
  readonly type: string;
  /**
   * Sends one batch (1..limits.maxEvents events). Must resolve (never reject) with an outcome;
   * must give up promptly when `signal` aborts (resolving `retry`), so a hanging remote
   * system cannot hold the tenant's pipeline past the send deadline. Reasons never hold a
   * credential or an event's content.
   */
  send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome>;
  /** Releases sockets and SDK clients. */
  close(): Promise<void>;
}

/** What the logdriver provides to every sink it creates. */
export interface SinkHost {
  tenantId: string;
  sinkId: string;
  /** Root directory of file sinks (TSP_LOGDRIVER_EVENTS_DIR); undefined when not configured. */
  eventsDir: string | undefined;
  /** Where the stdout sink writes (process.stdout in production). */
  stdout: NodeJS.WritableStream;
}

/**
 * A sink type. `validate` checks the sink-specific settings and credentials of a tenant's
 * logging config (problems name the field, never a value); `create` is only called with a
 * config that validated.
 */
export interface SinkPlugin {
  readonly type: string;
  readonly limits: SinkLimits;
  validate(config: LoggingSinkConfig, host: Pick<SinkHost, 'eventsDir'>): string[];
  create(config: LoggingSinkConfig, host: SinkHost): Sink;
}
