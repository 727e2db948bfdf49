#!/usr/bin/env bash
# Dagster's Celery executor workers on this machine: each runs the steps of a run submitted with the
# `celery` executor (dagster-celery; run config in deploy/celery.yaml), one step at a time.
#   scripts/celery_workers.sh start [N]|stop|status
# `start N` (2) starts workers w1..wN (node names w<i>@<host>), each with concurrency 1 and no prefetching, so
# an idle worker takes the next step rather than a busy one queueing it. Pidfiles and logs: $STATE/celery
# (STATE = $SATUDATA_STATE or <repo>/.state). The workers run in the repository with the caller's environment,
# which must be the runs' own (DAGSTER_HOME, SATUDATA_*, the portal's token): a step runs the pipeline's code
# with it. Broker and result store: $CELERY_BROKER_URL and $CELERY_RESULT_BACKEND (Celery's own variables;
# deploy/celery.yaml reads the same ones), by default databases 0 and 1 of the project's Redis (scripts/redis.sh,
# started if needed; its $STATE/redis/env). Queue: $SATUDATA_CELERY_QUEUE (dagster-celery's `dagster`).
# `stop` stops only the workers whose pidfiles are in $STATE/celery, by pid.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SATUDATA_STATE:-$REPO/.state}"
DIR="$STATE/celery"
CELERY="$REPO/.venv/bin/celery"
# A run sends its steps to another queue than `dagster` with the executor's config_source: {task_default_queue: q}
QUEUE="${SATUDATA_CELERY_QUEUE:-dagster}"

log() { echo "celery_workers.sh: $*" >&2; }

# The pid of a worker this script started, if it is still that worker (not a reused pid).
worker_pid() {
    local pidfile=$1 pid
    [[ -f $pidfile ]] || return 1
    pid="$(cat "$pidfile")"
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dagster_celery.app worker" || return 1
    echo "$pid"
}

start() {
    local count="${1:-2}" i name pidfile logfile pid new=() launched=()
    [[ $count =~ ^[1-9][0-9]*$ ]] || { log "bad worker count: $count"; exit 2; }
    [[ -x $CELERY ]] || { log "$CELERY missing: run make setup"; exit 1; }
    mkdir -p "$DIR"
    if [[ -z ${CELERY_BROKER_URL:-} || -z ${CELERY_RESULT_BACKEND:-} ]]; then
        bash "$REPO/scripts/redis.sh" start
        set -a; . "$STATE/redis/env"; set +a
    fi
    export DAGSTER_HOME="${DAGSTER_HOME:-$STATE/dagster}"
    export SATUDATA_STATE="$STATE"
    cd "$REPO"
    for ((i = 1; i <= count; i++)); do
        name="w$i"
        pidfile="$DIR/$name.pid"
        logfile="$DIR/$name.log"
        if pid="$(worker_pid "$pidfile")"; then
            log "$name already running (pid $pid)"
            continue
        fi
        rm -f "$pidfile"
        : >"$logfile"
        # Its own session: `stop` can end the worker with its pool process even if the worker hangs.
        # Celery writes the pidfile (the main process) itself once it has started.
        setsid "$CELERY" -A dagster_celery.app worker -n "$name@%h" --concurrency 1 --prefetch-multiplier 1 \
            --disable-prefetch --without-gossip --without-mingle --loglevel INFO --pidfile "$pidfile" \
            --queues "$QUEUE" >>"$logfile" 2>&1 </dev/null 9<&- &
        new+=("$name"); launched+=("$!")
    done
    for i in "${!new[@]}"; do
        name=${new[$i]}
        for _ in $(seq 1 600); do   # up to 60 s; at once if the process has exited
            grep -q " ready\.$" "$DIR/$name.log" 2>/dev/null && worker_pid "$DIR/$name.pid" >/dev/null && break
            kill -0 "${launched[$i]}" 2>/dev/null || break
            sleep 0.1
        done
        pid="$(worker_pid "$DIR/$name.pid")" && grep -q " ready\.$" "$DIR/$name.log" \
            || { log "$name did not start, see $DIR/$name.log"; tail -n 20 "$DIR/$name.log" >&2
                 for pid in "${launched[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done   # what this call started
                 exit 1; }
        log "$name started (pid $pid, log $DIR/$name.log)"
    done
}

stop() {
    local pidfile pid name pids=() names=()
    shopt -s nullglob
    for pidfile in "$DIR"/w*.pid; do
        name="$(basename "$pidfile" .pid)"
        if pid="$(worker_pid "$pidfile")"; then
            # Warm shutdown: the worker finishes the step it is running (all workers at once).
            kill -TERM "$pid"; pids+=("$pid"); names+=("$name")
        else
            rm -f "$pidfile"
        fi
    done
    for i in "${!pids[@]}"; do
        pid=${pids[$i]} name=${names[$i]}
        for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then   # after 60 s: its own session, the pool process included
            log "$name (pid $pid) did not stop in 60 s, killing it"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
        fi
        rm -f "$DIR/$name.pid"
        log "$name stopped"
    done
}

status() {
    local pidfile pid found=0
    shopt -s nullglob
    for pidfile in "$DIR"/w*.pid; do
        if pid="$(worker_pid "$pidfile")"; then
            echo "$(basename "$pidfile" .pid) running (pid $pid)"; found=1
        fi
    done
    ((found)) || { echo "stopped"; exit 3; }
}

# Serialise start/stop between concurrent callers.
lock() { exec 9<"${BASH_SOURCE[0]}"; flock 9; }

case "${1:-}" in
    start) lock; start "${2:-2}" ;;
    stop) lock; stop ;;
    status) status ;;
    *) echo "usage: $0 start [N]|stop|status" >&2; exit 2 ;;
esac
