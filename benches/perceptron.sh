#!/usr/bin/env bash
# perceptron.sh — time the paper's perceptron experiment end to end.
#
# Runs `xbarsim run netlists/perceptron_digits.cir -o DIR` $REPEAT times
# (default 5) and prints the wall-clock time of each run, their median, and
# the analysis's own split (training, import, circuit solve of all test
# images) from DIR/perceptron.json of the median run. The netlist trains the
# 64x10 perceptron on the 4000 training images of data/mnist_8x8.csv, imports
# it into a 64x10 crossbar of Nili 2020 cubic devices with 2.5 ohm per line
# segment at 1 % import error, and solves the whole circuit for each of the
# 1000 test images. Target: under 5 s on the project's 2-core machine.
#
# Usage (from anywhere): benches/perceptron.sh
# Environment: REPEAT (default 5), XBARSIM_BIN (default: cargo build --release),
#              NETLIST (default netlists/perceptron_digits.cir)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
REPEAT="${REPEAT:-5}"
NETLIST="${NETLIST:-netlists/perceptron_digits.cir}"
if [[ -z "${XBARSIM_BIN:-}" ]]; then
    cargo build --release --quiet
    XBARSIM_BIN="${CARGO_TARGET_DIR:-$root/target}/release/xbarsim"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) core(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "netlist: $NETLIST"
times=()
for k in $(seq 1 "$REPEAT"); do
    t0=$(date +%s%N)
    "$XBARSIM_BIN" run -q "$NETLIST" -o "$work/run$k"
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    times+=("$ms $k")
    printf 'run %d: %d.%03d s\n' "$k" $((ms / 1000)) $((ms % 1000))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (REPEAT + 1) / 2 ))p")
mt=${median% *}
mk=${median#* }
printf 'median: %d.%03d s (run %d)\n' $((mt / 1000)) $((mt % 1000)) "$mk"
python3 - "$work/run$mk/perceptron.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["seconds"]
print("analysis: total %.3f s = train %.3f s + import %.4f s + circuit %.3f s (%d test images, %d Newton/chord iterations)"
      % (s["total"], s["train"], s["import"], s["circuit"], j["n_test"], j["iterations"]))
print("accuracy: software %.2f %%, ideal %.2f %%, circuit %.2f %%"
      % (100 * j["software_accuracy"], 100 * j["ideal_accuracy"], 100 * j["circuit_accuracy"]))
PY
