import type { NotAcknowledgedReason } from '@tsp/events';
import { FastCounter, FastHistogram, ProxyMetrics } from '@tsp/observability';

/** Wait buckets, seconds: from a fast local logdriver round trip to the longest timeout. */
const WAIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Strict audit metrics, registered on the proxy's registry (only in strict mode):
 * `tsp_strict_audit_wait_seconds{outcome=acknowledged|rejected}` and
 * `tsp_strict_audit_failures_total{reason=queue-full|timeout|dropped|closed|refused}`. Label sets are
 * bound once, so a request costs two closure calls.
 */
export class StrictAuditMetrics {
  readonly acknowledged: (seconds: number) => void;
  readonly rejected: (seconds: number) => void;
  private readonly failures: Record<NotAcknowledgedReason, (by?: number) => void>;

  constructor(metrics: ProxyMetrics) {
    const wait = new FastHistogram(
      'tsp_strict_audit_wait_seconds',
      'Strict audit mode: how long a request waited for the logdriver to acknowledge each of its events',
      WAIT_BUCKETS,
      metrics.registry,
    );
    const failures = new FastCounter('tsp_strict_audit_failures_total', 'Strict audit mode: events not acknowledged, so their request failed with 301 (a rekey waits for two events), by reason', metrics.registry);
    this.acknowledged = wait.child({ outcome: 'acknowledged' });
    this.rejected = wait.child({ outcome: 'rejected' });
    this.failures = {
      'queue-full': failures.child({ reason: 'queue-full' }),
      timeout: failures.child({ reason: 'timeout' }),
      dropped: failures.child({ reason: 'dropped' }),
      closed: failures.child({ reason: 'closed' }),
      refused: failures.child({ reason: 'refused' }),
    };
  }

  failed(reason: NotAcknowledgedReason): void {
    this.failures[reason]();
  }
}
