import type { DeliveryOutcome } from './sink';
import { scrubSecrets } from './sink-config';

/**
 * The outcome with every secret removed (scrubSecrets) from its reason, or from the reason of each
 * failed item of a `partial`; `delivered` is returned as it is. Sinks apply it to every outcome
 * they return, so no remote answer can carry a credential into logs or dead letters.
 */
export function scrubOutcome(outcome: DeliveryOutcome, secrets: readonly string[]): DeliveryOutcome {
  switch (outcome.kind) {
    case 'delivered':
      return outcome;
    case 'partial':
      return { kind: 'partial', failed: outcome.failed.map((f) => ({ ...f, reason: scrubSecrets(f.reason, secrets) })) };
    default:
      return { ...outcome, reason: scrubSecrets(outcome.reason, secrets) };
  }
}
