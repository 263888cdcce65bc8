import Ajv, { ValidateFunction } from 'ajv';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { describeAjvError } from '@tsp/tsp-protocol';

const ajv = new Ajv({ allErrors: true, strict: true });

/**
 * Compiles a sink type's JSON schemas for `settings` and `credentials` into one check that
 * returns problems naming the field (`logging.sinks[<id>].settings.url is required`), never a
 * value. `credentials` may be omitted by a config only when its schema accepts `{}`.
 */
export function sinkConfigValidator(settingsSchema: object, credentialsSchema: object): (config: LoggingSinkConfig) => string[] {
  const settings: ValidateFunction = ajv.compile(settingsSchema);
  const credentials: ValidateFunction = ajv.compile(credentialsSchema);
  return (config) => {
    const root = `logging.sinks[${config.id}]`;
    const describe = (errors: ValidateFunction['errors'], part: string): string[] =>
      (errors ?? []).map((e) => {
        const p = describeAjvError(e, `${root}.${part}`);
        return p.startsWith(root) ? p : `${root}.${part}.${p}`;
      });
    const problems: string[] = [];
    if (!settings(config.settings ?? {})) problems.push(...describe(settings.errors, 'settings'));
    if (!credentials(config.credentials ?? {})) problems.push(...describe(credentials.errors, 'credentials'));
    return problems;
  };
}

/** The settings of a validated config, typed by the plugin that validated them. */
export function settingsOf<T>(config: LoggingSinkConfig): T {
  return (config.settings ?? {}) as T;
}

/** The credentials of a validated config, typed by the plugin that validated them. */
export function credentialsOf<T>(config: LoggingSinkConfig): T {
  return (config.credentials ?? {}) as T;
}

/**
 * Removes every secret string (and its URL-encoded form) from a message before it is logged,
 * counted or stored with a dead letter. Secrets shorter than 4 characters are not searched.
 */
export function scrubSecrets(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join('[redacted]');
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join('[redacted]');
  }
  return out;
}

/** Every string value inside a credentials object (for scrubSecrets). */
export function secretStrings(credentials: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(credentials);
  return out;
}
