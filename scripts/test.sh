#!/usr/bin/env bash
# Keel's test command: everything CI checks after formatting and lints.
# Works on a fresh machine with rustup and npm: the non-Rust tools come from npm at the
# versions pinned in tools/package-lock.json — anvil (the independent L1 node keel-l1's and
# keel-batcher's integration tests run against) and solc-js (the L1 dev chain's contracts
# are recompiled and compared with the committed bytecode).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-toolchain.sh
if [ ! -x tools/node_modules/.bin/anvil ] || [ ! -f tools/node_modules/solc/soljson.js ]; then
  command -v npm >/dev/null || { echo "npm not found: needed to install anvil and solc (tools/package.json)" >&2; exit 1; }
  npm ci --prefix tools --no-audit --no-fund
fi
cargo test --workspace --locked
