#!/usr/bin/env bash
# Fuzz every target for N executions each (default 300000), one at a time,
# and print one summary line per target.
#
#   fuzz/run.sh [N] [target...]          targets: parse elaborate csv
#
# Environment:
#   ONLY_ASCII=1   pass -only_ascii=1 (hides the known non-ASCII slicing panics)
#   NO_BUILD=1     reuse the binaries already in fuzz/target
#   EXTRA="..."    extra libFuzzer flags
#   SANITIZER=address  build with ASan (default: none)
#
# Seeds are read from fuzz/corpus/<target>/ (committed, never written);
# new inputs go to fuzz/corpus-gen/<target>/, crashes to fuzz/artifacts/<target>/,
# full logs to fuzz/logs/<target>.log (all three git-ignored).
# Fork mode (-fork=1 -ignore_*) keeps going after a crash, so one run collects
# many artifacts; triage them with: python3 fuzz/triage.py BINARY ARTIFACT_DIR
set -euo pipefail
cd "$(dirname "$0")"

N=${1:-300000}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(parse elaborate csv)

# A nightly toolchain if rustup has one, else stable with RUSTC_BOOTSTRAP=1
# (cargo fuzz passes -Z flags that only nightly accepts).
if rustup run nightly rustc -V >/dev/null 2>&1; then
  CARGO=(cargo +nightly)
else
  export RUSTC_BOOTSTRAP=1
  CARGO=(cargo)
fi

if [ "${NO_BUILD:-0}" != 1 ]; then
  # -a: debug assertions (integer overflow panics). SANITIZER=address adds
  # ASan (cargo fuzz's default; ~5x slower, and the crate is safe Rust but
  # for faer's kernels); the default here is none, for throughput.
  "${CARGO[@]}" fuzz build -O -a -s "${SANITIZER:-none}"
fi
BIN=target/x86_64-unknown-linux-gnu/release
mkdir -p logs

for t in "${TARGETS[@]}"; do
  mkdir -p "corpus-gen/$t" "artifacts/$t"
  dict=()
  [ "$t" != csv ] && dict=(-dict=netlist.dict)
  ascii=()
  [ "${ONLY_ASCII:-0}" = 1 ] && ascii=(-only_ascii=1)
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$BIN/$t" -artifact_prefix="artifacts/$t/" "${dict[@]}" "${ascii[@]}" \
    -rss_limit_mb=2048 -timeout=10 -max_len=8192 -runs="$N" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 ${EXTRA:-} \
    "corpus-gen/$t" "corpus/$t" >"logs/$t.log" 2>&1 || true
  secs=$(( $(date +%s) - start ))
  last=$(grep -E '^#[0-9]+: cov:' "logs/$t.log" | tail -1)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
  ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$last")
  otc=$(sed -E 's|.*oom/timeout/crash: ([0-9/]+).*|\1|' <<<"$last")
  printf '%-10s execs=%s secs=%s exec/s=%s cov=%s ft=%s oom/timeout/crash=%s artifacts=%s\n' \
    "$t" "${execs:-?}" "$secs" "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" \
    "${cov:-?}" "${ft:-?}" "${otc:-?}" "$(ls "artifacts/$t" | wc -l)"
done
