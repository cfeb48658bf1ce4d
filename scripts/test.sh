#!/usr/bin/env bash
# The README's test command: installs what it needs (idempotently), then runs every test.
#   scripts/test.sh
# Steps: Python reference tooling (mpmath) -> SBF toolchain (apt + sbpf-linker) -> build the
# SBF kernel benchmark program, the program and the i128 test program -> generated files up to
# date -> the kernel to WebAssembly, chromium -> the TypeScript side (npm ci, generated SDK
# check, tsc, tests on the .so in litesvm, the WASM kernel against pm, the dashboard in chromium)
# -> clippy -> every cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step prints the minutes since the start, so a CI log shows where the time goes.
START=$SECONDS
step() { printf '\n==> [%d min] %s\n' $(((SECONDS - START) / 60)) "$*"; }

step "python reference tooling (mpmath, pinned)"
python3 -m pip install --quiet --disable-pip-version-check -r scripts/reference/requirements.txt

step "SBF toolchain + kernel benchmark program (scripts/sbf-toolchain.sh)"
scripts/sbf-toolchain.sh build bench/kernel-sbf

step "the program and the i128 test program to SBF (scripts/sbf-toolchain.sh program)"
# Fails on LLVM errors it does not understand and on stack frames over 4 KiB
# (SBF_ALLOW_BIG_FRAMES=1: warn only). Output: target/sbf/{portfolio_margin,i128_sbf}.so.
scripts/sbf-toolchain.sh program

step "generated files are up to date"
python3 scripts/reference/gen_ncdf_table.py --check
python3 scripts/reference/gen_bs_vectors.py --check
python3 scripts/reference/gen_haircut_vectors.py --check
python3 scripts/reference/gen_scenario_vectors.py --check

step "the committed IDL is up to date (tools/idl-gen, no platform-tools)"
# --release: shares its dependencies with the release test build below (a debug build would
# compile ~100 crates a second time on a cold machine; measured: 9 crates differ).
cargo run --locked --release --quiet -p idl-gen -- --check

step "the risk kernel to WebAssembly (scripts/wasm-build.sh -> app/sdk/wasm/risk_kernel.wasm)"
# Debian's rustc-web 1.96 + rust-web-src (-Zbuild-std for wasm32-unknown-unknown) and lld-22's
# wasm-ld, from apt; cached in target/wasm (~75 s cold, ~1 s when nothing changed).
t=$SECONDS; scripts/wasm-build.sh; echo "    wasm build: $((SECONDS - t)) s"

step "Debian's chromium for the dashboard's browser test (tests/dashboard.test.ts)"
# Not pinned to a version: Debian's security archive keeps only the newest chromium, so an exact
# pin would stop installing on a fresh machine at the next update. No browser download: the
# test drives /usr/bin/chromium through playwright-core.
if ! command -v chromium >/dev/null; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version

step "TypeScript: npm packages from the pinned lockfile (scripts/npm-setup.sh: npm ci when it changed)"
t=$SECONDS; scripts/npm-setup.sh; echo "    npm packages: $((SECONDS - t)) s"

step "TypeScript: the generated SDK is up to date with the IDL, and everything type-checks"
t=$SECONDS; npm run --silent generate:check; npx tsc -p tsconfig.json; echo "    generate check + tsc: $((SECONDS - t)) s"

step "TypeScript: SDK, end-to-end and deployment tests on the program's .so in litesvm, the WASM kernel against pm, the dashboard in chromium (tests/*.test.ts)"
t=$SECONDS; npm test; echo "    TypeScript tests: $((SECONDS - t)) s"

step "formatting (cargo fmt --check)"
cargo fmt --all --check
(cd bench/kernel-sbf && cargo fmt --check)
(cd bench/i128-sbf && cargo fmt --check)

step "clippy (warnings are errors)"
# --release: build scripts and proc-macros are then the release test build's (a debug clippy
# compiles them again; measured after a release build: 2.5 min for the whole workspace).
cargo clippy --locked --release --workspace --all-targets --quiet -- -D warnings

step "tests (kernel, pm, program, compute-unit ceilings in the SBF VM)"
export RUST_LOG=${RUST_LOG:-error}
cargo test --locked --workspace --release

step "all tests passed (total $(((SECONDS - START) / 60)) min)"
