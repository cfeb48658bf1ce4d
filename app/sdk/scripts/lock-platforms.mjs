#!/usr/bin/env node
// The npm registry these machines reach lacks litesvm's builds for other platforms (darwin,
// arm64, musl): `npm install` then leaves them out of package-lock.json and `npm ci` refuses
// the lockfile ("Missing: litesvm-darwin-arm64@ from lock file"). This puts them back as
// optional entries with their os/cpu/libc, which npm skips on linux-x64-gnu (and fetches from
// the public registry elsewhere). Run it after `npm install` changed the lockfile.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const pk = lock.packages;
let added = 0;
for (const [where, entry] of Object.entries(pk)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = dep.match(/-(darwin|linux|win32)-(x64|arm64|ia32)(?:-(gnu|musl|msvc))?$/);
    if (!m || pk[`node_modules/${dep}`]) continue;
    const [, os, cpu, libc] = m;
    pk[`node_modules/${dep}`] = {
      version,
      cpu: [cpu],
      dev: entry.dev ?? undefined,
      ...(libc && libc !== 'msvc' ? { libc: [libc === 'gnu' ? 'glibc' : 'musl'] } : {}),
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`package-lock.json: ${added} platform entries added`);
