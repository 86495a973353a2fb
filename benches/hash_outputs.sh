#!/usr/bin/env bash
# hash_outputs.sh — run every shipped netlist in netlists/ and print one
# sha256 per output file, so two builds can be shown to give bit-identical
# results (refactors must not change a number).
#
#   benches/hash_outputs.sh > before.txt      # with the old build
#   XBARSIM_BIN=/tmp/new/xbarsim benches/hash_outputs.sh > after.txt
#   diff before.txt after.txt                 # empty: identical
#
# Every file is hashed byte for byte (CSV, PNG, SPICE text), except for the
# wall-clock times, which differ between any two runs: the "seconds" fields
# of JSON files and the "seconds" column of CSV files are removed before
# hashing; everything else in them is hashed as is. The last line hashes the
# whole listing. Each run's manifest.json (its command line, start time and
# input paths) is left out. Runs every netlist once (the long ones included:
# tune_64x64 and thresholds_64x64 take minutes). KEEP=<dir> keeps the
# outputs there; NETLISTS="a.cir b.cir" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${XBARSIM_BIN:-}" ]; then
  cargo build --release -q
  XBARSIM_BIN=target/release/xbarsim
fi
if [ -n "${KEEP:-}" ]; then
  WORK=$KEEP
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
for net in ${NETLISTS:-netlists/*.cir}; do
  name=$(basename "$net" .cir)
  start=$(date +%s)
  if ! "$XBARSIM_BIN" run -q "$net" -o "$WORK/$name" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"; then
    echo "$name: run failed (exit $?)" >&2
    cat "$WORK/$name.stderr" >&2
    echo "$name FAILED"
    continue
  fi
  echo "[hash] $name: $(( $(date +%s) - start )) s" >&2
done
python3 - "$WORK" <<'PY'
import csv, hashlib, io, json, os, sys
root = sys.argv[1]

def strip_csv(data):
    rows = list(csv.reader(io.StringIO(data.decode())))
    if not rows or "seconds" not in rows[0]:
        return data
    k = rows[0].index("seconds")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for r in rows:
        w.writerow(r[:k] + r[k + 1:])
    return out.getvalue().encode()

def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k != "seconds"}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x

lines = []
for d in sorted(os.listdir(root)):
    p = os.path.join(root, d)
    if not os.path.isdir(p):
        continue
    for dirpath, _, files in sorted(os.walk(p)):
        for f in sorted(files):
            # manifest.json records the run itself (command, start time,
            # paths), which differs between any two runs by design.
            if f.startswith(".xbarsim") or f == "manifest.json":
                continue
            full = os.path.join(dirpath, f)
            data = open(full, "rb").read()
            if f.endswith(".json"):
                data = json.dumps(strip(json.loads(data)), sort_keys=True).encode()
            elif f.endswith(".csv"):
                data = strip_csv(data)
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {os.path.relpath(full, root)}")
for l in lines:
    print(l)
print(f"{hashlib.sha256(chr(10).join(lines).encode()).hexdigest()}  ALL ({len(lines)} files)")
PY
