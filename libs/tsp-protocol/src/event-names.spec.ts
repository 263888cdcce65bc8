import { APPLICATION_EVENT_NAMES, normalizeApplicationEventName } from './event-names';

const LISTED = [
  'ADMIN_ADD', 'ADMIN_REMOVE', 'ADMIN_CHANGE_PERMISSIONS', 'ADMIN_CHANGE_SETTING',
  'DATA_IMPORT', 'DATA_EXPORT', 'DATA_ENCRYPT', 'DATA_DECRYPT', 'DATA_CREATE', 'DATA_DELETE',
  'DATA_DENY_ACCESS', 'DATA_CHANGE_PERMISSIONS', 'PERIODIC_ENFORCE_RETENTION_POLICY', 'PERIODIC_CREATE_BACKUP',
  'USER_ADD', 'USER_SUSPEND', 'USER_REMOVE', 'USER_LOGIN', 'USER_TIMEOUT_SESSION', 'USER_LOCKOUT',
  'USER_LOGOUT', 'USER_CHANGE_PERMISSIONS', 'USER_EXPIRE_PASSWORD', 'USER_RESET_PASSWORD',
  'USER_CHANGE_PASSWORD', 'USER_REJECT_LOGIN', 'USER_ENABLE_TWO_FACTOR', 'USER_DISABLE_TWO_FACTOR',
  'USER_CHANGE_EMAIL', 'USER_REQUEST_EMAIL_VERIFICATION', 'USER_VERIFY_EMAIL',
];

describe('application event names', () => {
  it('lists exactly the names of tsp-api.md', () => {
    expect([...APPLICATION_EVENT_NAMES].sort()).toEqual([...LISTED].sort());
  });

  it.each(LISTED)('accepts %s unchanged', (name) => {
    expect(normalizeApplicationEventName(name)).toBe(name);
  });

  it('normalizes the Go aliases to their PERIODIC_ names', () => {
    expect(normalizeApplicationEventName('ENFORCE_RETENTION_POLICY')).toBe('PERIODIC_ENFORCE_RETENTION_POLICY');
    expect(normalizeApplicationEventName('CREATE_BACKUP')).toBe('PERIODIC_CREATE_BACKUP');
  });

  it.each(['CUSTOM_X', 'CUSTOM_MY_EVENT', 'CUSTOM_A_', 'CUSTOM_LONG_NAME_WITH_PARTS'])('accepts custom event %s', (name) => {
    expect(normalizeApplicationEventName(name)).toBe(name);
  });

  it.each([
    'CUSTOM__X', // NAME starts with '_'
    'CUSTOM_', // empty NAME
    'CUSTOM', // no NAME
    'CUSTOM_x', // lower-case NAME
    'CUSTOM_X1', // digit
    'CUSTOM_X-Y',
    'custom_x',
    'user_login',
    'User_Login',
    'USER_LOGIN ',
    ' USER_LOGIN',
    'UNKNOWN_EVENT',
    'PERIODIC_BACKUP',
    '',
  ])('rejects %p', (name) => {
    expect(normalizeApplicationEventName(name)).toBeUndefined();
  });

  it('the list cannot be changed at run time', () => {
    expect(Object.isFrozen(APPLICATION_EVENT_NAMES)).toBe(true);
  });
});
