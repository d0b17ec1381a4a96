#!/usr/bin/env bash
# Rebuilds contracts/out/*.json from contracts/src/*.sol with the solc-js version pinned in
# tools/package.json (installed from npm on first use; it compiles offline afterwards).
# Usage: scripts/build-contracts.sh [out-dir]   (default contracts/out)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "node not found: needed to run solc-js" >&2; exit 1; }
if [ ! -f tools/node_modules/solc/soljson.js ]; then
  command -v npm >/dev/null || { echo "npm not found: needed to install solc (tools/package.json)" >&2; exit 1; }
  npm ci --prefix tools --no-audit --no-fund
fi
node contracts/compile.cjs "$@"
