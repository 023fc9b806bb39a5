#!/usr/bin/env node
'use strict';
// The container image's health check: exits 0 when the health_check extension at the given URL
// answers 2xx, 1 otherwise. A file rather than `node -e "…"`, so the HEALTHCHECK command holds
// no argument with a space in it: podman's Docker-compatible API splits arguments at spaces.
const url = process.argv[2] || 'http://127.0.0.1:13133/';
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
