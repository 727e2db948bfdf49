#!/usr/bin/env bash
# The project's own Redis, the broker and result store of the Celery executor (scripts/celery_workers.sh),
# kept apart from the portal's own Redis (portal/start.sh) and from any system Redis.
#   scripts/redis.sh start|stop|status|url [DB]
# Config, pidfile, log and the generated password live in $STATE/redis (STATE = $SATUDATA_STATE or
# <repo>/.state). TCP only on 127.0.0.1:$SATUDATA_CELERY_REDIS_PORT (6389), always with the password; nothing is
# written to disk (no RDB snapshots, no AOF): queued steps die with the server. `url DB` starts the server
# if needed and prints redis://:<pw>@127.0.0.1:<port>/DB. `start` also writes $STATE/redis/env (mode 600) with
# Celery's CELERY_BROKER_URL (database 0) and CELERY_RESULT_BACKEND (database 1), to source, never print:
#   set -a && . .state/redis/env && set +a
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SATUDATA_STATE:-$REPO/.state}"
PORT="${SATUDATA_CELERY_REDIS_PORT:-6389}"  # not SATUDATA_REDIS_PORT: that is the portal's own Redis (portal/common.sh)
DIR="$STATE/redis"
CONF="$DIR/redis.conf"     # generated; holds the password, so mode 600
PIDFILE="$DIR/redis.pid"   # written by redis-server itself
PWFILE="$DIR/password"
LOG="$DIR/redis.log"
ENVFILE="$DIR/env"         # the Celery URLs, with the password: mode 600

log() { echo "redis.sh: $*" >&2; }

ensure_packages() {
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
    log "installing redis-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends redis-server redis-tools </dev/null >/dev/null
}

# The pid of the server this script started, if it is still that server (not a reused pid).
server_pid() {
    [[ -f $PIDFILE ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]] || return 1
    echo "$pid"
}

# The port the running server listens on (from its config), else the configured one.
running_port() {
    if [[ -f $CONF ]] && server_pid >/dev/null; then awk '$1 == "port" {print $2}' "$CONF"; else echo "$PORT"; fi
}

cli() {  # redis-cli against our server; the password goes through the environment, not the command line
    [[ -s $PWFILE ]] || { log "no server here yet ($DIR): run start"; exit 1; }
    REDISCLI_AUTH="$(cat "$PWFILE")" redis-cli --no-auth-warning -h 127.0.0.1 -p "$(running_port)" "$@"
}

is_running() {
    server_pid >/dev/null && [[ "$(cli ping 2>/dev/null)" == PONG ]]
}

write_env() {
    local base="redis://:$(cat "$PWFILE")@127.0.0.1:$(running_port)"
    (umask 077; printf 'CELERY_BROKER_URL=%s/0\nCELERY_RESULT_BACKEND=%s/1\n' "$base" "$base" >"$ENVFILE")
}

start() {
    if is_running; then write_env; return 0; fi
    ensure_packages
    mkdir -p "$DIR"
    if [[ ! -s $PWFILE ]]; then
        (umask 077; python3 -c 'import secrets; print(secrets.token_hex(24))' >"$PWFILE")
    fi
    chmod 600 "$PWFILE"
    rm -f "$PIDFILE"   # not a live server of ours (checked above)
    (umask 077; cat >"$CONF" <<EOF
bind 127.0.0.1
port $PORT
protected-mode yes
requirepass $(cat "$PWFILE")
daemonize yes
pidfile $PIDFILE
logfile $LOG
dir $DIR
save ""
appendonly no
databases 16
EOF
    )
    redis-server "$CONF" </dev/null 9<&- || { tail -n 20 "$LOG" >&2 2>/dev/null; exit 1; }   # 9<&-: not our lock
    for _ in $(seq 1 100); do is_running && break; sleep 0.1; done
    is_running || { log "did not start, see $LOG"; tail -n 20 "$LOG" >&2 2>/dev/null; exit 1; }
    write_env
    log "started on 127.0.0.1:$PORT (pid $(server_pid), $DIR)"
}

stop() {
    local pid
    pid="$(server_pid)" || { rm -f "$PIDFILE"; return 0; }
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "pid $pid did not stop in 10 s, killing it"; kill -KILL "$pid"; fi
    rm -f "$PIDFILE"
    log "stopped"
}

url() {
    local db="${1:-0}"
    [[ $db =~ ^([0-9]|1[0-5])$ ]] || { log "bad database number: $db (0-15)"; exit 2; }
    start
    echo "redis://:$(cat "$PWFILE")@127.0.0.1:$(running_port)/$db"
}

# Serialise start/stop/url between concurrent callers.
lock() { exec 9<"${BASH_SOURCE[0]}"; flock 9; }

case "${1:-}" in
    start) lock; start ;;
    stop) lock; stop ;;
    status)
        if is_running; then echo "running on 127.0.0.1:$(running_port) (pid $(server_pid), $DIR)"; else echo "stopped"; exit 3; fi ;;
    url) lock; url "${2:-0}" ;;
    cli) shift; cli "$@" ;;   # convenience: redis-cli against the project's server
    *) echo "usage: $0 start|stop|status|url [DB]|cli [redis-cli args]" >&2; exit 2 ;;
esac
