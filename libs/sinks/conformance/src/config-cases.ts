import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { SinkPlugin } from '@tsp/sinks-core';

type Fields = Record<string, unknown>;

/**
 * `plugin.validate` of a config `{ id, type: plugin.type, settings?, credentials? }` (a part left
 * undefined is left out of the config), on a logdriver with `eventsDir`.
 */
export function configProblems(plugin: SinkPlugin, id: string, eventsDir?: string): (settings?: Fields, credentials?: Fields) => string[] {
  return (settings, credentials) => {
    const config: LoggingSinkConfig = { id, type: plugin.type, ...(settings !== undefined ? { settings } : {}), ...(credentials !== undefined ? { credentials } : {}) };
    return plugin.validate(config, { eventsDir });
  };
}

/** One row of sinkConfigCases. */
export interface SinkConfigCase {
  /** The test title. */
  name: string;
  settings?: Fields;
  credentials?: Fields;
  /** The exact problems, in order ([] for a valid config). */
  problems?: readonly string[];
  /** Problems that must be among the ones found: a string equal to one, a pattern matching one. */
  includes?: readonly (string | RegExp)[];
  /** Values (secrets, URLs with tokens) that no problem may hold. */
  neverEchoes?: readonly string[];
}

/**
 * Registers one test per case (call inside a describe): validates the case's settings and
 * credentials with configProblems(plugin, id) and checks `problems`, `includes` and `neverEchoes`.
 * A case must state `problems` or `includes`.
 */
export function sinkConfigCases(plugin: SinkPlugin, id: string, cases: readonly SinkConfigCase[]): void {
  const validate = configProblems(plugin, id);
  for (const c of cases) {
    it(c.name, () => {
      if (c.problems === undefined && c.includes === undefined) throw new Error(`config case "${c.name}" states neither problems nor includes`);
      const found = validate(c.settings, c.credentials);
      if (c.problems !== undefined) expect(found).toEqual(c.problems);
      for (const want of c.includes ?? []) {
        if (typeof want === 'string') expect(found).toContain(want);
        else expect(found).toContainEqual(expect.stringMatching(want));
      }
      for (const secret of c.neverEchoes ?? []) expect(found.join('\n')).not.toContain(secret);
    });
  }
}
