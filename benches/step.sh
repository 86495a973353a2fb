#!/usr/bin/env bash
# step.sh — a .step study against the same points as separate runs.
#
# The circuit: a 64x64 `.crossbar` of sinh devices (beta 2.6, 55 uS), 2.5 ohm
# per segment, rows driven at {vin} through 10 ohm, columns sensed at 0 V
# through 10 ohm, `.op` (the card_vs_ngspice circuit at 64x64). The study
# steps vin over $POINTS values (values only: the topology is the same at
# every point). Times, on this machine, with `/usr/bin/time`:
#   1. `xbarsim run study.cir --jobs 1`: the study in one process;
#   2. the same points as $POINTS separate `xbarsim run point_k.cir`
#      invocations, one after another (each netlist with its .param value);
#   3. and 4. the same two with two at a time (`--jobs 2`; `xargs -P 2`).
# Prints a markdown table with the ratios. Both write every point's files
# (op.csv, xb_vcell.csv, xb_vcell.png).
#
# Usage (repository root = this script's parent directory):
#   benches/step.sh
#   POINTS=200 XBARSIM_BIN=target/release/xbarsim benches/step.sh
set -euo pipefail
cd "$(dirname "$0")/.."
POINTS=${POINTS:-1000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ -z "${XBARSIM_BIN:-}" ]; then
  cargo build --release -q
  XBARSIM_BIN=target/release/xbarsim
fi
XBARSIM_BIN=$(readlink -f "$XBARSIM_BIN")
echo "[step] machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
python3 - "$WORK" "$POINTS" <<'PY'
import os, sys
sys.path.insert(0, "benches")
from card_net import net
work, pts = sys.argv[1], int(sys.argv[2])
step = 0.3 / pts
open(os.path.join(work, "study.cir"), "w").write(net(
    64, "{vin}", [".param vin=0.1", f".step param vin lin {step!r} {step * pts!r} {step!r}"]))
os.makedirs(os.path.join(work, "single"))
for k in range(1, pts + 1):
    v = float(f"{step * k:.14e}")
    open(os.path.join(work, "single", f"p{k}.cir"), "w").write(net(64, "{vin}", [f".param vin={v!r}"]))
PY
t() { /usr/bin/time -f '%e' -o "$WORK/t" "$@" >/dev/null 2>&1; cat "$WORK/t"; }
S1=$(t "$XBARSIM_BIN" run -q --jobs 1 "$WORK/study.cir" -o "$WORK/s1")
M1=$(t bash -c "for f in $WORK/single/*.cir; do \"$XBARSIM_BIN\" run -q \"\$f\" -o \"$WORK/m1/\$(basename \$f .cir)\" || exit 1; done")
S2=$(t "$XBARSIM_BIN" run -q --jobs 2 "$WORK/study.cir" -o "$WORK/s2")
M2=$(t bash -c "ls $WORK/single/*.cir | xargs -P 2 -I{} sh -c '\"$XBARSIM_BIN\" run -q {} -o \"$WORK/m2/\$(basename {} .cir)\"'")
OK=$(grep -c ',ok,' "$WORK/s1/steps.csv")
echo "| $POINTS points of a 64x64 .op | one process (.step) s | separate runs s | separate / .step |"
echo "|---|---|---|---|"
echo "| one at a time | $S1 | $M1 | $(python3 -c "print(f'{$M1 / $S1:.2f}')")x |"
echo "| two at a time | $S2 | $M2 | $(python3 -c "print(f'{$M2 / $S2:.2f}')")x |"
echo "[step] $OK of $POINTS points ok" >&2
