/** Application security event names accepted by `event/security-event` (tsp-api.md). */
export const APPLICATION_EVENT_NAMES: readonly string[] = Object.freeze([
  'ADMIN_ADD', 'ADMIN_REMOVE', 'ADMIN_CHANGE_PERMISSIONS', 'ADMIN_CHANGE_SETTING',
  'DATA_IMPORT', 'DATA_EXPORT', 'DATA_ENCRYPT', 'DATA_DECRYPT', 'DATA_CREATE', 'DATA_DELETE',
  'DATA_DENY_ACCESS', 'DATA_CHANGE_PERMISSIONS',
  'PERIODIC_ENFORCE_RETENTION_POLICY', 'PERIODIC_CREATE_BACKUP',
  'USER_ADD', 'USER_SUSPEND', 'USER_REMOVE', 'USER_LOGIN', 'USER_TIMEOUT_SESSION', 'USER_LOCKOUT',
  'USER_LOGOUT', 'USER_CHANGE_PERMISSIONS', 'USER_EXPIRE_PASSWORD', 'USER_RESET_PASSWORD',
  'USER_CHANGE_PASSWORD', 'USER_REJECT_LOGIN', 'USER_ENABLE_TWO_FACTOR', 'USER_DISABLE_TWO_FACTOR',
  'USER_CHANGE_EMAIL', 'USER_REQUEST_EMAIL_VERIFICATION', 'USER_VERIFY_EMAIL',
]);

const KNOWN = new Set(APPLICATION_EVENT_NAMES);
/** The Go client sends these two without the PERIODIC_ prefix. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['ENFORCE_RETENTION_POLICY', 'PERIODIC_ENFORCE_RETENTION_POLICY'],
  ['CREATE_BACKUP', 'PERIODIC_CREATE_BACKUP'],
]);
const CUSTOM_RE = /^CUSTOM_[A-Z][A-Z_]*$/;

/** Returns the canonical event name, or undefined when the name is not an accepted one. */
export function normalizeApplicationEventName(name: string): string | undefined {
  if (KNOWN.has(name)) return name;
  const alias = ALIASES.get(name);
  if (alias !== undefined) return alias;
  return CUSTOM_RE.test(name) ? name : undefined;
}
