// Jest global setup: e2e suites start the BUILT apps, so build first (esbuild, well under 1 s).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'build', 'build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
};
