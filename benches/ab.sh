#!/usr/bin/env bash
# ab.sh — compare two builds of xbarsim side by side on this noisy machine.
#
# Both binaries run at the same time, each pinned to its own core
# (`taskset`) and to one thread (RAYON_NUM_THREADS=1), so both see the same
# machine state; the cores swap between repeats, so neither build keeps the
# faster core. Two workloads:
#   program  netlists/tune_64x64.cir, `.program` (the benches/program.sh
#            experiment): wall seconds per run;
#   card     a 256x256 `.crossbar` of sinh devices with drivers and sense,
#            one `.op` (the benches/card_vs_ngspice.sh circuit): wall seconds.
# Prints per workload the runs of each build, their medians and the ratio
# new/old (1.00 = same speed).
#
# Usage (repository root = this script's parent directory):
#   OLD=/tmp/base/xbarsim NEW=target/release/xbarsim benches/ab.sh
#   WORKLOADS=card REPEAT=9 OLD=... NEW=... benches/ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
: "${OLD:?set OLD to the old binary}" "${NEW:?set NEW to the new binary}"
OLD=$(readlink -f "$OLD"); NEW=$(readlink -f "$NEW")
WORKLOADS=${WORKLOADS:-"card program"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
machine ab
python3 benches/card_net.py "$WORK/card.cir" 256
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# one timed run: core, binary, netlist, tag
timed() {
  local core=$1 bin=$2 net=$3 tag=$4
  RAYON_NUM_THREADS=1 /usr/bin/time -f '%e' -o "$WORK/$tag.t" \
    taskset -c "$core" "$bin" run -q "$net" -o "$WORK/$tag.out" >/dev/null 2>&1
  cat "$WORK/$tag.t"
}
for w in $WORKLOADS; do
  case $w in
    card) net="$WORK/card.cir"; rep=${REPEAT:-7} ;;
    program) net=netlists/tune_64x64.cir; rep=${REPEAT_PROGRAM:-2} ;;
    *) echo "unknown workload $w" >&2; exit 2 ;;
  esac
  : > "$WORK/old.$w"; : > "$WORK/new.$w"
  for k in $(seq "$rep"); do
    if (( k % 2 )); then co=0; cn=1; else co=1; cn=0; fi
    timed "$co" "$OLD" "$net" "old$w$k" >> "$WORK/old.$w" &
    timed "$cn" "$NEW" "$net" "new$w$k" >> "$WORK/new.$w" &
    wait
  done
  mo=$(median < "$WORK/old.$w"); mn=$(median < "$WORK/new.$w")
  echo "$w: old $(paste -sd' ' "$WORK/old.$w") s (median $mo); new $(paste -sd' ' "$WORK/new.$w") s (median $mn); new/old $(python3 -c "print(f'{$mn / $mo:.3f}')")"
done
