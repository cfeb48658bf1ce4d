#!/usr/bin/env bash
# The TypeScript side's packages, from the pinned lockfile (package-lock.json), idempotently:
# `npm ci` only when node_modules was not installed from this exact lockfile (a stamp holds its
# hash). Node >= 20 and npm come from the machine; packages only from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "node and npm are needed (Node >= 20): apt-get install nodejs npm" >&2
  exit 1
}
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "Node >= 20 needed, found $(node --version)" >&2; exit 1; }
stamp=node_modules/.pm-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "node_modules matches package-lock.json"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error || {
  echo "npm ci refused the lockfile; if it says \"Missing: litesvm-<platform>@ from lock file\", run" >&2
  echo "node app/sdk/scripts/lock-platforms.mjs (npm install drops builds the registry here lacks)" >&2
  exit 1
}
echo "$want" >"$stamp"
