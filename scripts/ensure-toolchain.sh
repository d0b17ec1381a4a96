#!/usr/bin/env bash
# Makes sure the toolchain pinned in rust-toolchain.toml is usable without a download.
#
# The machines Keel is built on carry one Rust toolchain, installed by rustup as `stable`.
# rust-toolchain.toml pins its exact version so that every machine builds with the same
# compiler; if rustup does not know that version by name yet, and `stable` *is* that
# version, link it under the pinned name instead of asking rustup to download it (which
# fails offline). Any other mismatch is reported, not papered over.
set -euo pipefail
cd "$(dirname "$0")/.."
pinned=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
command -v rustup >/dev/null || { echo "rustup not found: install Rust $pinned" >&2; exit 1; }
if RUSTUP_TOOLCHAIN="$pinned" rustc --version >/dev/null 2>&1; then
  exit 0
fi
stable_version=$(RUSTUP_TOOLCHAIN=stable rustc --version | awk '{print $2}')
if [ "$stable_version" = "$pinned" ]; then
  rustup toolchain link "$pinned" "$(RUSTUP_TOOLCHAIN=stable rustc --print sysroot)"
  echo "linked stable ($stable_version) as toolchain $pinned"
else
  echo "toolchain $pinned is pinned but stable is $stable_version; trying rustup install" >&2
  rustup toolchain install "$pinned" --profile minimal --component rustfmt --component clippy
fi
