#!/usr/bin/env bash
# The risk kernel as WebAssembly (crates/kernel-wasm -> app/sdk/wasm/risk_kernel.wasm), pinned,
# idempotent and cached. See README.md, "The kernel in WebAssembly".
#
#   scripts/wasm-build.sh            # install (if needed) + build + check the exports
#   scripts/wasm-build.sh install    # only the tools
#
# Why this way: rustup's toolchain here has no wasm32 target and rustup cannot download one
# (its server is not a package registry). Debian's rustc-web 1.96 (installed by
# scripts/sbf-toolchain.sh from bookworm-security) is built against LLVM 22 with the
# WebAssembly backend, and rust-web-src ships std's sources; Debian has no prebuilt wasm32
# std for rustc-web, so cargo's -Zbuild-std (RUSTC_BOOTSTRAP=1) compiles core, alloc and std
# for wasm32-unknown-unknown from those sources, and lld-22's wasm-ld links (Debian's rustc
# has no rust-lld). All from apt; std's own dependencies (dlmalloc, hashbrown, ...) come
# vendored in rust-web-src or from crates.io.
#
# Cache: cargo output in target/wasm (its own target dir: never invalidates the host build's);
# a second run with nothing changed takes ~1 s. Fails loudly: any missing tool, compile error,
# or a module whose exports differ from the ABI's list.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUSTC_WEB=1.96.0+dfsg1-1~deb12u2
LLD22=1:22.1.8-1~deb12u1
WASM_LD=/usr/lib/llvm-22/bin/wasm-ld
TARGET_DIR=${WASM_TARGET_DIR:-$ROOT/target/wasm}
OUT=${WASM_OUT:-$ROOT/app/sdk/wasm/risk_kernel.wasm}
EXPORTS="memory pm_abi_version pm_alloc pm_free pm_liquidation_prices pm_max_trade pm_output_len pm_output_ptr pm_risk pm_what_if"

say() { echo "wasm-build: $*" >&2; }
die() { echo "wasm-build: error: $*" >&2; exit 1; }

install() {
  local need=()
  for p in "rustc-web=$RUSTC_WEB" "cargo-web=$RUSTC_WEB" "rust-web-src=$RUSTC_WEB" "lld-22=$LLD22"; do
    local name=${p%%=*} ver=${p#*=}
    [ "$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)" = "$ver" ] || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    say "apt install ${need[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  [ -x "$WASM_LD" ] || die "$WASM_LD missing after installing lld-22"
  /usr/bin/rustc --print target-list | grep -qx wasm32-unknown-unknown ||
    die "Debian's rustc does not know wasm32-unknown-unknown"
  [ -d /usr/lib/rustlib/src/rust/library/std ] || die "rust-web-src has no std sources"
}

build() {
  # The workspace's release profile (overflow checks on, as pm), tuned for size and one unit.
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_DIR=$TARGET_DIR
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$WASM_LD
  export CARGO_PROFILE_RELEASE_PANIC=abort CARGO_PROFILE_RELEASE_LTO=fat
  export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=3
  # No build-std for the host's build scripts (serde's, serde_json's) is needed: only the
  # wasm32 side is built from source.
  (cd "$ROOT" && /usr/bin/cargo build --quiet --release --locked -p kernel-wasm \
    --target wasm32-unknown-unknown -Z build-std=std,panic_abort) || die "cargo build failed"
  local wasm=$TARGET_DIR/wasm32-unknown-unknown/release/kernel_wasm.wasm
  [ -s "$wasm" ] || die "no $wasm"
  mkdir -p "$(dirname "$OUT")"
  if ! cmp -s "$wasm" "$OUT"; then cp -f "$wasm" "$OUT.tmp" && mv -f "$OUT.tmp" "$OUT"; fi
  # The module's exports are the ABI's, and it imports nothing (no JS glue to keep in step).
  local got imports
  got=$(node -e '
    const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
    const e = WebAssembly.Module.exports(m).map((x) => x.name).filter((n) => !n.startsWith("__")).sort();
    console.log(e.join(" "));
    console.error(WebAssembly.Module.imports(m).length);' "$OUT" 2>/tmp/wasm-imports.$$) ||
    die "node cannot compile $OUT"
  imports=$(cat /tmp/wasm-imports.$$); rm -f /tmp/wasm-imports.$$
  [ "$got" = "$EXPORTS" ] || die "exports of $OUT: '$got', want '$EXPORTS'"
  [ "$imports" = 0 ] || die "$OUT imports $imports functions (want none)"
  say "$OUT: $(stat -c %s "$OUT") bytes"
}

case ${1:-build} in
  install) install ;;
  build) install; build ;;
  *) die "usage: $0 [install|build]" ;;
esac
