#!/usr/bin/env bash
# card_vs_ngspice.sh — end-to-end time of one nonlinear operating point of an
# N×N crossbar written with the `.crossbar` card, against ngspice on the same
# circuit exported flat.
#
# For every N in $SIZES:
#   1. writes card_<N>.cir: `.crossbar xb rows=N cols=N` of sinh devices
#      (beta 2.6, 55 uS), 2.5 ohm per segment, every row's west end driven at
#      0.25 V through 10 ohm, every column's south end sensed through 10 ohm
#      into a 0 V source vs<j>, `.op`;
#   2. times `xbarsim run card_<N>.cir -o OUT` (median of $REPEAT runs,
#      `/usr/bin/time -f '%e %M'`);
#   3. exports it with `xbarsim export` (crossbar expanded, devices as
#      B-sources), drops the export's own `.options` line so ngspice keeps
#      its default tolerances (reltol 1e-3; xbarsim runs at its tighter
#      1e-6), adds `.options $NGSPICE_OPTIONS` (default klu) and a control
#      block that runs `op` and saves only the column currents, and times
#      `$NGSPICE -b` on it (median of $NG_REPEAT runs);
#   4. compares the column currents (max relative difference) and prints a
#      markdown row with the ratio.
#
# Usage (repository root = this script's parent directory):
#   benches/card_vs_ngspice.sh
#   NGSPICE=$(benches/ngspice44.sh) SIZES="256 512" benches/card_vs_ngspice.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
SIZES=${SIZES:-"256 512"}
REPEAT=${REPEAT:-5}
NG_REPEAT=${NG_REPEAT:-3}
NGSPICE=${NGSPICE:-ngspice}
NGSPICE_OPTIONS=${NGSPICE_OPTIONS:-klu}
NGSPICE_TIMEOUT=${NGSPICE_TIMEOUT:-600}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
xbarsim_bin
machine card
if command -v "$NGSPICE" >/dev/null; then
  echo "[card] $("$NGSPICE" --version 2>/dev/null | grep -m1 -i ngspice)" >&2
else
  echo "[card] $NGSPICE not found: ngspice columns skipped" >&2
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| size | unknowns | xbarsim s | xbarsim MB | ngspice s | ngspice MB | ngspice / xbarsim | max rel diff |"
echo "|---|---|---|---|---|---|---|---|"
for N in $SIZES; do
  D="$WORK/n$N"
  mkdir -p "$D"
  python3 benches/card_net.py "$D/card.cir" "$N"
  T=(); M=0
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %M' -o "$D/t" "$XBARSIM_BIN" run -q "$D/card.cir" -o "$D/out" >/dev/null
    read -r s kb < "$D/t"; T+=("$s"); M=$((kb > M ? kb : M))
  done
  XS=$(printf '%s\n' "${T[@]}" | median)
  UNK=$(( 2 * N * N + 4 * N ))
  NS="-"; NM="-"; RATIO="-"; DIFF="-"
  if command -v "$NGSPICE" >/dev/null; then
    "$XBARSIM_BIN" export "$D/card.cir" -o "$D/flat.cir" >/dev/null
    {
      grep -v -e '^\.options' -e '^\.op' -e '^\.end' "$D/flat.cir"
      echo ".options $NGSPICE_OPTIONS"
      echo ".control"
      printf 'save'; for j in $(seq 0 $((N - 1))); do printf ' vs%d#branch' "$j"; done; echo
      echo "op"
      echo "set filetype=ascii"
      echo "write $D/ng.raw"
      echo ".endc"
      echo ".end"
    } > "$D/ng.cir"
    T=(); NMK=0
    for _ in $(seq "$NG_REPEAT"); do
      /usr/bin/time -f '%e %M' -o "$D/nt" timeout "$NGSPICE_TIMEOUT" "$NGSPICE" -b "$D/ng.cir" > "$D/ng.log" 2>&1 || true
      read -r s kb < "$D/nt"; T+=("$s"); NMK=$((kb > NMK ? kb : NMK))
    done
    NS=$(printf '%s\n' "${T[@]}" | median)
    NM=$((NMK / 1024))
    RATIO=$(python3 -c "print(f'{$NS / $XS:.0f}x')")
    DIFF=$(python3 - "$D/out/op.csv" "$D/ng.raw" "$N" <<'PY'
import csv, sys
op, raw, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = {r[0]: float(r[1]) for r in csv.reader(open(op)) if len(r) >= 2 and r[0].startswith("i(vs")}
lines = open(raw).read().split("\n")
names, vals, mode = [], [], None
for ln in lines:
    t = ln.strip()
    if t.startswith("Variables:"): mode = "v"; continue
    if t.startswith("Values:"): mode = "x"; continue
    if mode == "v" and t:
        names.append(t.split()[1].lower())
    elif mode == "x" and t:
        vals.append(float(t.split()[-1]))
ng = dict(zip(names, vals))
worst = 0.0
for j in range(n):
    a, b = x[f"i(vs{j})"], ng[f"i(vs{j})"] if f"i(vs{j})" in ng else ng[f"vs{j}#branch"]
    worst = max(worst, abs(a - b) / abs(b))
print(f"{worst:.1e}")
PY
)
  fi
  echo "| ${N}x${N} | $UNK | $XS | $((M / 1024)) | $NS | $NM | $RATIO | $DIFF |"
done
