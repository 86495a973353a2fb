#!/usr/bin/env bash
# local-slurm.sh: a throw-away one-node Slurm cluster on this machine.
#
# Why: cluster/test-slurm.sh checks the Slurm recipe (slurm-study.sh) against
# a real slurmctld + slurmd, on a developer machine or in CI, where there is
# root but no systemd. Not for production clusters: it runs the daemons as
# root, without cgroups or accounting, and listens on 127.0.0.1 only.
#
# Usage: cluster/local-slurm.sh start|stop|status
#   start   install slurm-wlm and munge with apt if missing, write
#           /etc/slurm/slurm.conf for this host (marked as ours, see below),
#           start munged, slurmctld and slurmd, and wait until `sinfo` shows
#           the node idle (LOCAL_SLURM_TIMEOUT seconds, default 60).
#           Nothing is restarted if it already runs.
#   stop    stop slurmd, slurmctld and munged by their pid files.
#   status  show what runs (exit 0 if all three daemons run, 3 if not).
#
# An /etc/slurm/slurm.conf not written by this script (no marker line) is left
# alone and `start` stops with an error; LOCAL_SLURM_FORCE=1 moves it aside to
# slurm.conf.before-xbarsim first.
# Needs root. Logs: /var/log/slurm/{slurmctld,slurmd}.log.
set -euo pipefail

MARKER="# xbarsim cluster/local-slurm.sh: single-node test cluster"
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
LOG_DIR=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-60}
NODE=$(hostname -s)

say() { echo "local-slurm: $*"; }
die() {
    echo "local-slurm: error: $*" >&2
    exit 1
}

# alive PIDFILE NAME: the pid in PIDFILE is a running process called NAME.
alive() {
    local pid comm
    [[ -r $1 ]] || return 1
    pid=$(tr -dc '0-9' <"$1")
    [[ -n $pid ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$2" ]]
}

install_packages() {
    local missing=()
    command -v munged >/dev/null 2>&1 || [[ -x /usr/sbin/munged ]] || missing+=(munge)
    for bin in slurmctld slurmd sbatch; do
        if ! command -v "$bin" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$bin ]]; then
            missing+=(slurm-wlm)
            break
        fi
    done
    ((${#missing[@]})) || return 0
    [[ $(id -u) == 0 ]] || die "${missing[*]} missing, and installing needs root"
    say "installing ${missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    local log
    log=$(mktemp)
    if ! { apt-get update -qq && apt-get install -y -qq slurm-wlm munge; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "apt-get could not install slurm-wlm munge"
    fi
    rm -f "$log"
}

write_conf() {
    if [[ -e $CONF ]] && ! grep -qxF "$MARKER" "$CONF"; then
        if [[ ${LOCAL_SLURM_FORCE:-0} == 1 ]]; then
            say "moving the existing $CONF (not ours) to $CONF.before-xbarsim"
            mv "$CONF" "$CONF.before-xbarsim"
        else
            die "$CONF exists and was not written by this script; not touching it (LOCAL_SLURM_FORCE=1 moves it aside)"
        fi
    fi
    # The node line as slurmd sees this machine (CPUs, sockets, cores, memory),
    # so that slurmd never drains the node for a mismatch.
    local node_line
    node_line=$(slurmd -C 2>/dev/null | grep -m1 '^NodeName=') ||
        die "slurmd -C did not describe this machine"
    node_line="NodeName=$NODE ${node_line#* }"
    mkdir -p "$CONF_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd
    local tmp=$CONF.tmp.$$
    cat >"$tmp" <<EOF
$MARKER
# (rewritten at each start; delete it or run with another slurm.conf freely)
ClusterName=xbarsim-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Start jobs as soon as they can (by default batch jobs wait for a 3 s tick).
SchedulerParameters=batch_sched_delay=0
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$tmp" "$CONF"
}

start_munge() {
    if alive "$MUNGE_PID" munged; then
        return 0
    fi
    mkdir -p /run/munge
    chown munge:munge /run/munge
    chmod 0755 /run/munge
    [[ -r /etc/munge/munge.key ]] || die "/etc/munge/munge.key missing (reinstall munge)"
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged
    local i
    for ((i = 0; i < 50; i++)); do
        if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    die "munged does not answer (munge -n | unmunge fails)"
}

start_slurm() {
    if ! alive "$CTLD_PID" slurmctld; then
        say "starting slurmctld"
        slurmctld -c || die "slurmctld did not start; see $LOG_DIR/slurmctld.log"
    fi
    if ! alive "$SLURMD_PID" slurmd; then
        say "starting slurmd"
        slurmd || die "slurmd did not start; see $LOG_DIR/slurmd.log"
    fi
}

wait_idle() {
    local t0=$SECONDS state=""
    while ((SECONDS - t0 < TIMEOUT)); do
        state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
        case $state in
        idle | mixed | allocated | completing)
            say "node $NODE is $state ($((SECONDS - t0)) s)"
            return 0
            ;;
        esac
        sleep 0.5
    done
    {
        echo "local-slurm: error: node $NODE not idle after $TIMEOUT s (state: '${state:-no answer}')"
        sinfo -R 2>/dev/null || true
        echo "--- last lines of $LOG_DIR/slurmctld.log"
        tail -n 15 "$LOG_DIR/slurmctld.log" 2>/dev/null || true
        echo "--- last lines of $LOG_DIR/slurmd.log"
        tail -n 15 "$LOG_DIR/slurmd.log" 2>/dev/null || true
    } >&2
    exit 1
}

# stop_daemons PIDFILE NAME [PIDFILE NAME...]: SIGTERM to each that runs,
# then wait for them all (SIGKILL after 10 s).
stop_daemons() {
    local pids=() names=() pid i k
    while (($#)); do
        if alive "$1" "$2"; then
            pid=$(tr -dc '0-9' <"$1")
            say "stopping $2 (pid $pid)"
            kill "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$2")
        fi
        rm -f "$1"
        shift 2
    done
    for ((i = 0; i < 100; i++)); do
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && break
            pid=
        done
        [[ -z ${pid:-} ]] && return 0
        sleep 0.1
    done
    for k in "${!pids[@]}"; do
        if kill -0 "${pids[k]}" 2>/dev/null; then
            say "${names[k]} still runs after 10 s: SIGKILL"
            kill -9 "${pids[k]}" 2>/dev/null || true
        fi
    done
}

status() {
    local rc=0
    set -- "$MUNGE_PID" munged "$CTLD_PID" slurmctld "$SLURMD_PID" slurmd
    while (($#)); do
        if alive "$1" "$2"; then
            echo "$2: running (pid $(tr -dc '0-9' <"$1"))"
        else
            echo "$2: not running"
            rc=3
        fi
        shift 2
    done
    if alive "$CTLD_PID" slurmctld; then
        sinfo 2>/dev/null || true
    fi
    return $rc
}

case ${1:-} in
start)
    [[ $(id -u) == 0 ]] || die "start needs root"
    install_packages
    if alive "$CTLD_PID" slurmctld && [[ -e $CONF ]] && grep -qxF "$MARKER" "$CONF"; then
        : # running with our configuration: keep it
    else
        write_conf
    fi
    start_munge
    start_slurm
    wait_idle
    ;;
stop)
    stop_daemons "$SLURMD_PID" slurmd "$CTLD_PID" slurmctld
    stop_daemons "$MUNGE_PID" munged
    ;;
status)
    status
    ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
