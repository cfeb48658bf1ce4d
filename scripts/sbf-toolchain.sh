#!/usr/bin/env bash
# Pinned, idempotent install + builds of SBF programs with upstream LLVM (no Solana
# platform-tools: they download from outside the package registries, which these machines
# cannot reach). See README.md, "Building the program to SBF".
#
#   scripts/sbf-toolchain.sh install            # apt: rustc-web/cargo-web/rust-web-src 1.96, llvm-22-dev, g++;
#                                               # cargo: sbpf-linker 0.2.6 (against LLVM 22)
#   scripts/sbf-toolchain.sh build <crate-dir>  # no_std crate -> <crate-dir>/target-sbf/bpfel-unknown-none/release/<crate>.so
#   scripts/sbf-toolchain.sh program            # the i128 test program, then programs/portfolio-margin
#                                               #   -> target/sbf/portfolio_margin.so (+ target/sbf/frames.txt),
#                                               # then the example venue programs/rfq-venue -> target/sbf/rfq_venue.so
#   scripts/sbf-toolchain.sh i128               # bench/i128-sbf -> target/sbf/i128_sbf.so
#
# `program` and `i128` build with std on a custom target (scripts/sbf/bpfel-solana.json, os =
# "solana") and link through scripts/sbf/link.sh, which lowers i128 arithmetic and packs
# arguments with an opt-22 pass plugin (scripts/sbf/lower_i128.cpp), fails on any LLVM error it
# does not understand, and fails on stack frames over 4 KiB (SBF_ALLOW_BIG_FRAMES=1: warn only).
# Caches: ~/.cache/portfolio-margin/{sbf-tools,sbf-plugin/<hash>,sbf-std/<hash>}; cargo output
# in target/sbf-build (its own target dir: never invalidates the host build's).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SBF_CACHE:-$HOME/.cache/portfolio-margin}
TOOLS=${SBF_TOOLS:-$CACHE/sbf-tools}
RUSTC_WEB=1.96.0+dfsg1-1~deb12u2
LLVM22=1:22.1.8-1~deb12u1
GXX=4:12.2.0-3
LINKER=$TOOLS/bin/sbpf-linker
LLVM_BIN=/usr/lib/llvm-22/bin
SBF=$ROOT/scripts/sbf
TARGET_JSON=$SBF/bpfel-solana.json
OUT=${SBF_OUT:-$ROOT/target/sbf}
BUILD_DIR=${SBF_BUILD_DIR:-$ROOT/target/sbf-build}
FRAME_LIMIT=4096

say() { echo "sbf-toolchain: $*" >&2; }
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
die() { echo "sbf-toolchain: error: $*" >&2; exit 1; }
sha() { sha256sum | cut -c1-16; }

install() {
  local need=()
  for p in "rustc-web=$RUSTC_WEB" "cargo-web=$RUSTC_WEB" "rust-web-src=$RUSTC_WEB" "llvm-22-dev=$LLVM22" "g++=$GXX"; do
    local name=${p%%=*} ver=${p#*=}
    [ "$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)" = "$ver" ] || need+=("$p")
  done
  command -v patch >/dev/null || need+=(patch) # applies scripts/sbf/std-solana.patch (any version)
  if [ ${#need[@]} -gt 0 ]; then
    say "apt install ${need[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # Capture first: `--version | grep -q` under pipefail fails at random (grep exits after the
  # first line, the linker's second write panics on the closed pipe), which re-ran the install.
  local have=; [ -x "$LINKER" ] && have=$("$LINKER" --version 2>/dev/null || true)
  if ! grep -q '0.2.6' <<<"$have"; then
    say "building sbpf-linker 0.2.6 against LLVM 22 (~3 min)"
    # Its default feature wants LLVM 23 through rustc's libLLVM; Debian ships LLVM 22.
    LLVM_PREFIX=/usr/lib/llvm-22 cargo install sbpf-linker@0.2.6 --locked --quiet \
      --no-default-features --features bpf-linker/llvm-22 --root "$TOOLS"
  fi
}

# The no_std path (bench/kernel-sbf): built-in bpfel-unknown-none target, no lowering. A crate
# built this way must avoid i128 multiply/divide and overflow-checked u64 multiplies itself.
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

# --- the std path (programs/portfolio-margin, bench/i128-sbf) --------------------------------

# The pass plugin, compiled once per (source, LLVM, g++) into the cache.
plugin() {
  local key dir
  key=$( { cat "$SBF/lower_i128.cpp"; "$LLVM_BIN/llvm-config" --version; g++ -dumpfullversion; } | sha)
  dir=$CACHE/sbf-plugin/$key
  if [ ! -f "$dir/libsbf_lower.so" ]; then
    say "compiling the pass plugin (scripts/sbf/lower_i128.cpp, ~15 s)"
    mkdir -p "$dir"
    # shellcheck disable=SC2046 # llvm-config prints several flags
    g++ -O2 -shared -fPIC -Wall -Wno-unused-parameter $("$LLVM_BIN/llvm-config" --cxxflags) \
      "$SBF/lower_i128.cpp" -o "$dir/libsbf_lower.so.tmp" || die "the pass plugin does not compile"
    mv "$dir/libsbf_lower.so.tmp" "$dir/libsbf_lower.so"
  fi
  echo "$dir/libsbf_lower.so"
}

# A sysroot whose std sources are Debian's rust-web-src with scripts/sbf/std-solana.patch
# applied, cached per (patch, rust-web-src version). Cargo's -Zbuild-std reads the sources from
# `$(rustc --print sysroot)/lib/rustlib/src/rust/library`, so a rustc wrapper that passes
# `--sysroot` (a stable flag) redirects it: no test-only cargo variable. Host libraries (for
# build scripts and proc macros) are Debian's, through a symlink.
sysroot() {
  local key dir
  key=$( { cat "$SBF/std-solana.patch"; dpkg-query -W -f='${Version}' rust-web-src; } | sha)
  dir=$CACHE/sbf-std/$key
  if [ ! -x "$dir/bin/rustc" ]; then
    say "patching a copy of Debian's std sources (scripts/sbf/std-solana.patch)"
    local tmp=$dir.tmp.$$
    rm -rf "$tmp"; mkdir -p "$tmp/lib/rustlib/src/rust" "$tmp/bin"
    cp -r /usr/lib/rustlib/src/rust/library "$tmp/lib/rustlib/src/rust/library"
    ( cd "$tmp/lib/rustlib/src/rust/library" && patch -p1 --batch --forward --quiet <"$SBF/std-solana.patch" ) ||
      die "scripts/sbf/std-solana.patch does not apply to rust-web-src $(dpkg-query -W -f='${Version}' rust-web-src)"
    ln -s /usr/lib/rustlib/x86_64-unknown-linux-gnu "$tmp/lib/rustlib/x86_64-unknown-linux-gnu"
    printf '#!/bin/sh\nexec /usr/bin/rustc --sysroot "%s" "$@"\n' "$dir" >"$tmp/bin/rustc"
    chmod +x "$tmp/bin/rustc"
    rm -rf "$dir"; mv "$tmp" "$dir"
  fi
  echo "$dir"
}

# Environment of a std build: the custom target, the link wrapper and its tools.
std_env() {
  local sysroot plug key
  plug=$(plugin); sysroot=$(sysroot)
  export RUSTC=$sysroot/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_DIR=$BUILD_DIR
  export SBF_SBPF_LINKER=$LINKER SBF_OPT=$LLVM_BIN/opt SBF_PLUGIN=$plug
  # Cargo does not fingerprint build-std sources or the target spec's contents: start over when
  # either changes (rare; the whole build then takes ~4 min again).
  key=$(basename "$sysroot")-$(sha <"$TARGET_JSON")
  if [ -d "$BUILD_DIR" ] && [ "$(cat "$BUILD_DIR/.sbf-key" 2>/dev/null)" != "$key" ]; then
    say "std patch or target spec changed: clearing $BUILD_DIR"
    rm -rf "$BUILD_DIR"
  fi
  mkdir -p "$BUILD_DIR" "$OUT"; echo "$key" >"$BUILD_DIR/.sbf-key"
  # Why each flag:
  #  -Cpanic=immediate-abort  std's panic machinery keeps counters in writable statics, which
  #                           SBPF has no section for; a panic aborts the instruction (no message)
  #  --arch=v3, --disable-{gotox,ldsx,movsx,bswap} (and the target's cpu v4 with
  #                           allows-misaligned-mem-access): the instructions SBPF v3 runs
  #  -bpf-stack-size=4096     SBPF v3's frame; LLVM errors past it (cross-checked by link.sh)
  #  --bpf-max-stores-per-memfunc=5: longer copies call memcpy (compiler-builtins-mem)
  #  static-syscalls          Solana crates call syscalls by hash (SBPF v3)
  export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -C linker=$SBF/link.sh \
 -C link-arg=--arch=v3 -C link-arg=--llvm-args=-bpf-stack-size=$FRAME_LIMIT \
 -C link-arg=--llvm-args=--bpf-max-stores-per-memfunc=5 -C link-arg=--llvm-args=--disable-gotox \
 -C link-arg=--llvm-args=--disable-ldsx -C link-arg=--llvm-args=--disable-movsx \
 -C link-arg=--llvm-args=--disable-bswap -C relocation-model=static \
 --cfg=target_feature=\"static-syscalls\" \
 -A explicit_builtin_cfgs_in_flags"
}

# cargo build of one std crate; copies <lib>.so and its frame report to target/sbf/.
std_build() { # <dir> <lib name> <report> [cargo args]
  local dir=$1 lib=$2 report=$3; shift 3
  rm -f "$OUT/$lib.so" # never leave a stale .so at the stable path when this build fails
  export SBF_MAIN_LIB=$lib  # link.sh: only this link must be a program (have an entrypoint)
  ( cd "$dir" && nice -n 10 /usr/bin/cargo build --release --locked -Zjson-target-spec \
      --target "$TARGET_JSON" -Zbuild-std=std,panic_abort -Zbuild-std-features=compiler-builtins-mem "$@" ) ||
    die "building $dir for SBF failed (above)"
  local rel=$BUILD_DIR/bpfel-solana/release
  local frames=$rel/deps/lib$lib.so.sbf/frames.txt
  [ -s "$rel/lib$lib.so" ] || die "no $rel/lib$lib.so after the build"
  # link.sh starts every link with an empty work dir: a report there belongs to this .so.
  [ -s "$frames" ] || die "no frame report $frames for this link"
  cp -f "$frames" "$report"
  check_frames "$report"
  cp -f "$rel/lib$lib.so" "$OUT/$lib.so.tmp" && mv "$OUT/$lib.so.tmp" "$OUT/$lib.so"
  local size; size=$(stat -c %s "$OUT/$lib.so")
  # Program data account: 45 bytes of header + the .so, rent-exempt at 6,960 lamports per byte
  # over 128 bytes of account overhead (solana program deploy sizes it to the .so).
  say "$(realpath --relative-to="$ROOT" "$OUT/$lib.so"): $(thousands "$size") bytes; deploying it locks \
$(awk -v s="$size" 'BEGIN { printf "%.2f", (s + 45 + 128) * 6960 / 1e9 }') SOL rent-exempt"
}

# Re-checked on every run (a cached link is not re-linked, and SBF_ALLOW_BIG_FRAMES is not part
# of cargo's fingerprint).
check_frames() {
  local report=$1 big
  big=$(awk -v l=$FRAME_LIMIT '$1 > l' "$report")
  [ -z "$big" ] && return 0
  {
    echo "sbf-toolchain: $(wc -l <<<"$big") function(s) with a stack frame over $FRAME_LIMIT bytes (SBPF v3"
    echo "  frames are fixed 4 KiB: a bigger one silently overwrites its caller's). Top 10:"
    head -10 <<<"$big" | sed 's/^/    /'
    echo "  full report (bytes, function; largest first): $(realpath --relative-to="$ROOT" "$report")"
  } >&2
  if [ "${SBF_ALLOW_BIG_FRAMES:-0}" = 1 ]; then
    say "WARNING: SBF_ALLOW_BIG_FRAMES=1: built anyway; this .so is NOT safe to deploy"
  else
    die "stack frames over $FRAME_LIMIT bytes (SBF_ALLOW_BIG_FRAMES=1 builds anyway, with this warning)"
  fi
}

i128() {
  std_env
  std_build "$ROOT/bench/i128-sbf" i128_sbf "$OUT/i128_sbf.frames.txt"
  # The check of the error check: its float helpers make LLVM report errors, which link.sh
  # must have read (and allowed) from sbpf-linker's log.
  grep -qE "^ERROR llvm: .*A call to built-in function '__" "$BUILD_DIR/bpfel-solana/release/deps/libi128_sbf.so.sbf/stage3.log" ||
    die "link.sh read no LLVM error from bench/i128-sbf's link log: the error check is broken"
  # The check of the frame check: big_frame's ~3 KiB frame must be in the report.
  awk '$2 ~ /::big_frame$/ && $1 >= 3072 && $1 <= 4096 { ok = 1 } END { exit !ok }' "$OUT/i128_sbf.frames.txt" ||
    die "the frame report of bench/i128-sbf lacks big_frame's ~3 KiB frame: the frame check is broken"
}

program() {
  i128 # first: it tests the toolchain itself, and is built even when the program's frames fail
  std_build "$ROOT" portfolio_margin "$OUT/frames.txt" -p portfolio-margin --lib
  # The example venue (programs/rfq-venue): settles into the program by CPI; tests load both.
  std_build "$ROOT" rfq_venue "$OUT/rfq_venue.frames.txt" -p rfq-venue --lib
}

case "${1:-}" in
  install) install ;;
  build) shift; install; build "$@" ;;
  program) install; program ;;
  i128) install; i128 ;;
  *) echo "usage: $0 install | build <crate-dir> [cargo args] | program | i128" >&2; exit 2 ;;
esac
