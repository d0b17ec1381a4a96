#!/usr/bin/env bash
# Keel's test command: everything CI checks after formatting and lints.
# Works on a fresh machine with rustup; installs nothing else because nothing else is needed yet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-toolchain.sh
cargo test --workspace --locked
