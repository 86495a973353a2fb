#!/usr/bin/env bash
# threshold_spread.sh — how the reference tuning experiment depends on the
# spread of the switching thresholds.
#
# Runs netlists/tune_64x64.cir (64x64, V/2, write-verify, three cycles, its
# line resistance, the tio2x_pulse card of models/tio2x_nili2020.lib: its
# threshold midpoints, correlation 0.6 and 1.125 % stuck devices) with the
# card's threshold standard deviations scaled by each factor in $SCALES (1 =
# the paper's 0.31 V / 0.37 V), and writes one CSV row per run: scale,
# sd_set, sd_reset, then per cycle the mean |error| (%) and the fraction of
# switchable devices within 5 %, and the distinct devices disturbed, drifted
# and read-shifted (see docs/netlist.md, .program's outputs). Runs go $JOBS
# at a time (on 2 cores, one: each run keeps a helper thread busy).
#
# studies/threshold_spread.cir runs the same points as one .step study (its
# point at scale 1 is tune_64x64.cir to the bit), and its steps.csv carries
# the same numbers. This script stays as the loop that needs no .step, one
# folder per scale under $WORKDIR.
#
# Usage (repository root = this script's parent directory):
#   studies/threshold_spread.sh > spread.csv
#   SCALES="1 0.5" JOBS=2 XBARSIM_BIN=target/release/xbarsim studies/threshold_spread.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALES=${SCALES:-"1 0.75 0.5 0.25"}
JOBS=${JOBS:-1}
WORK=${WORKDIR:-$(mktemp -d)}
if [ -z "${XBARSIM_BIN:-}" ]; then
  cargo build --release -q
  XBARSIM_BIN=target/release/xbarsim
fi
run_one() {
  local s=$1 d="$WORK/s$1"
  mkdir -p "$d"
  local sds sdr
  sds=$(python3 -c "print(round(0.31 * $s, 6))")
  sdr=$(python3 -c "print(round(0.37 * $s, 6))")
  sed -e "s#\.\./models/#$ROOT/models/#" \
      -e "s#data/camera_64x64_target.csv#$ROOT/netlists/data/camera_64x64_target.csv#" \
      -e "s#model=tio2x_pulse#model=spread#" netlists/tune_64x64.cir > "$d/tune.cir"
  # The tio2x_pulse card itself (its lines up to the next comment or blank
  # line), renamed, with the spreads scaled.
  awk '/^\.model tio2x_pulse /{on=1} on && (/^\*/ || /^$/){on=0} on' models/tio2x_nili2020.lib |
    sed -e "s/^\.model tio2x_pulse /.model spread /" \
        -e "s/vset_sd=[^ )]*/vset_sd=$sds/" -e "s/vreset_sd=[^ )]*/vreset_sd=$sdr/" > "$d/card.lib"
  grep -q "vset_sd=$sds" "$d/card.lib" && grep -q "vreset_sd=$sdr" "$d/card.lib"
  sed -i "/^\.crossbar/e cat $d/card.lib" "$d/tune.cir"
  "$XBARSIM_BIN" run -q "$d/tune.cir" -o "$d/out" >/dev/null
  python3 - "$d/out/program.json" "$s" "$sds" "$sdr" > "$d/row.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pc = d["per_cycle"]
cells = [sys.argv[2], sys.argv[3], sys.argv[4]]
for m, w in zip(pc["mean_abs_error_pct"], pc["within_tol_pct"]):
    cells += [f"{m:.3f}", f"{w:.2f}"]
cells += [str(d[k]) for k in ("disturbed_devices", "drifted_devices", "read_shifted_devices")]
print(",".join(cells))
PY
}
export -f run_one
export WORK ROOT XBARSIM_BIN
echo "scale,sd_set,sd_reset,c1_mean_err,c1_within5,c2_mean_err,c2_within5,c3_mean_err,c3_within5,disturbed,drifted,read_shifted"
printf '%s\n' $SCALES | xargs -P "$JOBS" -I{} bash -c 'run_one {}'
for s in $SCALES; do cat "$WORK/s$s/row.csv"; done
