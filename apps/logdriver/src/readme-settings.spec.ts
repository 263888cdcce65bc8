import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_SOURCE_SETTINGS, SETTINGS } from './logdriver-config';
import { SINK_PLUGINS } from './sink-registry';

/** The README and docs/logging-sinks.md are the operator's reference for the logdriver. */
const root = path.join(__dirname, '..', '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const sinksDoc = readFileSync(path.join(root, 'docs', 'logging-sinks.md'), 'utf8');

test.each(SETTINGS.map((s) => [s.env, s.default] as const))('README documents %s with its default', (env, def) => {
  const row = readme.split('\n').find((l) => l.startsWith(`| \`${env}\``));
  expect(row).toBeDefined();
  expect(row).toContain(def === undefined ? 'required' : def === '' ? 'unset' : `\`${String(def)}\``);
});

test.each(CONFIG_SOURCE_SETTINGS.map((s) => s.env))('README names the shared config-source variable %s for the logdriver', (env) => {
  const section = readme.slice(readme.indexOf('### The logdriver'));
  expect(section).toContain(`\`${env}\``);
});

test.each(SINK_PLUGINS.map((p) => p.type))('docs/logging-sinks.md lists the sink type %s, and a page exists for each non-trivial one', (type) => {
  expect(sinksDoc).toContain(`| \`${type}\` |`);
  if (type !== 'stdout' && type !== 'file') expect(() => readFileSync(path.join(root, 'docs', 'sinks', `${type}.md`), 'utf8')).not.toThrow();
});
