#!/usr/bin/env bash
# step.sh — a .step study against the same points as separate runs, and
# against ngspice sweeping the same points in a `.control` loop.
#
# The circuit: a 64x64 `.crossbar` of sinh devices (beta 2.6, 55 uS), 2.5 ohm
# per segment, rows driven at {vin} through 10 ohm, columns sensed at 0 V
# through 10 ohm, `.op` (the card_vs_ngspice circuit at 64x64). The study
# steps vin over $POINTS values (values only: the topology is the same at
# every point). Times, on this machine, with `/usr/bin/time`:
#   1. `xbarsim run study.cir --jobs 1`: the study in one process;
#   2. the same points as $POINTS separate `xbarsim run point_k.cir`
#      invocations, one after another (each netlist with its .param value);
#   3. and 4. the same two with two at a time (`--jobs 2`; `xargs -P 2`);
#   1p. the study of 1. with `--point-plots`: every point draws its heat map
#      too, so it writes the same files as the separate runs;
#   5. ngspice (one at a time only: it is single-threaded) on the same points
#      in one `$NGSPICE -b` process, with the deck and the check written by
#      benches/step_ngspice.py: point 1's netlist exported flat by
#      `xbarsim export` (crossbar expanded, devices as B-sources; vin is
#      evaluated into the 64 row sources `vr<i> ... DC <vin>`), the export's
#      `.options` line dropped (ngspice keeps its default tolerances, as in
#      card_vs_ngspice.sh), `.options klu`, and a control block that saves
#      the 64 column currents and, for every vin, does `alter vr<i> dc = vin`
#      on the 64 row sources, `op`, appends the column currents to one ASCII
#      raw file (`set appendwrite`; `write`) and drops the plot (`destroy
#      all`). The timed run includes ngspice's parse of the deck, as 1. does.
#      Then checks that every point printed "Using KLU as Direct Linear
#      Solver" (the solver is labelled Sparse 1.3 when none did, as with
#      ngspice 39) and that ngspice's column currents equal the study's
#      op.csv ones within 1e-6 relative at 5 points (first, quarters, last);
#      the check goes to stderr and a failed check exits 1 after the table.
# Prints a markdown table with the ratios. A study's points write op.csv and
# xb_vcell.csv (with --point-plots also xb_vcell.png, as every separate run
# does) and their record; ngspice writes only the 64 column currents per
# point.
#
# Usage (repository root = this script's parent directory):
#   benches/step.sh
#   POINTS=200 XBARSIM_BIN=target/release/xbarsim benches/step.sh
#   NGSPICE=ngspice POINTS=50 benches/step.sh     # Debian's ngspice 39
#
# Environment:
#   POINTS       number of vin values (default 1000)
#   XBARSIM_BIN  xbarsim binary (default: cargo build --release)
#   NGSPICE      ngspice to run; default the ngspice 44 (KLU) wrapper from
#                benches/ngspice44.sh, or, when that cannot be prepared, the
#                system's `ngspice` (Debian 12: ngspice 39, Sparse 1.3);
#                `none` skips the ngspice column
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
POINTS=${POINTS:-1000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
xbarsim_bin
machine step
if [ -z "${NGSPICE:-}" ]; then
  NGSPICE=$(benches/ngspice44.sh) || {
    echo "[step] ngspice 44 could not be prepared: falling back to the system ngspice (Debian 12: ngspice 39, Sparse 1.3)" >&2
    NGSPICE=ngspice
  }
fi
if [ "$NGSPICE" != none ] && ! command -v "$NGSPICE" >/dev/null; then
  echo "[step] $NGSPICE not found: ngspice column skipped" >&2
  NGSPICE=none
fi
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
S1P=$(t "$XBARSIM_BIN" run -q --jobs 1 --point-plots "$WORK/study.cir" -o "$WORK/s1p")
M1=$(t bash -c "for f in $WORK/single/*.cir; do \"$XBARSIM_BIN\" run -q \"\$f\" -o \"$WORK/m1/\$(basename \$f .cir)\" || exit 1; done")
NG="-"; NGR="-"; NGH="ngspice"; NGOK=1
if [ "$NGSPICE" != none ]; then
  NGV=$("$NGSPICE" --version 2>/dev/null | grep -m1 -o 'ngspice-[0-9][^ ]*' || echo ngspice)
  echo "[step] ngspice: $NGSPICE ($NGV)" >&2
  "$XBARSIM_BIN" export "$WORK/single/p1.cir" -o "$WORK/flat.cir" >/dev/null
  python3 benches/step_ngspice.py deck "$WORK" "$POINTS"
  /usr/bin/time -f '%e' -o "$WORK/t" "$NGSPICE" -b "$WORK/ng.cir" >"$WORK/ng.log" 2>&1 || true
  NG=$(tail -n 1 "$WORK/t")
  NKLU=$(grep -c 'Using KLU as Direct Linear Solver' "$WORK/ng.log" || true)
  if [ "$NKLU" = "$POINTS" ]; then SOLVER=KLU
  elif [ "$NKLU" = 0 ]; then SOLVER="Sparse 1.3"
  else SOLVER="KLU at $NKLU of $POINTS points"; fi
  NGH="$NGV $SOLVER .control loop"
  echo "[step] ngspice: \"Using KLU as Direct Linear Solver\" at $NKLU of $POINTS points: $SOLVER" >&2
  python3 benches/step_ngspice.py check "$WORK" "$POINTS" >&2 || NGOK=0
  NGR="$(python3 -c "print(f'{$NG / $S1:.2f}')")x"
  echo "[step] ngspice: $(python3 -c "print(f'{$NG / $POINTS * 1e3:.0f}')") ms per point (its whole run / $POINTS)" >&2
fi
S2=$(t "$XBARSIM_BIN" run -q --jobs 2 "$WORK/study.cir" -o "$WORK/s2")
M2=$(t bash -c "ls $WORK/single/*.cir | xargs -P 2 -I{} sh -c '\"$XBARSIM_BIN\" run -q {} -o \"$WORK/m2/\$(basename {} .cir)\"'")
OK=$(grep -c ',ok,' "$WORK/s1/steps.csv")
echo "| $POINTS points of a 64x64 .op | one process (.step) s | separate runs s | separate / .step | $NGH s | ngspice / .step |"
echo "|---|---|---|---|---|---|"
echo "| one at a time | $S1 | $M1 | $(python3 -c "print(f'{$M1 / $S1:.2f}')")x | $NG | $NGR |"
echo "| one at a time, --point-plots (the same files as the separate runs) | $S1P | $M1 | $(python3 -c "print(f'{$M1 / $S1P:.2f}')")x | - | - |"
echo "| two at a time | $S2 | $M2 | $(python3 -c "print(f'{$M2 / $S2:.2f}')")x | - | - |"
echo "[step] $OK of $POINTS points ok" >&2
[ "$NGOK" = 1 ] || { echo "[step] error: ngspice's column currents differ from the study's (see the check above)" >&2; exit 1; }
