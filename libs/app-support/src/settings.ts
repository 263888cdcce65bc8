import Ajv from 'ajv';
import { describeAjvError } from '@tsp/tsp-protocol';

/**
 * One app setting read from the environment: its variable, type, default (absent = required)
 * and bounds. Each app keeps its own table (documented in the README) and reads it here.
 */
export interface Setting<K extends string> {
  key: K;
  env: string;
  type: 'string' | 'integer';
  default?: string | number;
  min?: number;
  max?: number;
  enum?: string[];
  secret?: boolean;
  doc: string;
}

export interface SettingsOptions {
  /** Extra accepted variables (not in the table), with their JSON schema. */
  extraProperties?: Record<string, object>;
  /** Extra variables that must be present. */
  extraRequired?: string[];
  /** Required string settings must also be non-empty. */
  requiredNonEmpty?: boolean;
}

export interface SettingsResult<K extends string> {
  values: Record<K, unknown>;
  /** One line per problem, each naming the variable, never its value. */
  problems: string[];
}

/**
 * Builds a reader for a settings table. The reader validates the relevant variables (unknown
 * ones are problems, so a typo never silently falls back to a default), applies defaults and
 * parses integers within their bounds.
 */
export function settingsReader<K extends string>(
  settings: readonly Setting<K>[],
  opts: SettingsOptions = {},
): (relevant: Readonly<Record<string, string>>) => SettingsResult<K> {
  const properties: Record<string, object> = {};
  const required: string[] = [...(opts.extraRequired ?? [])];
  for (const s of settings) {
    const p: Record<string, unknown> = { type: 'string' };
    if (s.enum !== undefined) p['enum'] = s.enum;
    else if (opts.requiredNonEmpty === true && s.default === undefined) p['minLength'] = 1;
    properties[s.env] = p;
    if (s.default === undefined) required.push(s.env);
  }
  Object.assign(properties, opts.extraProperties);
  const validate = new Ajv({ allErrors: true }).compile({ type: 'object', required, properties, additionalProperties: false });

  return (relevant) => {
    const problems: string[] = [];
    if (!validate(relevant)) {
      for (const e of validate.errors ?? []) {
        if (e.keyword === 'additionalProperties') problems.push(`${String(e.params.additionalProperty)} is not a known setting`);
        else problems.push(describeAjvError(e, 'environment'));
      }
    }
    const values: Record<string, unknown> = {};
    for (const s of settings) {
      const raw = relevant[s.env];
      if (raw === undefined) {
        values[s.key] = s.default;
      } else if (s.type === 'integer') {
        const n = Number(raw.trim());
        if (!/^\d+$/.test(raw.trim()) || n < (s.min ?? 0) || n > (s.max ?? Number.MAX_SAFE_INTEGER)) {
          problems.push(`${s.env} must be an integer from ${s.min ?? 0} to ${s.max ?? Number.MAX_SAFE_INTEGER}`);
        }
        values[s.key] = n;
      } else {
        values[s.key] = raw;
      }
    }
    return { values: values as Record<K, unknown>, problems };
  };
}

/** Throws one Error listing every problem (when there are any). */
export function assertNoProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
}
