/** Fixed messages shown after a redirect (`?notice=<key>`): the URL never carries text to render. */
const NOTICES: Readonly<Record<string, string>> = {
  'tenant-created': 'Tenant created.',
  'tenant-archived': 'Tenant archived.',
  'tenant-unarchived': 'Tenant unarchived.',
  'sa-revoked': 'Service account revoked: its proxies get no new configuration.',
  'kms-added': 'KMS configuration added.',
  'kms-changed': 'KMS configuration changed.',
  'logging-saved': 'Logging configuration replaced.',
  'admin-removed': 'Tenant admin removed.',
  'logged-out': 'You are logged out.',
  'password-set': 'Your password is set: log in with your email and password.',
  'session-ended': 'Your session ended: log in again.',
};

export type NoticeKey = keyof typeof NOTICES;

export function noticeOf(query: unknown): string | undefined {
  const key = typeof query === 'object' && query !== null ? (query as Record<string, unknown>)['notice'] : undefined;
  return typeof key === 'string' ? NOTICES[key] : undefined;
}
