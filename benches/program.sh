#!/usr/bin/env bash
# program.sh — time the reference pulse-programming experiment and put it
# next to what one ngspice operating point of the same circuit costs.
#
#   1. runs `xbarsim run netlists/tune_64x64.cir` (64x64 crossbar, 0.1 ohm
#      segments, cubic devices with Nili dynamics and the paper's variation,
#      write-verify under V/2, three cycles) under `/usr/bin/time -f '%e %M'`
#      and reads solves / pulses / reads from its program.json;
#   2. if ngspice ($NGSPICE, default `ngspice`; benches/ngspice44.sh gives
#      ngspice 44 with KLU) is on PATH: builds one write-pulse bias of the same array
#      (cell (32,32) at 1.2 V, every other line at 0.6 V, same switches and
#      wires, devices at 20 uS), exports it with `xbarsim export` and times
#      `ngspice -b` on it (median of 3): the peer's cost of ONE of the
#      circuit solves the tuning needs;
#   3. prints a markdown table: xbarsim's wall time, peak RSS, solves, time
#      per solve, and the ngspice time per solve with the ratio.
#
# Usage (repository root = this script's parent directory):
#   benches/program.sh
#   NETLIST=netlists/tune_64x64.cir XBARSIM_BIN=target/release/xbarsim benches/program.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
NGSPICE=${NGSPICE:-ngspice}
# shellcheck source=benches/ngspice_peer.sh
. benches/ngspice_peer.sh
NETLIST=${NETLIST:-netlists/tune_64x64.cir}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
xbarsim_bin
machine program
/usr/bin/time -f '%e %M' -o "$WORK/time" "$XBARSIM_BIN" run -q "$NETLIST" -o "$WORK/out" >/dev/null
read -r SECS KB < "$WORK/time"
read -r SOLVES PULSES READS < <(python3 -c "
import json; d = json.load(open('$WORK/out/program.json'))
print(d['solver']['solves'], d['pulses'], d['reads'])")
PER=$(python3 -c "print(f'{$SECS / $SOLVES * 1e3:.3f}')")
NG="-"; RATIO="-"
if command -v "$NGSPICE" >/dev/null; then
  echo "[$(basename "$0" .sh)] $("$NGSPICE" --version 2>/dev/null | grep -m1 -i ngspice)" >&2
  python3 - "$WORK/bias.cir" <<'PY'
import sys
n, v, c = 64, 1.2, 32
L = ["one V/2 write pulse on the tune_64x64 array",
     ".model m memristor (level=cubic temp=27)",
     ".crossbar xb rows=64 cols=64 model=m rrow=0.1 rcol=0.1 g=20u"]
for i in range(n):
    L.append(f"vr{i} r{i} 0 {v if i == c else v / 2}")
    L.append(f"rr{i} r{i} xb.w{i} 1")
for j in range(n):
    L.append(f"vc{j} c{j} 0 {0 if j == c else v / 2}")
    L.append(f"rc{j} c{j} xb.s{j} 1")
L += [".op", ".end"]
open(sys.argv[1], "w").write("\n".join(L) + "\n")
PY
  NG=$(ngspice_one_op "$WORK/bias.cir")
  RATIO=$(python3 -c "print(f'{$NG / ($SECS / $SOLVES):.0f}x')")
  NG="$NG s"
fi
echo "| netlist | wall (s) | peak RSS (MB) | pulses | reads | solves | ms per solve | ngspice per solve | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| $NETLIST | $SECS | $((KB / 1024)) | $PULSES | $READS | $SOLVES | $PER | $NG | $RATIO |"
