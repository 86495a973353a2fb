#!/usr/bin/env bash
# threshold_spread.sh — how the reference tuning experiment depends on the
# spread of the switching thresholds.
#
# Runs netlists/tune_64x64.cir (64x64, V/2, write-verify, three cycles, 0.1
# ohm segments, the paper's mean thresholds 1.19 V / -1.39 V, correlation 0.6
# and 1.125 % stuck devices) with the threshold standard deviations scaled
# by each factor in $SCALES (1 = the paper's 0.31 V / 0.37 V), and writes
# one CSV row per run: scale, sd_set, sd_reset, then per cycle the mean
# |error| (%) and the fraction of switchable devices within 5 %, and the
# distinct devices disturbed. Runs go $JOBS at a time.
#
# Usage (repository root = this script's parent directory):
#   studies/threshold_spread.sh > spread.csv
#   SCALES="1 0.5" JOBS=1 XBARSIM_BIN=target/release/xbarsim studies/threshold_spread.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALES=${SCALES:-"1 0.75 0.5 0.25"}
JOBS=${JOBS:-2}
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
  # Same device as tio2x_pulse, spreads scaled.
  sed -i "/^\.crossbar/i .model spread memristor (level=cubic temp=27 gmin=3u gmax=100u\n+ dyn=nili vset=1.19 vreset=-1.39 vset_sd=$sds vreset_sd=$sdr vcorr=0.6\n+ stuck=0.01125 stuck_state=off)" "$d/tune.cir"
  "$XBARSIM_BIN" run -q "$d/tune.cir" -o "$d/out" >/dev/null
  python3 - "$d/out/program.json" "$s" "$sds" "$sdr" > "$d/row.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pc = d["per_cycle"]
cells = [sys.argv[2], sys.argv[3], sys.argv[4]]
for m, w in zip(pc["mean_abs_error_pct"], pc["within_tol_pct"]):
    cells += [f"{m:.3f}", f"{w:.2f}"]
cells.append(str(d["disturbed_devices"]))
print(",".join(cells))
PY
}
export -f run_one
export WORK ROOT XBARSIM_BIN
echo "scale,sd_set,sd_reset,c1_mean_err,c1_within5,c2_mean_err,c2_within5,c3_mean_err,c3_within5,disturbed"
printf '%s\n' $SCALES | xargs -P "$JOBS" -I{} bash -c 'run_one {}'
for s in $SCALES; do cat "$WORK/s$s/row.csv"; done
