#!/usr/bin/env bash
# calibrate_thresholds.sh — find the Nili midpoints (vset, vreset) of a model
# card for which the 64x64 paper's Fig. 2 protocol (.thresholds) measures
# given threshold means.
#
# The card is tio2x_pulse of models/tio2x_nili2020.lib with its vset/vreset
# replaced (and $EXTRA parameters appended, e.g. EXTRA="c0=10u c0r=10u").
# Each round runs .thresholds on a $SIZE x $SIZE array (0.1 ohm segments,
# seed $SEED, as netlists/thresholds_64x64.cir) and moves each midpoint by
# (target - measured), rounded to $ROUND V; it stops when a round leaves the
# rounded midpoints where they were, or after $ROUNDS rounds. One CSV row per
# round: the midpoints, then the measured mean and sd of set and reset, the
# set/|reset| correlation and the unswitchable devices.
#
# studies/calibrate_thresholds.cir runs one round's measurements as a .step
# over candidate midpoints; the rounds themselves (each from the previous
# one's result, rounded, until nothing moves) need this loop.
#
# Usage (repository root = this script's parent directory):
#   studies/calibrate_thresholds.sh > calibration.csv
#   EXTRA="c0=10u c0r=10u" START_SET=1.19 START_RESET=-1.39 studies/calibrate_thresholds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_SET=${TARGET_SET:-1.19}
TARGET_RESET=${TARGET_RESET:--1.39}
START_SET=${START_SET:-$TARGET_SET}
START_RESET=${START_RESET:-$TARGET_RESET}
EXTRA=${EXTRA:-}
SIZE=${SIZE:-64}
SEED=${SEED:-1}
ROUND=${ROUND:-0.01}
ROUNDS=${ROUNDS:-4}
WORK=${WORKDIR:-$(mktemp -d)}
if [ -z "${XBARSIM_BIN:-}" ]; then
  cargo build --release -q
  XBARSIM_BIN=target/release/xbarsim
fi
# The card's own lines (up to the next comment or blank line).
CARD=$(awk '/^\.model tio2x_pulse /{on=1} on && (/^\*/ || /^$/){on=0} on' models/tio2x_nili2020.lib)
[ -n "$CARD" ] || { echo "no tio2x_pulse card in models/tio2x_nili2020.lib" >&2; exit 1; }
vs=$START_SET
vr=$START_RESET
echo "round,vset,vreset,set_mean,set_sd,reset_mean,reset_sd,correlation,unswitchable"
for ((k = 0; k < ROUNDS; k++)); do
  d="$WORK/r$k"
  mkdir -p "$d"
  {
    echo "calibration round $k"
    echo "$CARD" | sed -e "s/^\.model tio2x_pulse /.model cal /" \
      -e "s/vset=[^ )]*/vset=$vs/" -e "s/vreset=[^ )]*/vreset=$vr/" \
      -e "s/)\$/ $EXTRA)/"
    echo ".crossbar xb rows=$SIZE cols=$SIZE model=cal rrow=0.1 rcol=0.1 g=20u"
    echo ".thresholds xb seed=$SEED"
    echo ".end"
  } > "$d/thr.cir"
  grep -q "vset=$vs " "$d/thr.cir" && grep -q "vreset=$vr " "$d/thr.cir"
  "$XBARSIM_BIN" run -q "$d/thr.cir" -o "$d/out" >/dev/null
  read -r row next < <(python3 - "$d/out/thresholds.json" "$k" "$vs" "$vr" \
      "$TARGET_SET" "$TARGET_RESET" "$ROUND" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
k, vs, vr, ts, tr, q = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), \
    float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
m = j["measured"]
row = [k, sys.argv[3], sys.argv[4], f'{m["set_mean_v"]:.4f}', f'{m["set_sd_v"]:.4f}',
       f'{m["reset_mean_v"]:.4f}', f'{m["reset_sd_v"]:.4f}',
       f'{m["set_abs_reset_correlation"]:.3f}', str(j["unswitchable_devices"])]
r = lambda x: f"{round(x / q) * q:.6g}"
print(",".join(row), r(vs + ts - m["set_mean_v"]) + "," + r(vr + tr - m["reset_mean_v"]))
PY
)
  echo "$row"
  nvs=${next%,*}
  nvr=${next#*,}
  if python3 -c "import sys; sys.exit(0 if float('$nvs') == float('$vs') and float('$nvr') == float('$vr') else 1)"; then
    break
  fi
  vs=$nvs
  vr=$nvr
done
