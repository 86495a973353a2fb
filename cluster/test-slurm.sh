#!/usr/bin/env bash
# test-slurm.sh: end-to-end test of the Slurm recipe on a one-node cluster.
#
# Why: sharding a study over a job array and merging it must give what one
# `xbarsim run` gives. This runs netlists/study_read_margin.cir (16 points)
# through cluster/slurm-study.sh (SHARDS array tasks, then the merge job) on
# a local Slurm started by cluster/local-slurm.sh, runs the same netlist in
# one process, and compares: steps.csv without its `seconds` column
# (wall-clock time), the other top-level files (plots) byte for byte, every
# point folder's files byte for byte, and point.json without its times.
#
# Usage: cluster/test-slurm.sh            (as root: it may apt-get install)
#   XBARSIM_BIN=path   test this binary instead of building one
#                      (default: cargo build --release, $CARGO_TARGET_DIR aware)
#   SHARDS=n           array tasks (default 4)
#   KEEP=1             keep the work folder even on success
# Prints PASS or FAIL with what was compared; exits non-zero on any failure.
# The cluster is stopped at the end if this script started it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
netlist=netlists/study_read_margin.cir
shards=${SHARDS:-4}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_all=$(now)

if [[ -z ${XBARSIM_BIN:-} ]]; then
    echo "== cargo build --release"
    cargo build --release --quiet
    XBARSIM_BIN=${CARGO_TARGET_DIR:-$repo/target}/release/xbarsim
fi
XBARSIM_BIN=$(realpath "$XBARSIM_BIN")
export XBARSIM_BIN

work=$(mktemp -d "${TMPDIR:-/tmp}/xbarsim-slurm-test.XXXXXX")
started=0
status=1
# shellcheck disable=SC2317  # (run by the trap)
cleanup() {
    if [[ $status != 0 ]]; then
        echo "FAIL: Slurm shards + merge vs one process ($netlist); see above"
    fi
    if ((started)); then
        echo "== cluster/local-slurm.sh stop"
        cluster/local-slurm.sh stop || true
    fi
    if [[ $status == 0 && ${KEEP:-0} != 1 ]]; then
        rm -rf "$work"
    else
        echo "(work folder kept: $work)"
    fi
}
trap cleanup EXIT

echo "== cluster/local-slurm.sh start"
t=$(now)
if ! cluster/local-slurm.sh status >/dev/null 2>&1; then
    started=1
fi
cluster/local-slurm.sh start
t_start=$(since "$t")

echo "== cluster/slurm-study.sh --wait $netlist OUT $shards"
t=$(now)
cluster/slurm-study.sh --wait --timeout 600 "$netlist" "$work/slurm" "$shards"
t_slurm=$(since "$t")

echo "== xbarsim run $netlist (one process)"
t=$(now)
# By its absolute path, as slurm-study.sh passes it (the inputs digest covers
# contents only, but point.json and manifest.json name the path as given).
"$XBARSIM_BIN" run "$repo/$netlist" -o "$work/single" -q
t_single=$(since "$t")

echo "== compare"
if python3 - "$work/single" "$work/slurm" <<'EOF'
import csv, json, os, re, sys

single, slurm = sys.argv[1], sys.argv[2]
failures = []

def fail(msg):
    failures.append(msg)
    print("  differs: " + msg)

def plain_files(d):
    return sorted(n for n in os.listdir(d)
                  if not n.startswith(".") and os.path.isfile(os.path.join(d, n)))

def subdirs(d):
    return sorted(n for n in os.listdir(d)
                  if not n.startswith(".") and os.path.isdir(os.path.join(d, n)))

def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()

# steps.csv, without the wall-clock `seconds` column.
def table(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or "seconds" not in rows[0]:
        fail(f"{path}: no header with a seconds column")
        return [], []
    i = rows[0].index("seconds")
    return rows[0], [r[:i] + r[i + 1:] for r in rows]

h1, t1 = table(os.path.join(single, "steps.csv"))
h2, t2 = table(os.path.join(slurm, "steps.csv"))
if h1 != h2:
    fail(f"steps.csv headers: {h1} vs {h2}")
elif t1 != t2:
    bad = [r1[0] for r1, r2 in zip(t1, t2) if r1 != r2]
    fail(f"steps.csv rows: {len(t1) - 1} vs {len(t2) - 1}; differing: {bad[:8]}")
rows, cols = len(t1) - 1, len(h1)

# The other top-level files (the plots): byte for byte. In the merged folder
# only the shard manifests may come on top.
top1, top2 = plain_files(single), plain_files(slurm)
extra = [n for n in top2 if n not in top1 and not re.fullmatch(r"shard_\d+_of_\d+\.json", n)]
if extra:
    fail(f"top-level files only in the merged folder: {extra}")
top_equal = 0
for n in top1:
    if n == "steps.csv":
        continue
    if n == "manifest.json":
        # Each run's own: command, times, outputs (the shard manifests on top).
        if n not in top2:
            fail(f"{n} missing in the merged folder")
        continue
    if n not in top2:
        fail(f"{n} missing in the merged folder")
    elif not same_bytes(os.path.join(single, n), os.path.join(slurm, n)):
        fail(f"{n} not byte-equal")
    else:
        top_equal += 1

# Point folders: same set, same files; point.json without its times.
def untimed(path):
    with open(path) as f:
        j = json.load(f)
    j.pop("finished_ms", None)
    if isinstance(j.get("point"), dict):
        j["point"].pop("seconds", None)
    return j

p1 = [d for d in subdirs(single) if d.startswith("point_")]
p2 = [d for d in subdirs(slurm) if d.startswith("point_")]
if p1 != p2:
    fail(f"point folders: {len(p1)} vs {len(p2)}: only single {sorted(set(p1) - set(p2))}, only merged {sorted(set(p2) - set(p1))}")
files_equal = json_equal = 0
for d in p1:
    if d not in p2:
        continue
    a, b = os.path.join(single, d), os.path.join(slurm, d)
    fa, fb = plain_files(a), plain_files(b)
    if fa != fb:
        fail(f"{d}: files {fa} vs {fb}")
    for n in fa:
        if n not in fb:
            continue
        if n == "point.json":
            if untimed(os.path.join(a, n)) == untimed(os.path.join(b, n)):
                json_equal += 1
            else:
                fail(f"{d}/point.json differs beyond its times")
        elif same_bytes(os.path.join(a, n), os.path.join(b, n)):
            files_equal += 1
        else:
            fail(f"{d}/{n} not byte-equal")

print(f"  steps.csv: {rows} rows x {cols} columns compared without 'seconds'")
print(f"  top-level files byte-equal: {top_equal} (plots)")
print(f"  point folders: {len(p1)}; files byte-equal: {files_equal}; point.json equal without times: {json_equal}")
if not rows or not p1:
    fail("nothing to compare (empty study?)")
sys.exit(1 if failures else 0)
EOF
then
    status=0
fi
echo "times: cluster start ${t_start} s, Slurm study ${t_slurm} s, single run ${t_single} s, whole test $(since "$t_all") s"
if [[ $status == 0 ]]; then
    echo "PASS: $shards Slurm shards + merge == one process ($netlist)"
fi
exit "$status"
