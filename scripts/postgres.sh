#!/usr/bin/env bash
# The project's own PostgreSQL 15 cluster, kept apart from any system cluster.
#   scripts/postgres.sh start|stop|status|url [DBNAME]
# Data, socket, log and the generated superuser password live in $STATE/postgres
# (STATE = $SATUDATA_STATE or <repo>/.state). TCP only on 127.0.0.1:$SATUDATA_PG_PORT
# (55432). `url DB` starts the cluster if needed, creates DB if missing and prints
# postgresql://satudata:<pw>@127.0.0.1:<port>/DB.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SATUDATA_STATE:-$REPO/.state}"
PORT="${SATUDATA_PG_PORT:-55432}"
PGBIN=/usr/lib/postgresql/15/bin
# The server runs as the postgres OS user, which must be able to reach its data folder: a checkout under a
# private folder (such as /root) keeps its cluster in /var/tmp instead, named after the state folder.
world_traversable() {
    local dir=$1 perms
    while [[ $dir != / ]]; do
        if [[ -d $dir ]]; then
            perms=$(stat -c %A "$dir")
            [[ ${perms:9:1} == [xt] ]] || return 1
        fi
        dir=$(dirname "$dir")
    done
}
PGROOT="$STATE/postgres"
world_traversable "$STATE" || PGROOT="/var/tmp/satudata-postgres-$(printf %s "$STATE" | sha1sum | cut -c1-12)"
DATA="$PGROOT/data"
RUN="$PGROOT/run"          # unix socket directory
PWFILE="$PGROOT/password"
LOG="$PGROOT/postgres.log"
SUPERUSER=satudata

log() { echo "postgres.sh: $*" >&2; }

ensure_packages() {
    local need=()
    [[ -x $PGBIN/initdb ]] || need+=(postgresql-15)
    [[ -f /usr/include/postgresql/libpq-fe.h ]] || need+=(libpq-dev)
    command -v psql >/dev/null || need+=(postgresql-client-15)
    ((${#need[@]})) || return 0
    log "installing ${need[*]}"
    # Keep Debian from creating and starting its own 'main' cluster on 5432.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/satudata.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
}

# Root may not run postgres: the server runs as the 'postgres' OS user.
as_pg() {
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

init_cluster() {
    [[ -f $DATA/PG_VERSION ]] && return 0
    ensure_packages
    mkdir -p "$PGROOT"
    if [[ $EUID -eq 0 ]]; then
        install -d -o postgres -g postgres -m 700 "$DATA"
        install -d -o postgres -g postgres -m 755 "$RUN"
        touch "$LOG" && chown postgres:postgres "$LOG"
        if ! runuser -u postgres -- test -x "$PGROOT"; then
            log "user postgres cannot reach $PGROOT (a parent directory is not traversable); set SATUDATA_STATE elsewhere"
            exit 1
        fi
    else
        install -d -m 700 "$DATA"; install -d -m 755 "$RUN"
    fi
    if [[ ! -s $PWFILE ]]; then
        (umask 077; python3 -c 'import secrets; print(secrets.token_hex(24))' >"$PWFILE")
    fi
    chmod 600 "$PWFILE"
    # initdb reads the password from a file the postgres user can read; remove it at once.
    local tmp
    tmp="$(mktemp)"
    cp "$PWFILE" "$tmp"
    [[ $EUID -eq 0 ]] && chown postgres "$tmp"
    as_pg "$PGBIN/initdb" -D "$DATA" -U "$SUPERUSER" --pwfile="$tmp" \
        --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1 \
        || { rm -f "$tmp"; cat "$PGROOT/initdb.log" >&2; exit 1; }
    rm -f "$tmp"
    # Only loopback connections, always with a password.
    cat >"$DATA/pg_hba.conf" <<'EOF'
local   all  all                scram-sha-256
host    all  all  127.0.0.1/32  scram-sha-256
EOF
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$DATA/pg_hba.conf"
    log "initialised cluster in $DATA"
}

is_running() {
    [[ -f $DATA/PG_VERSION ]] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# The port actually in use (4th line of postmaster.pid), else the configured one.
running_port() {
    if [[ -f $DATA/postmaster.pid ]]; then sed -n 4p "$DATA/postmaster.pid"; else echo "$PORT"; fi
}

start() {
    init_cluster
    if is_running; then return 0; fi
    # Socket path must fit in 107 bytes (sun_path).
    if ((${#RUN} + 20 > 107)); then log "state path too long for a unix socket: $RUN"; exit 1; fi
    # synchronous_commit=off: a dev/test cluster; a crash may lose the last
    # transactions but never corrupts data.
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$RUN' -c synchronous_commit=off" \
        start >/dev/null 9<&- || { tail -n 20 "$LOG" >&2; exit 1; }   # 9<&-: server must not keep our lock
    log "started on 127.0.0.1:$PORT (data $DATA)"
}

stop() {
    if is_running; then
        as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        log "stopped"
    fi
}

psql_su() {  # psql as the superuser over the unix socket
    PGPASSWORD="$(cat "$PWFILE")" psql -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$(running_port)" -U "$SUPERUSER" "$@"
}

url() {
    local db="${1:-postgres}"
    [[ $db =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { log "bad database name: $db"; exit 2; }
    start
    if [[ -z "$(psql_su -d postgres -tAc "select 1 from pg_database where datname = '$db'")" ]]; then
        psql_su -d postgres -c "create database \"$db\"" >/dev/null
        log "created database $db"
    fi
    echo "postgresql://$SUPERUSER:$(cat "$PWFILE")@127.0.0.1:$(running_port)/$db"
}

# Serialise start/stop/url between concurrent callers (e.g. parallel test workers).
lock() { exec 9<"${BASH_SOURCE[0]}"; flock 9; }

case "${1:-}" in
    start) lock; start ;;
    stop) lock; stop ;;
    status)
        if is_running; then echo "running on 127.0.0.1:$(running_port) ($DATA)"; else echo "stopped"; exit 3; fi ;;
    url) lock; url "${2:-postgres}" ;;
    psql) shift; start; psql_su "$@" ;;   # convenience: psql as superuser
    *) echo "usage: $0 start|stop|status|url [DBNAME]|psql [psql args]" >&2; exit 2 ;;
esac
