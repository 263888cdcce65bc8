import type { DeliveryOutcome } from '@tsp/sinks-core';

/** Asserts that no secret (of 4 characters or more, as scrubSecrets searches) appears in the outcome. */
export function expectNoSecret(outcome: DeliveryOutcome, secrets: readonly string[]): void {
  const text = JSON.stringify(outcome);
  for (const s of secrets) if (s.length >= 4) expect(text.includes(s)).toBe(false);
}
