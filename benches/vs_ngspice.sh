#!/usr/bin/env bash
# vs_ngspice.sh — time xbarsim against ngspice on generated N×N crossbars.
#
# For every size in $SIZES and law in $LAWS this script
#   1. generates xbar_<law>_<N>x<N>.cir / .ng.cir with examples/gen_crossbar.rs
#      (row lines and column lines of r_line 2.5 Ω per link, devices 10–100 µS,
#      all rows driven at 0.25 V through 10 Ω, columns sensed through 10 Ω into
#      0 V sources vs<j>; see the example's header for the exact circuit);
#   2. runs `xbarsim run X.cir -o OUTDIR` and `$NGSPICE -b X.ng.cir`, each under
#      `/usr/bin/time -f '%e %M'` (end-to-end wall clock, peak RSS);
#   3. when both ran, compares the column source currents i(vs<j>) from
#      OUTDIR/op.csv with ngspice's ASCII raw file (max relative difference,
#      per column, |x - n| / |n|);
# and prints one markdown table row per case (progress goes to stderr).
#
# Usage (from anywhere; the repository root is this script's parent directory):
#   benches/vs_ngspice.sh
#   SIZES="64 128" LAWS=sinh NGSPICE_TIMEOUT=60 benches/vs_ngspice.sh
#   NGSPICE=$(benches/ngspice44.sh) NGSPICE_OPTIONS=klu benches/vs_ngspice.sh
#
# Environment:
#   SIZES            sizes N (N×N arrays)            default "64 128 256 512 1024"
#   LAWS             device laws                     default "linear sinh"
#   NGSPICE_TIMEOUT  seconds per ngspice run; once a law times out at one size,
#                    ngspice is skipped for that law at larger sizes (default 300)
#   XBARSIM_TIMEOUT  seconds per xbarsim run, 0 = unlimited           (default 0)
#   REPEAT, REPEAT_BELOW  runs shorter than REPEAT_BELOW s (default 5) are
#                    repeated up to REPEAT times (default 3), for both tools;
#                    the median time is reported
#   GEN_ARGS         extra generator flags, e.g. "--seed 7 --rline 1"  (default "")
#   SKIP_XBARSIM=1   do not build or run xbarsim (ngspice half only)
#   SKIP_NGSPICE=1   do not run ngspice even if it is on PATH
#   NGSPICE          the ngspice to run: a name on PATH or a path  (default ngspice);
#                    benches/ngspice44.sh prints a wrapper for Debian trixie's
#                    ngspice 44.2 (with KLU) that runs on Debian 12
#   NGSPICE_OPTIONS  if set, the line `.options $NGSPICE_OPTIONS` is added to each
#                    generated .ng.cir before ngspice runs it, e.g. "klu" or
#                    "sparse" (the generator already writes `.options klu`; a
#                    later `.options sparse` overrides it in ngspice 44)
#                    (default: none). The solver ngspice reports ("Using KLU as
#                    Direct Linear Solver", ngspice >= 41) is listed after the table.
#   XBARSIM_BIN      use this xbarsim binary instead of `cargo build --release`
#   GEN_BIN          use this generator binary instead of building the example
#   WORKDIR          where netlists/outputs go (default: a fresh mktemp -d,
#                    removed at exit unless KEEP=1)
#   KEEP=1           keep WORKDIR (netlists, logs, outputs)
#
# "unknowns" is the number of node voltages left after the grounded sources are
# eliminated: 2·N·M crosspoint nodes + N row-west nodes + M column-south nodes.
#
# Requirements: cargo (unless XBARSIM_BIN and GEN_BIN are given), GNU time at
# /usr/bin/time (Debian package `time`), coreutils `timeout`, python3 (result
# comparison, std library only), optionally ngspice (Debian package `ngspice`;
# Debian 12 ships ngspice 39 without KLU, ngspice >= 41 honours `.options klu`;
# benches/ngspice44.sh provides ngspice 44.2 with KLU on Debian 12).
set -euo pipefail

die() { echo "vs_ngspice.sh: error: $*" >&2; exit 1; }
log() { echo "[vs_ngspice] $*" >&2; }

SIZES=${SIZES:-"64 128 256 512 1024"}
LAWS=${LAWS:-"linear sinh"}
NGSPICE_TIMEOUT=${NGSPICE_TIMEOUT:-300}
XBARSIM_TIMEOUT=${XBARSIM_TIMEOUT:-0}
REPEAT=${REPEAT:-3}
REPEAT_BELOW=${REPEAT_BELOW:-5}
GEN_ARGS=${GEN_ARGS:-}
SKIP_XBARSIM=${SKIP_XBARSIM:-0}
SKIP_NGSPICE=${SKIP_NGSPICE:-0}
NGSPICE=${NGSPICE:-ngspice}
NGSPICE_OPTIONS=${NGSPICE_OPTIONS:-}
KEEP=${KEEP:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

# ---------------------------------------------------------------- checks ---
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found: apt-get install -y time"
command -v timeout >/dev/null || die "coreutils 'timeout' not found"
command -v python3 >/dev/null || die "python3 not found (needed to compare results)"
for n in $SIZES; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "bad size '$n' in SIZES"; done
for l in $LAWS; do [[ $l == linear || $l == sinh ]] || die "bad law '$l' in LAWS (linear|sinh)"; done
[[ $NGSPICE_TIMEOUT =~ ^[0-9]+$ ]] || die "NGSPICE_TIMEOUT must be whole seconds"
[[ $XBARSIM_TIMEOUT =~ ^[0-9]+$ ]] || die "XBARSIM_TIMEOUT must be whole seconds"
[[ $NGSPICE_OPTIONS != *[$'\n'\#]* ]] || die "NGSPICE_OPTIONS must be one line without '#'"

HAVE_NG=0
NG_VERSION="(not run)"
if [[ $SKIP_NGSPICE == 1 ]]; then
    log "SKIP_NGSPICE=1: ngspice half skipped"
elif command -v "$NGSPICE" >/dev/null; then
    HAVE_NG=1
    # ngspice runs inside each case's directory: make a relative path absolute.
    if [[ $NGSPICE == */* && $NGSPICE != /* ]]; then NGSPICE=$PWD/$NGSPICE; fi
    NG_BANNER=$("$NGSPICE" --version 2>&1 || true)
    log "ngspice: $(command -v "$NGSPICE"); \`$NGSPICE --version\` says:"
    grep -E 'ngspice-|Compiled with|Creation Date' <<<"$NG_BANNER" | sed 's/^\*\* */    /' >&2 \
        || head -n 5 <<<"$NG_BANNER" >&2
    NG_VERSION=$(grep -o 'ngspice-[^ ]*' <<<"$NG_BANNER" | head -n1 || true)
    [[ -n $NG_VERSION ]] || NG_VERSION="ngspice (unknown version)"
    if grep -q 'Compiled with KLU' <<<"$NG_BANNER"; then NG_VERSION+=" (compiled with KLU)"; fi
    if [[ -n $NGSPICE_OPTIONS ]]; then
        NG_VERSION+=" with '.options $NGSPICE_OPTIONS' added"
        log "adding '.options $NGSPICE_OPTIONS' to every .ng.cir"
    fi
else
    log "'$NGSPICE' not found: ngspice columns skipped (apt-get install -y ngspice," \
        "or NGSPICE=\$(benches/ngspice44.sh))"
fi

# ---------------------------------------------------------------- builds ---
if [[ -n ${GEN_BIN:-} ]]; then
    [[ -x $GEN_BIN ]] || die "GEN_BIN=$GEN_BIN is not executable"
else
    log "building the generator: cargo build --release --example gen_crossbar"
    (cd "$ROOT" && cargo build --release --example gen_crossbar >&2) \
        || die "cargo build --release --example gen_crossbar failed"
    GEN_BIN=$TARGET_DIR/release/examples/gen_crossbar
fi
if [[ $SKIP_XBARSIM == 1 ]]; then
    log "SKIP_XBARSIM=1: xbarsim half skipped"
    XBARSIM_BIN=""
elif [[ -n ${XBARSIM_BIN:-} ]]; then
    [[ -x $XBARSIM_BIN ]] || die "XBARSIM_BIN=$XBARSIM_BIN is not executable"
else
    log "building xbarsim: cargo build --release"
    (cd "$ROOT" && cargo build --release >&2) || die "cargo build --release failed"
    XBARSIM_BIN=$TARGET_DIR/release/xbarsim
    [[ -x $XBARSIM_BIN ]] || die "$XBARSIM_BIN missing after the build"
fi
[[ -n $XBARSIM_BIN || $HAVE_NG == 1 ]] || die "nothing to run (no xbarsim and no ngspice)"

if [[ -n ${WORKDIR:-} ]]; then
    mkdir -p "$WORKDIR"
else
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/vs_ngspice.XXXXXX")
    if [[ $KEEP != 1 ]]; then trap 'rm -rf "$WORKDIR"' EXIT; fi
fi
WORKDIR=$(cd "$WORKDIR" && pwd)
log "work directory: $WORKDIR$([[ $KEEP == 1 ]] && echo ' (kept)')"

# ------------------------------------------------------------- helpers ---
# timed OUT_PREFIX LIMIT CMD... : runs CMD under timeout+GNU time; stdout and
# stderr go to OUT_PREFIX.log; sets T_SEC, T_MB, T_RC (124 = timed out).
# A run shorter than REPEAT_BELOW seconds is repeated until REPEAT runs were
# made, for either tool alike, and T_SEC is their median (T_MB their maximum):
# single short runs are dominated by cold caches.
timed() {
    local pre=$1 limit=$2; shift 2
    local tf=$pre.time times=() mbs=() k
    for ((k = 0; k < REPEAT; k++)); do
        set +e
        /usr/bin/time -f '%e %M' -o "$tf" timeout --kill-after=10 "$limit" "$@" >"$pre.log" 2>&1
        T_RC=$?
        set -e
        local last
        last=$(tail -n1 "$tf" 2>/dev/null || true)
        if [[ $last =~ ^([0-9.]+)\ ([0-9]+)$ ]]; then
            times+=("${BASH_REMATCH[1]}")
            mbs+=("${BASH_REMATCH[2]}")
        else
            T_SEC="?"; T_MB="?"
            return
        fi
        [[ $T_RC == 0 ]] || break
        awk -v t="${BASH_REMATCH[1]}" -v b="$REPEAT_BELOW" 'BEGIN { exit !(t < b) }' || break
    done
    T_SEC=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    T_MB=$(printf '%s\n' "${mbs[@]}" | sort -g | tail -n1 | awk '{ printf "%.0f", $1 / 1024 }')
    T_RUNS=${#times[@]}
}

# compare OP_CSV NG_RAW : prints the max relative difference of i(vs*).
compare() {
    python3 - "$1" "$2" <<'PY'
import sys, csv, math

def fail(msg):
    print(f"compare: {msg}", file=sys.stderr); sys.exit(1)

def norm(name):
    n = name.strip().lower()
    if n.endswith("#branch"):          # ngspice's internal vector name
        n = f"i({n[:-7]})"
    return n

xs = {}
with open(sys.argv[1], newline="") as f:
    rows = csv.reader(f)
    head = next(rows, None)
    if head is None or [h.strip().lower() for h in head[:2]] != ["quantity", "value"]:
        fail(f"{sys.argv[1]}: expected header 'quantity,value', got {head}")
    for r in rows:
        if len(r) >= 2 and norm(r[0]).startswith("i(vs"):
            xs[norm(r[0])] = float(r[1])

names, vals, state = [], [], None
with open(sys.argv[2]) as f:
    for line in f:
        s = line.strip()
        if s == "Variables:": state = "vars"; continue
        if s == "Values:": state = "vals"; continue
        if state == "vars" and s:
            parts = s.split()
            names.append(norm(parts[1]))
        elif state == "vals" and s:
            parts = s.split()
            vals.append(float(parts[-1]))    # first line is "<point> <value>"
if not names or len(vals) < len(names):
    fail(f"{sys.argv[2]}: could not read {len(names)} values from the raw file")
ng = dict(zip(names, vals))
ng = {k: v for k, v in ng.items() if k.startswith("i(vs")}

missing = sorted(set(ng) - set(xs))
if missing:
    fail(f"{sys.argv[1]} lacks {len(missing)} column currents, e.g. {missing[:3]}")
big = max(abs(v) for v in ng.values())
worst = 0.0
for k, n in ng.items():
    worst = max(worst, abs(xs[k] - n) / max(abs(n), 1e-12 * big, 1e-300))
print(f"{worst:.2e}")
PY
}

# ------------------------------------------------------------ main loop ---
declare -A NG_SKIP=()   # law -> size at which ngspice timed out
declare -A NG_SOLVER=() # solver line ngspice printed -> cases
echo
echo "ngspice: $NG_VERSION; xbarsim: ${XBARSIM_BIN:-(not run)}; host: $(nproc) cores;" \
     "generator flags: ${GEN_ARGS:-(defaults)}"
echo
echo "| size | law | unknowns | xbarsim s | xbarsim MB | ngspice s | ngspice MB | ngspice/xbarsim | max rel diff i(vs) |"
echo "|---|---|---|---|---|---|---|---|---|"

for n in $SIZES; do
    for law in $LAWS; do
        stem="xbar_${law}_${n}x${n}"
        dir="$WORKDIR/$stem"
        mkdir -p "$dir"
        log "$stem: generating"
        # shellcheck disable=SC2086  # GEN_ARGS is a list of flags
        "$GEN_BIN" --rows "$n" --cols "$n" --law "$law" --out "$dir" $GEN_ARGS >/dev/null \
            || die "generator failed for $stem"
        unknowns=$(( 2 * n * n + 2 * n ))

        xs="-"; xmb="-"; ns="-"; nmb="-"; ratio="-"; diff="-"
        x_ok=0; n_ok=0

        if [[ -n $XBARSIM_BIN ]]; then
            log "$stem: xbarsim"
            timed "$dir/xbarsim" "$XBARSIM_TIMEOUT" "$XBARSIM_BIN" run "$dir/$stem.cir" -o "$dir/out"
            xs=$T_SEC; xmb=$T_MB
            if [[ $T_RC == 124 || $T_RC == 137 ]]; then
                xs="> $XBARSIM_TIMEOUT (timeout)"
                [[ $xmb == "?" ]] || xmb=">= $xmb"
            elif [[ $T_RC != 0 ]]; then
                log "$stem: xbarsim failed (exit $T_RC); last lines of $dir/xbarsim.log:"
                tail -n 5 "$dir/xbarsim.log" >&2 || true
                xs="fail ($T_RC)"
            elif [[ ! -s $dir/out/op.csv ]]; then
                log "$stem: xbarsim wrote no $dir/out/op.csv"
                xs="$xs (no op.csv)"
            else
                x_ok=1
            fi
        fi

        if [[ $HAVE_NG == 1 ]]; then
            if [[ -n ${NG_SKIP[$law]:-} ]]; then
                ns="skipped (> ${NGSPICE_TIMEOUT} s at ${NG_SKIP[$law]})"
            else
                log "$stem: ngspice (limit ${NGSPICE_TIMEOUT} s)"
                rm -f "$dir/$stem.ng.raw"
                if [[ -n $NGSPICE_OPTIONS ]]; then
                    # One options line before the control block (or before .end).
                    awk -v o=".options $NGSPICE_OPTIONS" '
                        !done && (tolower($0) ~ /^\.control/ || tolower($0) ~ /^\.end[ \t]*$/) {
                            print o; done = 1 }
                        { print }
                        END { if (!done) print o }' "$dir/$stem.ng.cir" >"$dir/$stem.ng.cir.tmp"
                    mv "$dir/$stem.ng.cir.tmp" "$dir/$stem.ng.cir"
                fi
                # The .ng.cir writes its raw file relative to the working directory.
                (cd "$dir" && timed "$dir/ngspice" "$NGSPICE_TIMEOUT" "$NGSPICE" -b "$stem.ng.cir"
                 echo "$T_SEC $T_MB $T_RC" >"$dir/ngspice.result")
                read -r ns nmb rc <"$dir/ngspice.result"
                solver=$(grep -m1 -o 'Using .* as Direct Linear Solver' "$dir/ngspice.log" || true)
                solver=${solver:-"(no solver line printed)"}
                log "$stem: ngspice: $solver"
                NG_SOLVER[$solver]+="${NG_SOLVER[$solver]:+, }$n/$law"
                if [[ $rc == 124 || $rc == 137 ]]; then
                    ns="> $NGSPICE_TIMEOUT (timeout)"
                    [[ $nmb == "?" ]] || nmb=">= $nmb"
                    NG_SKIP[$law]=$n
                elif [[ $rc != 0 || ! -s $dir/$stem.ng.raw ]] ||
                     grep -qiE 'no convergence|singular matrix|simulation\(s\) aborted' "$dir/ngspice.log"; then
                    log "$stem: ngspice failed (exit $rc); last lines of $dir/ngspice.log:"
                    tail -n 5 "$dir/ngspice.log" >&2 || true
                    ns="fail ($rc)"
                else
                    n_ok=1
                fi
            fi
        fi

        if [[ $x_ok == 1 && $n_ok == 1 ]]; then
            ratio=$(awk -v a="$ns" -v b="$xs" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
            diff=$(compare "$dir/out/op.csv" "$dir/$stem.ng.raw") || diff="compare failed"
        elif [[ $x_ok == 1 && $ns == ">"* ]]; then
            ratio=$(awk -v a="$NGSPICE_TIMEOUT" -v b="$xs" 'BEGIN { if (b > 0) printf "> %.1f", a / b; else print "-" }')
        fi

        echo "| ${n}x${n} | $law | $unknowns | $xs | $xmb | $ns | $nmb | $ratio | $diff |"

        # Netlists reach ~170 MB each at 1024x1024: drop them unless asked to keep.
        if [[ $KEEP != 1 ]]; then rm -f "$dir/$stem.cir" "$dir/$stem.ng.cir"; fi
    done
done

if [[ $HAVE_NG == 1 && ${#NG_SOLVER[@]} -gt 0 ]]; then
    echo
    for k in "${!NG_SOLVER[@]}"; do
        echo "ngspice solver: $k: ${NG_SOLVER[$k]}"
    done
    [[ -z ${NG_SOLVER["(no solver line printed)"]:-} ]] ||
        echo "(ngspice before 41 prints no solver line and always uses Sparse 1.3)"
fi
