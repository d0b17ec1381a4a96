#!/usr/bin/env bash
# Keel's test command: everything CI checks after formatting and lints.
# Works on a fresh machine with rustup and npm: the only non-Rust tool, anvil (the
# independent L1 node keel-l1's integration test runs against), comes from npm at the
# version pinned in tools/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-toolchain.sh
if [ ! -x tools/node_modules/.bin/anvil ]; then
  command -v npm >/dev/null || { echo "npm not found: needed to install anvil (tools/package.json)" >&2; exit 1; }
  npm ci --prefix tools --no-audit --no-fund
fi
cargo test --workspace --locked
