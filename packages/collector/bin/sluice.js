#!/usr/bin/env node
'use strict';
// A committed entry point, so `npm ci` links the bin before the build and `npx sluice` never
// reaches for the registry. The code lives in dist/ (built by `npm run build` / `npm ci`).
let cli;
try {
  cli = require('../dist/src/cli.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli.js')) {
    process.stderr.write('sluice: the collector is not built yet; run `npm run build` in the repository first\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`sluice: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
