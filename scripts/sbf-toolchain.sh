#!/usr/bin/env bash
# Pinned, idempotent install + build of SBF programs with upstream LLVM (no Solana
# platform-tools: they download from outside the package registries, which these machines
# cannot reach). Tested recipe: ../shared/toolchain/sbf-recipe.sh.
#
#   scripts/sbf-toolchain.sh install            # apt rustc-web 1.96 + llvm-22-dev, sbpf-linker 0.2.6
#   scripts/sbf-toolchain.sh build <crate-dir>  # -> <crate-dir>/target-sbf/bpfel-unknown-none/release/<crate>.so
set -euo pipefail
TOOLS=${SBF_TOOLS:-$HOME/.cache/portfolio-margin/sbf-tools}
RUSTC_WEB=1.96.0+dfsg1-1~deb12u2
LLVM22=1:22.1.8-1~deb12u1
LINKER=$TOOLS/bin/sbpf-linker

install() {
  local need=()
  for p in "rustc-web=$RUSTC_WEB" "cargo-web=$RUSTC_WEB" "rust-web-src=$RUSTC_WEB" "llvm-22-dev=$LLVM22"; do
    local name=${p%%=*} ver=${p#*=}
    [ "$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)" = "$ver" ] || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "sbf-toolchain: apt install ${need[*]}" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # Capture first: `--version | grep -q` under pipefail fails at random (grep exits after the
  # first line, the linker's second write panics on the closed pipe), which re-ran the install.
  local have=; [ -x "$LINKER" ] && have=$("$LINKER" --version 2>/dev/null || true)
  if ! grep -q '0.2.6' <<<"$have"; then
    echo "sbf-toolchain: building sbpf-linker 0.2.6 against LLVM 22 (~3 min)" >&2
    # Its default feature wants LLVM 23 through rustc's libLLVM; Debian ships LLVM 22.
    LLVM_PREFIX=/usr/lib/llvm-22 cargo install sbpf-linker@0.2.6 --locked --quiet \
      --no-default-features --features bpf-linker/llvm-22 --root "$TOOLS"
  fi
}

build() {
  local dir; dir=$(cd "$1" && pwd); shift
  # SBPF v3: 4 KiB stack frames. Flags: see ../shared/toolchain/README.md for why each is here.
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_DIR=${SBF_TARGET_DIR:-$dir/target-sbf}
  export CARGO_TARGET_BPFEL_UNKNOWN_NONE_RUSTFLAGS="-C linker=$LINKER \
 -C link-arg=--disable-math-builtins -C link-arg=--arch=v3 \
 -C link-arg=--llvm-args=-bpf-stack-size=4096 \
 -C link-arg=--llvm-args=--bpf-max-stores-per-memfunc=5 \
 -C link-arg=--llvm-args=--disable-gotox -C link-arg=--llvm-args=--disable-ldsx \
 -C link-arg=--llvm-args=--disable-movsx \
 -C panic=abort -C relocation-model=static -C target-cpu=v4 \
 -C target-feature=+allows-misaligned-mem-access \
 --cfg=target_os=\"solana\" --cfg=target_feature=\"static-syscalls\" -A explicit_builtin_cfgs_in_flags"
  ( cd "$dir" && /usr/bin/cargo build --quiet --release --locked --target bpfel-unknown-none \
      -Z build-std=core,alloc "$@" )
  # cargo names a cdylib lib<crate>.so; Solana tools (and bench/cu-runner) expect <crate>.so.
  local so rel="$CARGO_TARGET_DIR/bpfel-unknown-none/release"
  for so in "$rel"/lib*.so; do
    if [ -e "$so" ]; then cp -f "$so" "$rel/$(basename "$so" | sed 's/^lib//')"; fi
  done
}

case "${1:-}" in
  install) install ;;
  build) shift; install; build "$@" ;;
  *) echo "usage: $0 install | build <crate-dir> [cargo args]" >&2; exit 2 ;;
esac
