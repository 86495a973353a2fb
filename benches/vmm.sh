#!/usr/bin/env bash
# vmm.sh — time `.vmm` with 10,000 input vectors on the 64x64 nonlinear
# array of netlists/vmm64.cir and put it next to ngspice's cost per vector.
#
#   1. writes 10,000 random binary input vectors (0 / 0.25 V per row,
#      Python's random with seed 10000) and a copy of netlists/vmm64.cir
#      (64x64 TiO2-x cubic devices, 2.5 ohm segments, 10 ohm drivers and
#      sense) that reads them;
#   2. runs `xbarsim run` on it under `/usr/bin/time -f '%e %M'`;
#   3. if ngspice ($NGSPICE, default `ngspice`; benches/ngspice44.sh gives
#      ngspice 44 with KLU) is on PATH: writes the same array with vector 0's drivers
#      and sense resistors as plain elements and `.op`, exports it with
#      `xbarsim export` and times `ngspice -b` on it (median of 3): the
#      peer's cost of ONE of the 10,000 vectors;
#   4. prints a markdown table with both and the ratio per vector.
#
# Usage (repository root = this script's parent directory):
#   benches/vmm.sh
#   VECTORS=2000 XBARSIM_BIN=target/release/xbarsim benches/vmm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
NGSPICE=${NGSPICE:-ngspice}
# shellcheck source=benches/ngspice_peer.sh
. benches/ngspice_peer.sh
ROOT=$PWD
VECTORS=${VECTORS:-10000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
xbarsim_bin
machine vmm
python3 - "$WORK" "$VECTORS" <<'PY'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
random.seed(10000)
with open(f"{work}/in.csv", "w") as f:
    for _ in range(n):
        f.write(",".join(random.choice(["0", "0.25"]) for _ in range(64)) + "\n")
PY
sed -e "s#\.\./models/#$ROOT/models/#" \
    -e "s#data/xbar64_g.csv#$ROOT/netlists/data/xbar64_g.csv#" \
    -e "s#data/xbar64_inputs.csv#$WORK/in.csv#" netlists/vmm64.cir > "$WORK/vmm.cir"
/usr/bin/time -f '%e %M' -o "$WORK/time" "$XBARSIM_BIN" run -q "$WORK/vmm.cir" -o "$WORK/out" >/dev/null
read -r SECS KB < "$WORK/time"
PER=$(python3 -c "print(f'{$SECS / $VECTORS * 1e3:.3f}')")
NG="-"; RATIO="-"
if command -v "$NGSPICE" >/dev/null; then
  echo "[$(basename "$0" .sh)] $("$NGSPICE" --version 2>/dev/null | grep -m1 -i ngspice)" >&2
  python3 - "$WORK" "$ROOT" <<'PY'
import sys
work, root = sys.argv[1], sys.argv[2]
v = open(f"{work}/in.csv").readline().strip().split(",")
L = ["vector 0 of the vmm benchmark as one operating point",
     f".include {root}/models/tio2x_nili2020.lib",
     f".crossbar xb rows=64 cols=64 model=tio2x rrow=2.5 rcol=2.5 g=file(\"{root}/netlists/data/xbar64_g.csv\")"]
for i in range(64):
    L += [f"vin{i} in{i} 0 {v[i]}", f"rd{i} in{i} xb.w{i} 10"]
for j in range(64):
    L += [f"rs{j} xb.s{j} out{j} 10", f"vout{j} out{j} 0 0"]
L += [".op", ".end"]
open(f"{work}/one.cir", "w").write("\n".join(L) + "\n")
PY
  NG=$(ngspice_one_op "$WORK/one.cir")
  RATIO=$(python3 -c "print(f'{$NG / ($SECS / $VECTORS):.0f}x')")
  NG="$NG s"
fi
echo "| vectors | wall (s) | peak RSS (MB) | ms per vector | ngspice per vector | ratio |"
echo "|---|---|---|---|---|---|"
echo "| $VECTORS | $SECS | $((KB / 1024)) | $PER | $NG | $RATIO |"
