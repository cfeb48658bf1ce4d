#!/usr/bin/env bash
# rustc's linker for SBF builds with upstream LLVM 22 (-C linker=scripts/sbf/link.sh), set up by
# scripts/sbf-toolchain.sh, which exports:
#   SBF_SBPF_LINKER  sbpf-linker 0.2.6 built against LLVM 22
#   SBF_OPT          opt-22
#   SBF_PLUGIN       libsbf_lower.so (scripts/sbf/lower_i128.cpp)
#   SBF_ALLOW_BIG_FRAMES=1 (optional) frames over 4 KiB only warn
#
# Three steps, because the backend cannot emit what the pass plugin rewrites:
#  1. sbpf-linker --emit=llvm-bc: link every input (rlibs included), internalize, O3, write the
#     module as bitcode. (It then tries to read that bitcode as an ELF and fails: expected.)
#  2. opt-22 with the plugin: atomics -> plain loads/stores (one thread), i128 arithmetic -> i64,
#     >5 argument registers -> struct by pointer, then sbf-check fails on anything left over.
#  3. sbpf-linker on that bitcode -> the .so, with LLVM errors non-fatal so that they can be
#     sorted here: FAIL on any LLVM error except the understood ones (soft-float helper
#     libcalls, whose code is right: tested bit for bit by bench/i128-sbf; and the stack-limit
#     error, which the frame report below handles).
# Every function's stack frame comes from LLVM's own prologue/epilogue remark in step 3; a
# frame over 4096 bytes (SBPF v3 frames are fixed 4 KiB: a bigger one overwrites the caller's)
# fails the link.
set -uo pipefail

: "${SBF_SBPF_LINKER:?set by scripts/sbf-toolchain.sh}" "${SBF_OPT:?}" "${SBF_PLUGIN:?}"
FRAME_LIMIT=4096
PASSES='function(lower-atomic),sbf-lower-i128,sbf-pack-args,sbf-check'

# Never leave a .so behind on failure: a stale one could be deployed or tested.
die() { echo "sbf link: $*" >&2; [[ -n ${out:-} ]] && rm -f "$out"; exit 1; }

# Soft-float helpers from compiler-builtins that LLVM 22 calls for f64/f32 arithmetic (it
# reports "A call to built-in function ... is not supported" but emits a correct call: every
# argument and the result fit one register). Kept alive by exporting them.
FLOAT_HELPERS='__adddf3 __subdf3 __muldf3 __divdf3 __negdf2 __eqdf2 __nedf2 __ltdf2 __ledf2
__gtdf2 __gedf2 __unorddf2 __floatdidf __floatundidf __floatsidf __floatunsidf __fixdfdi
__fixunsdfdi __fixdfsi __fixunsdfsi __powidf2 __addsf3 __subsf3 __mulsf3 __divsf3 __negsf2
__eqsf2 __nesf2 __ltsf2 __lesf2 __gtsf2 __gesf2 __unordsf2 __floatdisf __floatundisf
__floatsisf __floatunsisf __fixsfdi __fixunssfdi __fixsfsi __fixunssfsi __powisf2
__extendsfdf2 __truncdfsf2'
float_re=$(echo $FLOAT_HELPERS | tr ' ' '|')

inputs=() opts=() out= stage1_opt=-O3
while (($#)); do
  a=$1; shift
  case $a in
    -o) out=$1; shift ;;
    --export-symbols)
      # rustc lists every #[no_mangle] symbol, compiler-builtins' 128-bit helpers (__multi3,
      # __udivti3, ...) included. Those return i128 through memory, which the backend refuses;
      # after step 2 nothing calls them, so they must not be kept alive.
      grep -vE '^__[a-z0-9]*ti[0-9]$' "$1" >"$1.sbf" || true
      opts+=(--export-symbols "$1.sbf"); shift ;;
    -L|--cpu|--cpu-features|--export|--log-file|--log-level|--target|--llvm-args)
      opts+=("$a" "$1"); shift ;;
    --disable-math-builtins) ;; # added below
    -O*) stage1_opt=$a ;;        # step 1 only, see step 3
    -*) opts+=("$a") ;;
    *) if [[ -f $a ]]; then inputs+=("$a"); else opts+=("$a"); fi ;;
  esac
done
[[ -n $out ]] || die "no -o <output> argument"
((${#inputs[@]})) || die "no input files"
# sbpf-linker's own math builtins include the i128 ones: replace them by the float helpers only.
opts+=(--disable-math-builtins "--export=$(echo $FLOAT_HELPERS | tr ' ' ',')" --deploy=false)

work=$out.sbf; rm -rf "$work"; mkdir -p "$work"
t0=$SECONDS
# RUST_LOG would filter sbpf-linker's log, where LLVM's errors are read from: never inherit it.
linker() { env -u RUST_LOG "$SBF_SBPF_LINKER" "$@"; }

# 1. Link to optimized bitcode.
linker "${opts[@]}" "$stage1_opt" "${inputs[@]}" -o "$work/stage1.bc" --emit=llvm-bc --fatal-errors=false \
  >"$work/stage1.log" 2>&1
if [[ $(head -c4 "$work/stage1.bc" 2>/dev/null | od -An -tx1 | tr -d ' \n') != 4243c0de ]]; then
  cat "$work/stage1.log" >&2; die "step 1 (sbpf-linker to bitcode) produced no bitcode, log above"
fi
# Its one expected error is reading the bitcode back as an ELF ("Unknown file magic").
if grep -q 'ERROR' "$work/stage1.log" || grep -E '^Error: ' "$work/stage1.log" | grep -qv 'Unknown file magic'; then
  cat "$work/stage1.log" >&2; die "step 1 (sbpf-linker to bitcode): errors, log above"
fi

t1=$SECONDS

# 2. Lower what the backend cannot emit; sbf-check exits non-zero on leftovers.
"$SBF_OPT" -load-pass-plugin="$SBF_PLUGIN" -passes="$PASSES" "$work/stage1.bc" -o "$work/stage2.bc" \
  2>"$work/stage2.log" || { cat "$work/stage2.log" >&2; die "step 2 (opt with the SBF passes) failed, above"; }

t2=$SECONDS

# 3. Code generation and the SBPF .so. -O1: the module is already optimized (step 1); O2/O3 would
#    run AggressiveInstCombine, which folds the lowered 64-bit limb products back into an i128
#    multiply (measured), and ArgumentPromotion, which would unpack the packed arguments.
#    Debug log level: LLVM's remarks (frame sizes) arrive as debug records, errors as ERROR.
log=$work/stage3.log
linker "${opts[@]}" -O1 "$work/stage2.bc" -o "$out" --fatal-errors=false --log-level=debug \
  --llvm-args=-pass-remarks-analysis=prologepilog >"$log" 2>&1
rc=$?
echo "step 1 (link, O3) $((t1 - t0)) s, step 2 (opt) $((t2 - t1)) s, step 3 (codegen) $((SECONDS - t2)) s" >"$work/times.txt"
# One record per LLVM diagnostic: "ERROR llvm: <msg>". Anything else in the log that speaks
# of an error (outside DEBUG/INFO/WARN records) means the format is not what is parsed here.
errors=$(grep -E '^ERROR llvm: ' "$log" | sed -E 's/^ERROR llvm: //')
odd=$(grep -iE 'error|panick' "$log" | grep -vE '^(DEBUG|INFO|TRACE|WARN) |^ERROR llvm: ' || true)
[[ -z $odd ]] || { echo "$odd" | head -20 >&2; die "step 3: unrecognized error output in $log (above)"; }
float_err="A call to built-in function '($float_re)' is not supported\.\$"
stack_err='BPF stack limit|stack limit is exceeded'
unknown=$(grep -vE "$float_err|$stack_err" <<<"$errors" | sed '/^$/d')
if [[ -n $unknown ]]; then
  echo "$unknown" | head -40 >&2
  die "step 3: LLVM reported errors not understood here (above; full log $log): not linking past them"
fi
if ((rc != 0)); then
  grep -vE 'DEBUG|TRACE|INFO' "$log" | tail -30 >&2; die "step 3 (sbpf-linker) failed, log $log"
fi
[[ -s $out ]] || die "step 3 wrote no $out"

# Stack frames: "<n> stack bytes in function '<symbol>'", one remark per function.
frames=$work/frames.txt
grep -oE "[0-9]+ stack bytes in function '[^']+'" "$log" |
  sed -E "s/^([0-9]+) stack bytes in function '(.*)'$/\1 \2/" | sort -k1,1nr -k2 | uniq >"$work/frames.raw"
# Rust names (legacy and v0 mangling) without the crate-disambiguator hashes.
demangle() {
  if command -v c++filt >/dev/null; then c++filt -s rust; else cat; fi | sed -E 's/\[[0-9a-f]{6,16}\]//g'
}
awk '{print $2}' "$work/frames.raw" | demangle >"$work/frames.names"
paste -d' ' <(awk '{print $1}' "$work/frames.raw") "$work/frames.names" >"$frames"
# The report must be real: it lists the entrypoint, and every function LLVM itself flagged
# with -bpf-stack-size=4096 (offset <= -4096) is in it at >= 4096 bytes.
if ! grep -qE "^[0-9]+ entrypoint$" "$frames" && [[ -n ${SBF_MAIN_LIB:-} && $(basename "$out") != lib${SBF_MAIN_LIB}[.-]* ]]; then
  # A dependency that declares crate-type cdylib (solana-zk-sdk): cargo links it too, but it is
  # no program and never deployed; only the program's link (SBF_MAIN_LIB) must have one.
  echo "sbf link: $(basename "$out"): a dependency's cdylib without an entrypoint (not deployed)" >&2
  exit 0
fi
grep -qE "^[0-9]+ entrypoint$" "$frames" ||
  die "no stack-frame remark for 'entrypoint' in $log: cannot check frames (did sbpf-linker's log format change?)"
for f in $(grep -E "$stack_err" <<<"$errors" | grep -oE "in function [^ ]+" | awk '{print $3}' | sort -u); do
  size=$(awk -v f="$f" '$2 == f {print $1}' "$work/frames.raw" | head -1)
  [[ -n $size && $size -ge $FRAME_LIMIT ]] ||
    die "LLVM reports a frame over its limit in $f, the frame report says '${size:-nothing}': report broken"
done
big=$(awk -v l=$FRAME_LIMIT '$1 > l' "$frames")
if [[ -n $big ]]; then
  n=$(wc -l <<<"$big")
  {
    echo "sbf link: $n function(s) have a stack frame over $FRAME_LIMIT bytes (SBPF v3 frames are"
    echo "  fixed 4 KiB: a bigger frame silently overwrites its caller's). Largest first:"
    head -10 <<<"$big" | sed 's/^/    /'
    echo "  full report: $frames"
  } >&2
  if [[ ${SBF_ALLOW_BIG_FRAMES:-0} != 1 ]]; then
    die "failing (SBF_ALLOW_BIG_FRAMES=1 builds anyway, with this warning)"
  fi
  echo "sbf link: WARNING: SBF_ALLOW_BIG_FRAMES=1, linked anyway: this .so is NOT safe to deploy" >&2
fi
exit 0
