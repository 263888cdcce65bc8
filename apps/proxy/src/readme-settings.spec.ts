import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '@tsp/tsp-protocol';
import { KMS_EVENT_NAMES } from '@tsp/events';
import { SETTINGS } from './proxy-config';

/** The README is the operator's reference: it must list every setting, code and event name. */
const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

test.each(SETTINGS.map((s) => [s.env, s.default] as const))('README documents %s with its default', (env, def) => {
  const row = readme.split('\n').find((l) => l.startsWith(`| \`${env}\` |`));
  expect(row).toBeDefined();
  if (def !== undefined && def !== '') expect(row).toContain(`\`${String(def)}\``);
});

test.each(Object.values(ErrorCode).map((c) => [c, HTTP_STATUS_BY_CODE[c]] as const))('README gives code %i its HTTP status %i', (code, status) => {
  const row = readme.split('\n').find((l) => l.startsWith(`| ${code} |`));
  expect(row).toBeDefined();
  expect(row).toContain(`| ${status}`);
});

test.each(Object.values(KMS_EVENT_NAMES))('README documents the event %s', (name) => {
  expect(readme).toContain(`\`${name}\``);
});
