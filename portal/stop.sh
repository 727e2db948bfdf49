#!/usr/bin/env bash
# Stops what portal/start.sh started (nginx, the web server, the jobs worker, Redis), only by
# pidfile. With --all also stops the project's PostgreSQL cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# stop_group "pidfile|command-line match|name" ...: TERM all (they shut down in
# parallel), wait, KILL what is left after 15 s.
stop_group() {
    local t f match name pid pids=()
    for t in "$@"; do
        IFS='|' read -r f match name <<<"$t"
        if pid_alive "$f" "$match"; then
            pid="$(cat "$f")"; pids+=("$pid")
            kill -TERM "$pid"
            plog "stopping $name ($pid)"
        fi
        rm -f "$f"   # gone, stale or stopping
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        # setsid-started processes lead their own group: take their children too.
        if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; fi
    done
}

# The worker deregisters itself in Redis on shutdown: Redis goes last. The web server is matched on any port:
# one started before gunicorn moved behind nginx stops too.
stop_group "$PSTATE/nginx.pid|$NGINX_MATCH|nginx" "$PSTATE/worker.pid|ckan.ini jobs worker|jobs worker" \
    "$PSTATE/ckan.pid|gunicorn --chdir $PORTAL --bind 127.0.0.1:|web server"
stop_group "$REDIS_DIR/redis.pid|redis-server|redis"
rm -f "$PSTATE/env"   # no portal to talk to; start.sh writes it again
if [[ ${1:-} == --all ]]; then
    "$REPO/scripts/postgres.sh" stop
fi
