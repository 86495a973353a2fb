#!/usr/bin/env bash
# slurm-study.sh: run one `.step` study as a Slurm job array, then merge it.
#
# Why: a study's points are independent, so SHARDS array tasks each run the
# points k with k % SHARDS == i (`xbarsim run --shard i/SHARDS`) into one OUT
# folder, and a last job (`xbarsim merge OUT -o OUT`), started once every
# task has ended, writes OUT/steps.csv and its plots as a single
# `xbarsim run NETLIST -o OUT` would. The merge runs after failed tasks too
# (Slurm's afterany): a shard whose points failed still wrote its manifest,
# and the table lists the failed points, as a single run's does (merge exits
# 1); a shard that wrote no manifest (killed, crashed) makes merge exit 2,
# naming it (rerun it alone with --resume, then merge again).
#
# Usage: cluster/slurm-study.sh [OPTIONS] NETLIST OUT SHARDS [XBARSIM_RUN_ARGS...]
#   --wait        wait for the merge job; exit with its exit code (the
#                 shards that did not complete and the ends of their logs are
#                 printed)
#   --timeout S   with --wait: cancel both jobs and exit 124 after S seconds
#   --cpus N      CPUs of each array task (sbatch --cpus-per-task, and
#                 xbarsim --threads unless XBARSIM_RUN_ARGS has --threads);
#                 default 1
#   --logs DIR    the jobs' Slurm logs (default OUT/slurm-logs)
# XBARSIM_RUN_ARGS go to every `xbarsim run` (e.g. --max-memory 4G).
# XBARSIM_BIN chooses the binary (default: target/release/xbarsim of this
# repository, or $CARGO_TARGET_DIR/release/xbarsim).
# Partition, account, time limit...: Slurm's own SBATCH_PARTITION,
# SBATCH_ACCOUNT, SBATCH_TIMELIMIT etc. in the environment apply to both jobs.
#
# On a multi-node cluster, the binary, NETLIST (with its includes and data
# files) and OUT must be on a filesystem shared by the submitting host and
# every compute node, at the same paths: the tasks write into OUT directly.
# Prints the two job ids. OUT should be a fresh folder, or hold an earlier run
# with the same SHARDS (refused if it holds shard manifests of another SHARDS).
set -euo pipefail

say() { echo "slurm-study: $*"; }
die() {
    echo "slurm-study: error: $*" >&2
    exit 2
}
usage() {
    sed -n '/^# Usage:/,/^# XBARSIM_RUN_ARGS/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

wait_merge=0
timeout=0
cpus=1
logs=
while (($#)); do
    case $1 in
    --wait) wait_merge=1 ;;
    --timeout)
        (($# >= 2)) || usage
        timeout=$2
        shift
        ;;
    --cpus)
        (($# >= 2)) || usage
        cpus=$2
        shift
        ;;
    --logs)
        (($# >= 2)) || usage
        logs=$2
        shift
        ;;
    -h | --help) usage ;;
    --)
        shift
        break
        ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
    esac
    shift
done
(($# >= 3)) || usage
netlist=$1
out=$2
shards=$3
shift 3
extra=("$@")

[[ $shards =~ ^[1-9][0-9]*$ ]] || die "SHARDS must be a positive integer, not '$shards'"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive integer, not '$cpus'"
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds, not '$timeout'"
[[ -f $netlist ]] || die "no netlist $netlist"
command -v sbatch >/dev/null 2>&1 || die "sbatch not found (is this a Slurm submit host?)"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${XBARSIM_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/xbarsim}
[[ -x $bin ]] || die "no xbarsim binary at $bin (build it, or set XBARSIM_BIN)"
bin=$(realpath "$bin")
"$bin" run --help 2>/dev/null | grep -q -- '--shard' ||
    die "$bin has no 'run --shard' (too old an xbarsim?)"
netlist=$(realpath "$netlist")
mkdir -p "$out"
out=$(realpath "$out")
# Manifests of another N in OUT would make a second complete study there for
# `xbarsim merge OUT`, which then refuses to choose: say so now.
others=()
for f in "$out"/shard_*_of_*.json; do
    [[ -e $f && $f != *_of_"$shards".json ]] && others+=("${f##*/}")
done
((${#others[@]} == 0)) ||
    die "$out holds shards of another splitting (${others[*]}); use a fresh OUT, or delete them"
logs=${logs:-$out/slurm-logs}
mkdir -p "$logs"
logs=$(realpath "$logs")

threads=(--threads "$cpus")
for a in "${extra[@]}"; do
    [[ $a == --threads || $a == --threads=* ]] && threads=()
done
name=xbarsim-$(basename "$netlist" .cir)

# The array task: shard $SLURM_ARRAY_TASK_ID of $shards. Values are quoted
# with %q here, on the submitting host; bash runs the script on the node.
run_cmd=$(printf '%q ' "$bin" run "$netlist" -o "$out" -q "${threads[@]}" "${extra[@]}")
array_id=$(
    sbatch --parsable --job-name="$name" --array="0-$((shards - 1))" \
        --cpus-per-task="$cpus" --output="$logs/shard-%a-of-$shards.%A.out" <<EOF
#!/bin/bash
exec $run_cmd --shard "\${SLURM_ARRAY_TASK_ID}/$shards"
EOF
)
array_id=${array_id%%;*}
say "array job $array_id: $shards tasks, xbarsim run --shard i/$shards of $netlist into $out"

merge_cmd=$(printf '%q ' "$bin" merge "$out" -o "$out")
merge_id=$(
    sbatch --parsable --job-name="$name-merge" \
        --dependency="afterany:$array_id" --kill-on-invalid-dep=yes \
        --output="$logs/merge.%j.out" <<EOF
#!/bin/bash
exec $merge_cmd
EOF
)
merge_id=${merge_id%%;*}
say "merge job $merge_id: xbarsim merge into $out once job $array_id has ended"
say "logs: $logs"
((wait_merge)) || exit 0

# field NAME LINE: the value of NAME=... in one line of `scontrol -o`.
field() {
    local f
    for f in $2; do
        if [[ $f == "$1="* ]]; then
            echo "${f#*=}"
            return 0
        fi
    done
}

# Tell about the array tasks that did not complete, with their logs' ends.
report_shards() {
    local line id state code log
    while read -r line; do
        id=$(field ArrayTaskId "$line")
        state=$(field JobState "$line")
        code=$(field ExitCode "$line")
        [[ $state == COMPLETED ]] && continue
        echo "slurm-study: shard $id/$shards: $state (exit ${code%%:*})" >&2
        log=$logs/shard-$id-of-$shards.$array_id.out
        if [[ -f $log ]]; then
            tail -n 5 "$log" | sed 's/^/    /' >&2
        fi
    done < <(scontrol show job -o "$array_id" 2>/dev/null |
        sed -n 's/.* ArrayTaskId=\([0-9]*\) .*/\1\t&/p' | sort -n | cut -f2-)
}

t0=$SECONDS
t0_us=${EPOCHREALTIME/./}
# The seconds since t0, to a tenth.
elapsed() {
    local ds=$(((${EPOCHREALTIME/./} - t0_us) / 100000))
    echo "$((ds / 10)).$((ds % 10))"
}
last=
while :; do
    line=$(scontrol show job -o "$merge_id" 2>/dev/null || true)
    if [[ -z $line ]]; then
        # Purged already (MinJobAge): ask accounting, if there is any.
        acct=$(sacct -n -P -X -j "$merge_id" -o State,ExitCode 2>/dev/null | head -n 1 || true)
        [[ -n $acct ]] || die "merge job $merge_id is gone from Slurm; see $logs/merge.$merge_id.out"
        state=${acct%%|*}
        state=${state%% *}
        code=${acct#*|}
    else
        state=$(field JobState "$line")
        code=$(field ExitCode "$line")
    fi
    case $state in
    PENDING | RUNNING | CONFIGURING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_HOLD | REQUEUE_FED | RESIZING | SIGNALING | STAGE_OUT) ;;
    COMPLETED)
        say "merge job $merge_id completed after $(elapsed) s: $out/steps.csv"
        exit 0
        ;;
    CANCELLED)
        say "merge job $merge_id did not run (cancelled)" >&2
        report_shards
        exit 1
        ;;
    *)
        code=${code%%:*}
        [[ $code =~ ^[0-9]+$ && $code != 0 ]] || code=1
        report_shards
        say "merge job $merge_id: $state (exit $code); last lines of its log:" >&2
        tail -n 20 "$logs/merge.$merge_id.out" 2>/dev/null | sed 's/^/    /' >&2 || true
        exit "$code"
        ;;
    esac
    # One line whenever the picture changes.
    queued=$(squeue -h -r -j "$array_id" -o %T 2>/dev/null || true)
    pending=$(grep -c '^PENDING' <<<"$queued" || true)
    running=$(grep -c '^RUNNING' <<<"$queued" || true)
    now="shards: $pending pending, $running running, $((shards - pending - running)) ended; merge ${state,,}"
    if [[ $now != "$last" ]]; then
        say "$now"
        last=$now
    fi
    if ((timeout && SECONDS - t0 >= timeout)); then
        say "not done after $timeout s: cancelling jobs $array_id and $merge_id" >&2
        scancel "$array_id" "$merge_id" 2>/dev/null || true
        exit 124
    fi
    sleep 1
done
